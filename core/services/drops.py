"""R-drop1 timed drops: a distribution scheduled for a later moment of a live session.

What the adapters call:
- `DropService.schedule(actor, session_id, voucher_id, task_type, minutes, at=…|in_seconds=…)`
  → `DropView` (1 minute to 6 hours ahead, at most 20 pending per session);
- `DropService.cancel(actor, drop_id)`, `DropService.list(actor, session_id)`;
- `DropService.owed()` / `DropService.fire(drop_id)`: what the leader's scheduler runs.

Firing once (R-s2): `fire` locks the drop row, records `drop:<id>:settled` in the
AppliedEffect ledger and moves the drop out of `pending` by a conditional update, all in the
transaction that creates the distribution and queues the notifications. A job that runs twice,
late, after a restart or on two processes finds the drop settled and changes nothing. The
distribution is made by `LiveService.distribute_in`, the same code and checks as an immediate
issue, at the moment of firing; a refusal becomes the drop's `reason` (the refusal's code).
"""

from __future__ import annotations

import builtins  # the service has a `list` method, which hides the type in its body
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.clock import Clock
from core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VoucherbotError,
    invalid,
)
from core.ids import row_id
from core.notifications import (
    drop_scheduled_text,
    drop_settled_text,
    label,
    named_voucher,
    notify,
    notify_person,
    private_chat,
)
from core.refusal_codes import GeneralCode, LiveCode
from core.rules.draws import MODE_DRAW, MODE_FIRST_COME, validate_draw
from core.rules.live import Task, TaskType, validate_task
from core.rules.roles import Action, Actor, Role
from core.services.base import Service, require
from core.services.live import DrawRequest, LiveService
from core.values import is_whole
from core.views import DropView
from storage import repositories as repo
from storage.db import Database
from storage.models import Account, LiveSession, Shop, TimedDrop

MIN_AHEAD = timedelta(minutes=1)
MAX_AHEAD = timedelta(hours=6)
MAX_PENDING = 20
# An `at` computed by a client as "now + 1 min" arrives a moment later: a little slack keeps
# that from being refused as under a minute.
AT_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class OwedDrop:
    """A pending drop as the scheduler sees it."""

    id: int
    at: datetime

    def due(self, now: datetime) -> bool:
        return now >= self.at


