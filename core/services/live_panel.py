"""R-live5: what the live panel shows for a session, and where the panel message is.

What the adapters call (the Telegram side of the leader, `bot.telegram.live_panel`):
- `LivePanelService.to_tend()` → the sessions whose panel needs posting, refreshing or
  turning into the summary, with the stored panel message (chat id, message id, last text
  hash, last edit time) — stored so a restarted or new leader keeps editing the same message;
- `LivePanelService.view(session_id)` → `PanelView`: session length, each active
  distribution (voucher, task, claims through it, remaining quota, claims per minute over the
  last 5 minutes and the sell-out forecast of R-adv3, from `core.services.forecast`), the
  pending drops (R-drop1) and the running draws (`draw_source`, a slot the lucky-draw engine
  fills; empty until then), and the session's claims when it has ended;
- `record_posted` / `record_edited`: what the panel shows now and when it was last edited
  (the 3-second throttle reads `edited_at` through the service clock);
- `ask_seller_for_more(actor, voucher_id)`: a host who may not add quantity asks the seller,
  who gets a one-tap Add quantity through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import Conflict, NotFound
from core.events import budget_left
from core.ids import row_id
from core.notifications import ask_more_text, label, notify_person
from core.refusal_codes import AccountCode
from core.rules.live import Task, TaskType
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.services.forecast import ForecastService
from storage import repositories as repo
from storage import team_chats
from storage.db import Database
from storage.models import LivePanel, LiveSession


@dataclass(frozen=True)
class PanelDistribution:
    distribution_id: int
    voucher_id: int
    voucher_name: str
    task: Task
    claims: int  # through this distribution, i.e. in this session
    remaining: int
    total: int
    claims_per_minute: float | None  # None: too little history (R-adv3)
    sellout_at: datetime | None
    segment: str = "all"  # R-seg: who may claim it
    budget_left: int | None = None  # R-budget: None for a voucher without a budget


@dataclass(frozen=True)
class PanelDrop:
    drop_id: int
    voucher_id: int
    voucher_name: str
    task: Task
    at: datetime


@dataclass(frozen=True)
class PanelDraw:
    """A running lucky draw (R-draw1): filled by `LivePanelService.draw_source`."""

    distribution_id: int
    voucher_name: str
    entries: int
    closes_at: datetime
    fingerprint: str = ""  # of the commitment (core.rules.draws.fingerprint), R-draw5
    waiting_for_beacon: bool = False  # entries closed, drand's round awaited (R-draw4)


@dataclass(frozen=True)
class PanelView:
    session_id: int
    shop_id: int
    account_id: int
    host_role: str
    host_chat_id: int | None  # the host's private chat (Telegram user id)
    currency: str
    timezone: str
    started_at: datetime
    ended_at: datetime | None
    now: datetime
    distributions: tuple[PanelDistribution, ...] = ()
    drops: tuple[PanelDrop, ...] = ()
    draws: tuple[PanelDraw, ...] = ()
    claims: int = 0  # claims made in the session

    @property
    def active(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class PanelRecord:
    """Where a session's panel message is, and what it shows."""

    session_id: int
    chat_id: int
    message_id: int
    text_hash: str | None
    edited_at: datetime
    closed: bool

    @classmethod
    def of(cls, p: LivePanel) -> PanelRecord:
        return cls(
            p.session_id,
            p.chat_id,
            p.message_id,
            p.text_hash,
            p.edited_at,
            p.closed_at is not None,
        )


@dataclass(frozen=True)
class PanelDue:
    session_id: int
    active: bool
    panel: PanelRecord | None


DrawSource = Callable[[AsyncSession, LiveSession, datetime], Awaitable[list[PanelDraw]]]


