"""R-ev3/R-ev4 what a live stream reads: the snapshot it starts with (the session, each
distribution's voucher and remaining quota, a draw's entries and commitment), the events of
the log after a `seq`, the claim progress of distributions, and the overlay tokens (R-ev4) that
open an account's live sessions read-only."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from core.events import budget_left, instant
from core.ids import row_id
from core.refusal_codes import AccountCode, LiveCode
from core.rules.roles import Action, Actor, Role
from core.services.base import Service, require
from core.views import SessionView
from storage import draw_queries as dq
from storage import events as event_store
from storage import overlay as overlay_store
from storage import repositories as repo


@dataclass(frozen=True)
class Snapshot:
    seq: int  # the shop's last event when it was taken: the stream goes on after it
    session: SessionView | None
    distributions: list[dict[str, Any]]
    shop: dict[str, Any]


@dataclass(frozen=True)
class Progress:
    distribution_id: int
    session_id: int
    voucher_id: int
    claimed: int
    total: int
    budget_left: int | None = None  # R-budget: None without a budget


@dataclass(frozen=True)
class OverlayAccess:
    shop_id: int
    account_id: int


class StreamService(Service):
    async def last_seq(self, shop_id: int) -> int:
        async with self.db.read() as session:
            return await event_store.last_seq(session, shop_id)

    async def snapshot(self, actor: Actor, session_id: int | None) -> Snapshot:
        """The state a stream starts from. `seq` is read first, so an event committed while
        the rest is read is sent after it (never lost; at worst its effect shows twice)."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            seq = await event_store.last_seq(session, actor.shop_id)
            shop = await self._shop(session, actor.shop_id)
            shop_data = {
                "language": shop.language,
                "currency": shop.currency,
                "timezone": shop.timezone,
            }
            if session_id is None:
                return Snapshot(seq, None, [], shop_data)
            live = await repo.get_session(session, actor.shop_id, session_id)
            if live is None:
                raise NotFound(
                    f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND
                )
            dists = await repo.active_distributions(session, session_ids=[session_id])
            drops = await repo.drops_of_session(session, [session_id], pending_only=True)
            ids = [row_id(d) for d in dists]
            draws = await dq.draws_of(session, ids)
            entries = await dq.entry_counts(session, ids)
            vouchers = await repo.vouchers_by_ids(
                session, {d.voucher_id for d in dists} | {d.voucher_id for d in drops}
            )
        view = SessionView.of(live, dists, drops=drops, draws=draws)
        cards = []
        for d in dists:
            v = vouchers.get(d.voucher_id)
            draw = draws.get(row_id(d))
            cards.append(
                {
                    "distribution_id": d.id,
                    "voucher": _voucher(v) if v is not None else None,
                    "task": {"type": d.task_type, "minutes": d.task_minutes},
                    "mode": "draw" if draw is not None else "first_come",
                    "draw": {
                        "entries": entries.get(row_id(d), 0),
                        "commitment": draw.commitment,
                        "closes_at": instant(draw.closes_at),
                        "winners": draw.winners,
                    }
                    if draw is not None
                    else None,
                }
            )
        return Snapshot(seq, view, cards, shop_data)

    async def events_after(
        self, shop_id: int, after: int, *, live_session_id: int | None = None, limit: int = 500
    ) -> list[event_store.StoredEvent]:
        async with self.db.read() as session:
            return await event_store.list_after(
                session, shop_id, after, live_session_id=live_session_id, limit=limit
            )

    async def max_event_pk(self) -> int:
        async with self.db.read() as session:
            return await event_store.max_pk(session)

    async def progress(self, session_ids: list[int]) -> list[Progress]:
        """The claims of the sessions' active distributions (R-ev3 `distribution.progress`)."""
        if not session_ids:
            return []
        async with self.db.read() as session:
            dists = await repo.active_distributions(session, session_ids=session_ids)
            vouchers = await repo.vouchers_by_ids(session, {d.voucher_id for d in dists})
        return [
            Progress(
                d.id or 0,
                d.session_id,
                d.voucher_id,
                vouchers[d.voucher_id].claimed,
                vouchers[d.voucher_id].total_quantity,
                budget_left(vouchers[d.voucher_id]),
            )
            for d in dists
            if d.voucher_id in vouchers
        ]

    # --- overlay tokens (R-ev4) ------------------------------------------------------------

    async def overlay_token(self, actor: Actor) -> str:
        """The account's overlay token (made on first use; the same one until revoked)."""
        if actor.account_id is None:
            raise NotFound("An overlay belongs to an account.", code=AccountCode.ACCOUNT_NOT_FOUND)
        async with self.db.write() as session:
            current = await overlay_store.active_token(session, actor.account_id)
            if current is not None:
                return current
            token = secrets.token_urlsafe(24)
            await overlay_store.add_token(
                session, token, actor.shop_id, actor.account_id, self.clock.now()
            )
            return token

    async def revoke_overlay(self, actor: Actor) -> bool:
        if actor.account_id is None:
            return False
        async with self.db.write() as session:
            return await overlay_store.revoke(session, actor.account_id, self.clock.now()) > 0

    async def overlay_access(self, token: str) -> OverlayAccess:
        async with self.db.read() as session:
            found = await overlay_store.lookup(session, token)
        if found is None:
            raise NotFound("This overlay link is not valid.", code=LiveCode.OVERLAY_NOT_FOUND)
        return OverlayAccess(*found)

    async def active_session_of(self, access: OverlayAccess) -> int | None:
        async with self.db.read() as session:
            live = await repo.active_session_of_account(session, access.account_id)
        return live.id if live is not None else None

    @staticmethod
    def overlay_actor(access: OverlayAccess) -> Actor:
        return Actor(shop_id=access.shop_id, role=Role.OFFICIAL, account_id=access.account_id)


def _voucher(v: Any) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "discount_type": v.discount_type,
        "percent": v.percent,
        "amount": v.amount,
        "max_discount": v.max_discount,
        "min_spend": v.min_spend,
        "total_quantity": v.total_quantity,
        "claimed": v.claimed,
        "remaining": max(v.total_quantity - v.claimed, 0),
        "segment": v.segment,  # R-seg
        "budget": v.budget,  # R-budget
        "budget_left": budget_left(v),
    }