class DropService(Service):
    def __init__(self, db: Database, clock: Clock, live: LiveService) -> None:
        super().__init__(db, clock)
        self.live = live

    # --- scheduling ------------------------------------------------------------------------

    async def schedule(
        self,
        actor: Actor,
        session_id: int,
        voucher_id: int,
        task_type: str,
        minutes: int | None = None,
        *,
        at: datetime | None = None,
        in_seconds: object = None,
        mode: object = "first_come",
        winners: object = None,
        entry_minutes: object = None,
    ) -> DropView:
        require(actor, Action.RUN_LIVE)
        if mode is not None and not isinstance(mode, str):
            raise invalid("mode", "must be 'first_come' or 'draw'")
        errors = validate_task(task_type, minutes) + validate_draw(mode, winners, entry_minutes)
        if errors:
            raise ValidationFailed(errors)
        task = Task(TaskType(task_type), minutes if task_type == TaskType.WATCH else None)
        now = self.clock.now()
        due = self._due_at(now, at, in_seconds)
        async with self.db.write() as session:
            live = await repo.lock_live_session(session, actor.shop_id, session_id)
            self._check_session(actor, live, session_id)
            assert live is not None
            voucher = await self._voucher(session, actor.shop_id, voucher_id)
            if voucher.kind != "live":
                raise Conflict(
                    "Only LIVE vouchers can be distributed in a live session.",
                    code=LiveCode.NOT_LIVE_VOUCHER,
                )
            # Counted under the session row's lock (PostgreSQL) or the write lock (SQLite):
            # two requests at 19 pending cannot both pass.
            if await repo.count_pending_drops(session, session_id) >= MAX_PENDING:
                raise invalid(
                    "session_id", f"already has {MAX_PENDING} pending drops (at most {MAX_PENDING})"
                )
            drop = TimedDrop(
                shop_id=actor.shop_id,
                session_id=session_id,
                voucher_id=voucher_id,
                account_id=actor.account_id,
                task_type=task.type.value,
                task_minutes=task.minutes,
                mode=mode or MODE_FIRST_COME,
                # validate_draw above: each is None or a whole number
                winners=cast("int | None", winners),
                entry_minutes=cast("int | None", entry_minutes),
                at=due,
                status="pending",
                created_at=now,
            )
            session.add(drop)
            await session.flush()
            await events.emit(  # R-ev1
                session,
                actor.shop_id,
                events.EventType.DROP_SCHEDULED,
                events.drop_data(drop),
                now,
                live_session_id=session_id,
            )
            shop = await self._shop(session, actor.shop_id)
            by = await self._account(session, actor)
            await notify(
                session,
                shop,
                event_key=f"drop:{drop.id}:scheduled",
                kind="drop_scheduled",
                text=drop_scheduled_text(by, voucher, session_id, due, shop, task),
                now=now,
            )
        return DropView.of(drop)

    @staticmethod
    def _due_at(now: datetime, at: datetime | None, in_seconds: object) -> datetime:
        if (at is None) == (in_seconds is None):
            raise invalid("at", "give either 'at' or 'in_seconds' (one of them)")
        if in_seconds is not None:
            lo, hi = int(MIN_AHEAD.total_seconds()), int(MAX_AHEAD.total_seconds())
            if not is_whole(in_seconds) or not lo <= in_seconds <= hi:
                raise invalid("in_seconds", f"must be a whole number of seconds from {lo} to {hi}")
            return now + timedelta(seconds=in_seconds)
        assert at is not None
        if at.tzinfo is None:
            raise invalid("at", "must have a time zone offset")
        if at < now + MIN_AHEAD - AT_SLACK:
            raise invalid("at", "must be at least 1 minute ahead")
        if at > now + MAX_AHEAD:
            raise invalid("at", "must be at most 6 hours ahead")
        return max(at, now + MIN_AHEAD - AT_SLACK)

    @staticmethod
    def _check_session(actor: Actor, live: LiveSession | None, session_id: int) -> None:
        if live is None:
            raise NotFound(f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND)
        if live.account_id != actor.account_id and not actor.acts_for_any_account:
            raise PermissionDenied(
                "This live session belongs to another account.", code=GeneralCode.FORBIDDEN
            )
        if live.ended_at is not None:
            raise Conflict(f"Live session #{session_id} has ended.", code=LiveCode.SESSION_ENDED)

    # --- reading and cancelling ------------------------------------------------------------

    async def list(self, actor: Actor, session_id: int) -> list[DropView]:
        """A session's drops, pending and past, in time order."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            if await repo.get_session(session, actor.shop_id, session_id) is None:
                raise NotFound(
                    f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND
                )
            rows = await repo.drops_of_session(session, [session_id])
        return [DropView.of(d) for d in rows]

    async def pending_of_own_session(self, actor: Actor) -> builtins.list[DropView]:
        """`/drops`: the pending drops of the caller's active session."""
        require(actor, Action.READ)
        if actor.account_id is None:
            return []
        async with self.db.read() as session:
            live = await repo.active_session_of_account(session, actor.account_id)
            if live is None:
                raise NotFound("You have no active live session.", code=LiveCode.NO_ACTIVE_SESSION)
            rows = await repo.drops_of_session(session, [row_id(live)], pending_only=True)
        return [DropView.of(d) for d in rows]

    async def get(self, actor: Actor, drop_id: int) -> DropView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            drop = await repo.get_drop(session, actor.shop_id, drop_id)
        if drop is None:
            raise NotFound(f"drop {drop_id} not found", code=LiveCode.DROP_NOT_FOUND)
        return DropView.of(drop)

    async def cancel(self, actor: Actor, drop_id: int) -> DropView:
        """A drop can be cancelled until it fires; cancelling it again answers the same."""
        require(actor, Action.RUN_LIVE)
        now = self.clock.now()
        async with self.db.write() as session:
            drop = await repo.get_drop(session, actor.shop_id, drop_id, lock=True)
            if drop is None:
                raise NotFound(f"drop {drop_id} not found", code=LiveCode.DROP_NOT_FOUND)
            live = await repo.get_session(session, actor.shop_id, drop.session_id)
            if (
                live is not None
                and live.account_id != actor.account_id
                and not actor.acts_for_any_account
            ):
                raise PermissionDenied(
                    "This drop belongs to another account's live session.",
                    code=GeneralCode.FORBIDDEN,
                )
            if drop.status not in ("pending", "cancelled"):
                raise Conflict(
                    f"This drop has already {drop.status}; only pending drops can be cancelled.",
                    code=LiveCode.DROP_NOT_PENDING,
                    status=drop.status,
                )
            if await repo.settle_drop(session, drop_id, "cancelled", now, reason="cancelled"):
                drop.status, drop.reason, drop.settled_at = "cancelled", "cancelled", now
                await events.emit(  # R-ev1
                    session,
                    actor.shop_id,
                    events.EventType.DROP_CANCELLED,
                    events.drop_data(drop),
                    now,
                    live_session_id=drop.session_id,
                )
        return DropView.of(drop)

    # --- firing (the leader's scheduler) ---------------------------------------------------

    async def owed(self) -> builtins.list[OwedDrop]:
        async with self.db.read() as session:
            rows = await repo.pending_drops(session)
        return [OwedDrop(row_id(d), d.at) for d in rows]

    async def fire(self, drop_id: int) -> bool:
        """Issues a due drop exactly as an immediate distribution would, once; True when this
        call settled it (fired or failed)."""
        now = self.clock.now()
        async with self.db.write() as session:
            drop = await repo.drop_for_firing(session, drop_id)
            if drop is None or drop.status != "pending" or drop.at > now:
                return False
            if not await repo.record_effect(session, f"drop:{drop_id}:settled", now):
                return False
            shop = await self._shop(session, drop.shop_id)
            owner = (
                await repo.get_account(session, drop.shop_id, drop.account_id)
                if drop.account_id is not None
                else None
            )
            actor = Actor(
                shop_id=drop.shop_id,
                role=Role(owner.role) if owner is not None else Role.PLATFORM,
                account_id=owner.id if owner is not None else None,
            )
            task = Task(TaskType(drop.task_type), drop.task_minutes)
            reason: str | None = None
            distribution_id: int | None = None
            try:
                async with session.begin_nested():
                    # A draw drop opens its draw now: the quota check of `winners` is made at
                    # this moment, like every other check (R-drop1, R-draw1).
                    draw_rule = None
                    if drop.mode == MODE_DRAW:
                        # a draw drop is stored with both figures (checked when scheduled)
                        assert drop.winners is not None and drop.entry_minutes is not None
                        draw_rule = DrawRequest(drop.winners, drop.entry_minutes)
                    d, _, _ = await self.live.distribute_in(
                        session, actor, drop.session_id, drop.voucher_id, task, now, draw_rule
                    )
                    distribution_id = d.id
            except IntegrityError:
                reason = "distribution_active"  # another distribution of it won the race
            except VoucherbotError as exc:
                reason = exc.code
            status = "failed" if reason else "fired"
            await repo.settle_drop(
                session, drop_id, status, now, reason=reason, distribution_id=distribution_id
            )
            drop.distribution_id = distribution_id  # what settle_drop wrote (for the event)
            await self._tell(session, shop, drop, owner, status, reason, now)
        return True

    async def _tell(
        self,
        session: AsyncSession,
        shop: Shop,
        drop: TimedDrop,
        owner: Account | None,
        status: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """The team hears of every drop fired or failed; the owner also hears of a failure
        (R-n1 style, through the outbox in this transaction)."""
        voucher = (await repo.vouchers_by_ids(session, [drop.voucher_id])).get(drop.voucher_id)
        voucher_html = (
            named_voucher(voucher.name, row_id(voucher))
            if voucher is not None
            else f"voucher #{drop.voucher_id}"
        )
        task = Task(TaskType(drop.task_type), drop.task_minutes)
        text = drop_settled_text(voucher_html, drop.session_id, task, status, reason)
        await events.emit(  # R-ev1
            session,
            drop.shop_id,
            events.EventType.DROP_FIRED if status == "fired" else events.EventType.DROP_FAILED,
            events.drop_data(drop, status=status, reason=reason),
            now,
            live_session_id=drop.session_id,
        )
        await notify(
            session,
            shop,
            event_key=f"drop:{drop.id}:{status}",
            kind=f"drop_{status}",
            text=text,
            now=now,
        )
        if status != "failed":
            return
        # The owner: the account that scheduled it, else (the platform did) the session's host.
        if owner is None:
            live = await repo.get_session(session, drop.shop_id, drop.session_id)
            owner = await repo.get_account(session, drop.shop_id, live.account_id) if live else None
        chat = private_chat(owner, shop)
        if chat is None:
            return
        await notify_person(
            session,
            shop,
            chat,
            event_key=f"drop:{drop.id}:failed:owner",
            kind="drop_failed",
            text=text,
            now=now,
            buttons=[[(label("📋 My drops"), "dp:list")]],
        )