class LivePanelService(Service):
    def __init__(self, db: Database, clock: Clock, forecasts: ForecastService) -> None:
        super().__init__(db, clock)
        self.forecasts = forecasts
        # The slot for running draws (R-draw1): the draw engine sets it; no draws until then.
        self.draw_source: DrawSource | None = None

    async def to_tend(self) -> list[PanelDue]:
        async with self.db.read() as session:
            rows = await repo.panels_to_tend(session)
        return [
            PanelDue(
                row_id(live),
                live.ended_at is None,
                PanelRecord.of(panel) if panel is not None else None,
            )
            for live, panel in rows
        ]

    async def panel_of(self, session_id: int) -> PanelRecord | None:
        async with self.db.read() as session:
            panel = await repo.get_panel(session, session_id)
        return PanelRecord.of(panel) if panel is not None else None

    async def session_of_message(self, chat_id: int, message_id: int) -> int | None:
        async with self.db.read() as session:
            panel = await repo.panel_by_message(session, chat_id, message_id)
        return panel.session_id if panel is not None else None

    async def view(self, session_id: int) -> PanelView | None:
        now = self.clock.now()
        async with self.db.read() as session:
            live = await repo.session_by_id(session, session_id)
            if live is None:
                return None
            shop = await self._shop(session, live.shop_id)
            host = await repo.get_account(session, live.shop_id, live.account_id)
            dists = await repo.active_distributions(session, session_ids=[session_id])
            claims = await repo.claims_by_distribution(session, [row_id(d) for d in dists])
            drops = await repo.drops_of_session(session, [session_id], pending_only=True)
            vouchers = await repo.vouchers_by_ids(
                session, [d.voucher_id for d in dists] + [d.voucher_id for d in drops]
            )
            rows = []
            for d in dists:
                v = vouchers.get(d.voucher_id)
                if v is None:
                    continue
                f = await self.forecasts.forecast_in(session, d, v, now)
                rows.append(
                    PanelDistribution(
                        row_id(d),
                        row_id(v),
                        v.name,
                        Task(TaskType(d.task_type), d.task_minutes),
                        claims.get(row_id(d), 0),
                        f.remaining,
                        v.total_quantity,
                        f.claims_per_minute,
                        f.sellout_at,
                        v.segment,
                        budget_left(v),
                    )
                )
            pending = tuple(
                PanelDrop(
                    row_id(dr),
                    dr.voucher_id,
                    vouchers[dr.voucher_id].name if dr.voucher_id in vouchers else "",
                    Task(TaskType(dr.task_type), dr.task_minutes),
                    dr.at,
                )
                for dr in drops
            )
            draws = (
                tuple(await self.draw_source(session, live, now))
                if self.draw_source is not None and live.ended_at is None
                else ()
            )
            total = await repo.claims_in_session(session, session_id)
        return PanelView(
            session_id,
            live.shop_id,
            live.account_id,
            host.role if host is not None else "",
            host.telegram_user_id if host is not None and host.unlinked_at is None else None,
            shop.currency,
            shop.timezone,
            live.started_at,
            live.ended_at,
            now,
            tuple(rows),
            pending,
            draws,
            total,
        )

    async def record_posted(
        self, session_id: int, chat_id: int, message_id: int, text_hash: str, *, closed: bool
    ) -> None:
        """A new panel message (first post, or a re-post after the old one was deleted)."""
        now = self.clock.now()
        async with self.db.write() as session:
            live = await repo.session_by_id(session, session_id)
            if live is None:
                return
            values = {
                "chat_id": chat_id,
                "message_id": message_id,
                "text_hash": text_hash,
                "edited_at": now,
                "closed_at": now if closed else None,
            }
            if not await repo.add_panel(
                session,
                {"session_id": session_id, "shop_id": live.shop_id, "posted_at": now, **values},
            ):
                await repo.update_panel(session, session_id, **values)

    async def record_edited(self, session_id: int, text_hash: str, *, closed: bool) -> None:
        now = self.clock.now()
        async with self.db.write() as session:
            values: dict[str, object] = {"text_hash": text_hash, "edited_at": now}
            if closed:
                values["closed_at"] = now
            await repo.update_panel(session, session_id, **values)

    async def ask_seller_for_more(self, actor: Actor, voucher_id: int) -> bool:
        """R-live5: queues the seller a one-tap Add quantity (`v:<id>:add`); False when the
        seller has no private chat with the bot. One request per voucher and minute."""
        require(actor, Action.RUN_LIVE)
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._voucher(session, actor.shop_id, voucher_id)
            seller = await repo.seller_of_shop(session, actor.shop_id)
            if seller is None or seller.telegram_user_id is None:
                raise NotFound(
                    "The shop's seller has no chat with the bot.", code=AccountCode.NO_SELLER_CHAT
                )
            if await team_chats.is_blocked(session, seller.telegram_user_id):
                raise Conflict(
                    "The shop's seller blocked the bot.", code=AccountCode.SELLER_BLOCKED_BOT
                )
            by = await self._account(session, actor)
            remaining = max(0, voucher.total_quantity - voucher.claimed)
            minute = now.strftime("%Y%m%d%H%M")
            shop = await self._shop(session, actor.shop_id)
            return await notify_person(
                session,
                shop,
                seller.telegram_user_id,
                event_key=f"voucher:{voucher_id}:ask_more:{minute}",
                kind="ask_more",
                text=ask_more_text(by, voucher.name, voucher_id, remaining, voucher.total_quantity),
                now=now,
                buttons=[[(label("➕ Add quantity"), f"v:{voucher_id}:add")]],
            )
