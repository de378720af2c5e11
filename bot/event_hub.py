"""R-ev3 one process's hub of live-stream subscribers: it hears that a shop's log grew and
hands each new event to the subscribers of that shop, and every second it sends the claim
progress of the distributions they watch.

Hearing, from every process: on PostgreSQL the write that appends an event announces
`event:<shop>` with the change feed's NOTIFY (storage/changes.py); on SQLite, and as a safety
net on PostgreSQL, the hub looks at the log's highest row id every `poll_every` (one indexed
read). Either way it then reads the shop's events after the last `seq` it handed out, in `seq`
order, so a subscriber sees the log exactly: the stream filters what it already sent (its
snapshot's `seq`, or what Last-Event-ID resumed), so there is no gap and no repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from core.events import PROGRESS, EventType
from core.services import Services
from storage.events import EVENT_TOPIC, StoredEvent

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # a subscriber this far behind is dropped (it resumes with Last-Event-ID)
PROGRESS_EVERY = 1.0  # seconds: at most one progress message per distribution per second


@dataclass(eq=False)
class Subscriber:
    """One open stream: the session it follows (or, for an overlay, the account whose
    sessions it follows) and its queue of ("event", StoredEvent) / ("progress", dict)."""

    shop_id: int
    session_id: int | None
    account_id: int | None = None
    queue: asyncio.Queue[tuple[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    overflowed: bool = False

    def wants(self, e: StoredEvent) -> bool:
        if self.session_id is not None and e.live_session_id == self.session_id:
            return True
        return (
            self.account_id is not None
            and e.type == EventType.LIVE_SESSION_STARTED
            and e.data.get("account_id") == self.account_id
        )

    def put(self, item: tuple[str, Any]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True


class EventHub:
    def __init__(
        self,
        services: Services,
        *,
        poll_every: float = 0.05,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        self.services = services
        self.poll_every = poll_every
        self.progress_every = progress_every
        self._subs: dict[int, set[Subscriber]] = defaultdict(set)
        self._cursor: dict[int, int] = {}  # shop -> last seq handed out
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._max_pk = -1
        self._claims: dict[int, deque[tuple[float, int]]] = {}  # distribution -> samples
        self._sent_progress: dict[int, int] = {}  # distribution -> claimed last sent
        self._listening = False

    # --- subscribing -----------------------------------------------------------------------

    async def subscribe(self, sub: Subscriber) -> None:
        """Registers the subscriber before its stream reads its snapshot, so nothing that
        commits afterwards can be missed."""
        self._ensure_running()
        if sub.shop_id not in self._cursor:
            self._cursor[sub.shop_id] = await self.services.streams.last_seq(sub.shop_id)
        self._subs[sub.shop_id].add(sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subs.get(sub.shop_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.shop_id]
                self._cursor.pop(sub.shop_id, None)

    @property
    def subscribers(self) -> int:
        return sum(len(s) for s in self._subs.values())

    # --- running ---------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None:
            if not self._listening:
                self.services.changes.subscribe(self._on_change)
                self._listening = True
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-hub")

    def _on_change(self, topic: str | None, ident: str | None) -> None:
        if topic == EVENT_TOPIC and ident is not None and ident.isdigit():
            self._dirty.add(int(ident))
            self._wake.set()
        elif topic is None:  # the listener (re)connected: anything may have been missed
            self._dirty.update(self._subs)
            self._wake.set()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        progress_at = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_every)
            self._wake.clear()
            try:
                if self._subs:
                    await self._poll()
                    await self._dispatch()
                    if time.monotonic() - progress_at >= self.progress_every:
                        progress_at = time.monotonic()
                        await self._progress(progress_at)
            except Exception:
                log.exception("the live-stream hub's pass failed; trying again")

    async def _poll(self) -> None:
        """The cheap check for writes of other processes (and this one): the log's top id."""
        top = await self.services.streams.max_event_pk()
        if top != self._max_pk:
            self._max_pk = top
            self._dirty.update(self._subs)

    async def _dispatch(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for shop in dirty:
            if shop not in self._subs:
                continue
            while True:
                after = self._cursor.get(shop, 0)
                events = await self.services.streams.events_after(shop, after)
                for e in events:
                    for sub in list(self._subs.get(shop, ())):
                        if sub.wants(e):
                            sub.put(("event", e))
                    self._cursor[shop] = e.seq
                if len(events) < 500:
                    break

    async def _progress(self, now: float) -> None:
        """`distribution.progress` for each watched distribution whose claims moved."""
        sessions = {s.session_id for subs in self._subs.values() for s in subs if s.session_id}
        rows = await self.services.streams.progress(sorted(sessions))
        seen = set()
        for p in rows:
            seen.add(p.distribution_id)
            samples = self._claims.setdefault(p.distribution_id, deque())
            samples.append((now, p.claimed))
            while samples and now - samples[0][0] > 60:
                samples.popleft()
            last = self._sent_progress.get(p.distribution_id)
            self._sent_progress[p.distribution_id] = p.claimed
            if last is None or last == p.claimed:
                continue  # nothing claimed since the last look (or the first look)
            first_at, first_claimed = samples[0]
            span = max(now - first_at, 1.0)
            data = {
                "type": PROGRESS,
                "data": {
                    "distribution_id": p.distribution_id,
                    "voucher_id": p.voucher_id,
                    "claimed": p.claimed,
                    "remaining": max(p.total - p.claimed, 0),
                    "budget_left": p.budget_left,
                    "claims_per_minute": round((p.claimed - first_claimed) * 60 / span, 1),
                },
            }
            for subs in self._subs.values():
                for sub in subs:
                    if sub.session_id == p.session_id:
                        sub.put(("progress", data))
        for gone in set(self._claims) - seen:
            self._claims.pop(gone, None)
            self._sent_progress.pop(gone, None)
