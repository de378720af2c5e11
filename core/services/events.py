"""R-ev1 reading the event log, and pruning it (kept EVENT_RETENTION_DAYS days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.errors import invalid
from core.events import EVENT_TYPES
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from storage import events as store

MAX_LIMIT = 500
DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class EventPage:
    items: list[dict[str, Any]]  # envelopes, in seq order
    last_seq: int  # the seq to pass as `after` next (the last one given, or `after`)


def parse_types(types: str | None) -> tuple[str, ...]:
    """`types=voucher.sold_out,drop.fired` → the types, each one known (422 otherwise)."""
    if not types:
        return ()
    wanted = tuple(t.strip() for t in types.split(",") if t.strip())
    for t in wanted:
        if t not in EVENT_TYPES:
            raise invalid("types", f"unknown event type {t!r}", "unknown_event_type")
    return wanted


@dataclass
class EventService(Service):
    retention_days: int = DEFAULT_RETENTION_DAYS

    async def list(
        self, actor: Actor, *, after: int = 0, types: str | None = None, limit: int = 100
    ) -> EventPage:
        """The shop's events with seq > after, in order (R-ev1)."""
        require(actor, Action.READ)
        if after < 0:
            raise invalid("after", "must be 0 or more", "out_of_range", lo=0)
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid(
                "limit", f"must be from 1 to {MAX_LIMIT}", "out_of_range", lo=1, hi=MAX_LIMIT
            )
        wanted = parse_types(types)
        async with self.db.read() as session:
            rows = await store.list_after(session, actor.shop_id, after, types=wanted, limit=limit)
        return EventPage([r.envelope() for r in rows], rows[-1].seq if rows else after)

    async def prune(self) -> int:
        """Deletes events older than the retention (a batch per transaction); how many."""
        before = self.clock.now() - timedelta(days=self.retention_days)
        total = 0
        while True:
            async with self.db.write() as session:
                n = await store.prune(session, before)
            total += n
            if n == 0:
                return total
