"""Live sessions, watch time, follows and distributions (R-live1…R-live4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, invalid
from core.ids import check_platform_id, normalize_handle, row_id
from core.notifications import (
    announce_opened,
    distribution_started_text,
    distribution_stopped_text,
    notify,
    session_ended_text,
    tell_drops_cancelled,
)
from core.refusal_codes import AccountCode, GeneralCode, LiveCode
from core.rules.claim_outcomes import RefusalCode
from core.rules.draws import MODE_DRAW, DrawCode, draw_close_by, validate_draw
from core.rules.live import Task, TaskType, follow_counts_as_new, validate_task
from core.rules.roles import Action, Actor
from core.rules.vouchers import Kind, Status, Warning, status_of
from core.services.base import Service, require
from core.services.beacon import BeaconFetcher
from core.services.draws import cancel_draw, open_draw
from core.values import is_whole_in
from core.views import DistributionView, SessionView
from storage import api_queries
from storage import draw_queries as dq
from storage import repositories as repo
from storage.models import (
    Account,
    Distribution,
    Draw,
    FollowEvent,
    LiveSession,
    Shop,
    TimedDrop,
    Voucher,
)

FOLLOW_MULTI_CLAIM = "follow_task_multiple_claims"
MAX_WATCH_SECONDS = 7 * 24 * 3600
FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class FollowResult:
    buyer_id: str
    host_handle: str
    following: bool
    counted: bool  # this event was a new follow (R-live2)


@dataclass(frozen=True)
class DrawRequest:
    """What makes a distribution a lucky draw (R-draw1), checked by `validate_draw`."""

    winners: int
    entry_minutes: int


async def stop_distribution_row(
    session: AsyncSession,
    shop: Shop,
    d: Distribution,
    now: datetime,
    reason: str,
    by: Account | None,
) -> bool:
    """Stops one distribution and tells the team; False when it was already stopped."""
    if not await repo.stop_distribution(session, row_id(d), now, reason):
        return False
    await events.emit(  # R-ev1
        session,
        row_id(shop),
        events.EventType.DISTRIBUTION_STOPPED,
        events.stopped_data(d, reason),
        now,
        live_session_id=d.session_id,
    )
    # R-draw2: a draw stopped before its close is cancelled; its own message says it all.
    if await cancel_draw(session, shop, d, now, reason, by):
        return True
    voucher = await repo.get_voucher(session, row_id(shop), d.voucher_id)
    assert voucher is not None, "a distribution's voucher is never deleted"
    task = Task(TaskType(d.task_type), d.task_minutes)
    await notify(
        session,
        shop,
        event_key=f"distribution:{d.id}:stopped",
        kind="distribution_stopped",
        text=distribution_stopped_text(voucher, task, reason, by),
        now=now,
    )
    return True


async def stop_account_activity(
    session: AsyncSession, shop: Shop, account: Account, now: datetime, *, reason: str
) -> None:
    """R-acc3: an unlinked account's sessions end and its distributions stop."""
    async with events.deferred(session):  # R-ev1: the event counter is locked last
        await _stop_account_activity(session, shop, account, now, reason=reason)


async def _stop_account_activity(
    session: AsyncSession, shop: Shop, account: Account, now: datetime, *, reason: str
) -> None:
    live = await repo.active_session_of_account(session, row_id(account))
    if live is not None:  # R-drop1: first, so a drop firing meanwhile is stopped below
        cancelled = await repo.cancel_pending_drops(session, row_id(live), now, "session_ended")
        await events.emit_drops_cancelled(session, row_id(shop), cancelled, now)
    for d in await repo.active_distributions(session, account_id=account.id):
        await stop_distribution_row(session, shop, d, now, reason, account)
    if live is not None and await repo.end_session(session, row_id(live), now):
        live.ended_at = now
        await events.emit(  # R-ev1
            session,
            row_id(shop),
            events.EventType.LIVE_SESSION_ENDED,
            events.session_data(live),
            now,
            live_session_id=live.id,
        )


class LiveService(Service):
    # R-draw4: the drand mirrors (None: seed-only draws); set by Services.build.
    beacon: BeaconFetcher | None = None
    verify_base: str | None = None  # PUBLIC_BASE_URL, for the draw notices' /verify links

    # --- sessions --------------------------------------------------------------------------

    async def start_session(self, actor: Actor, account_id: int | None = None) -> SessionView:
        require(actor, Action.RUN_LIVE)
        target = account_id if account_id is not None else actor.account_id
        if target is None:
            raise invalid("account_id", "is required")
        if target != actor.account_id and not actor.acts_for_any_account:
            raise PermissionDenied(
                "You can only start your own live session.", code=GeneralCode.FORBIDDEN
            )
        now = self.clock.now()
        try:
            async with self.db.write() as session:
                account = await repo.get_account(session, actor.shop_id, target)
                if account is None or account.unlinked_at is not None:
                    raise NotFound(
                        f"account {target} not found", code=AccountCode.ACCOUNT_NOT_FOUND
                    )
                current = await repo.active_session_of_account(session, target)
                if current is not None:
                    raise Conflict(
                        f"Live session #{current.id} is already active for this account.",
                        code=LiveCode.SESSION_ACTIVE,
                        session_id=current.id,
                    )
                live = LiveSession(shop_id=actor.shop_id, account_id=target, started_at=now)
                session.add(live)
                await session.flush()
                await events.emit(  # R-ev1
                    session,
                    actor.shop_id,
                    events.EventType.LIVE_SESSION_STARTED,
                    events.session_data(live),
                    now,
                    live_session_id=live.id,
                )
        except IntegrityError as exc:  # two starts raced: the index keeps one
            raise Conflict(
                "A live session is already active for this account.", code=LiveCode.SESSION_ACTIVE
            ) from exc
        return SessionView.of(live)

    async def _session_for(
        self, session: AsyncSession, actor: Actor, session_id: int
    ) -> LiveSession:
        live = await repo.get_session(session, actor.shop_id, session_id)
        if live is None:
            raise NotFound(f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND)
        if live.account_id != actor.account_id and not actor.acts_for_any_account:
            raise PermissionDenied(
                "This live session belongs to another account.", code=GeneralCode.FORBIDDEN
            )
        return live

    async def end_session(self, actor: Actor, session_id: int) -> SessionView:
        """R-live1: ending a session stops its distributions; the team gets its claims."""
        require(actor, Action.RUN_LIVE)
        now = self.clock.now()
        async with self.db.write() as session:
            live = await self._session_for(session, actor, session_id)
            shop = await self._shop(session, actor.shop_id)
            if live.ended_at is None:
                async with events.deferred(session):  # R-ev1: the counter is locked last
                    by = await repo.get_account(session, actor.shop_id, live.account_id)
                    # R-drop1: pending drops first; one firing right now (its row locked) is
                    # waited for, and the distribution it made is stopped with the others.
                    cancelled = await repo.cancel_pending_drops(
                        session, session_id, now, "session_ended"
                    )
                    await events.emit_drops_cancelled(session, actor.shop_id, cancelled, now)
                    for d in await repo.active_distributions(session, session_ids=[session_id]):
                        await stop_distribution_row(session, shop, d, now, "session_ended", by)
                    await repo.end_session(session, session_id, now)
                    live.ended_at = now
                    claims = await repo.claims_in_session(session, session_id)
                    minutes = int((now - live.started_at).total_seconds() // 60)
                    await events.emit(  # R-ev1
                        session,
                        actor.shop_id,
                        events.EventType.LIVE_SESSION_ENDED,
                        events.session_data(live, claims=claims),
                        now,
                        live_session_id=session_id,
                    )
                    await notify(
                        session,
                        shop,
                        event_key=f"session:{session_id}:ended",
                        kind="session_ended",
                        text=session_ended_text(session_id, by, minutes, claims),
                        now=now,
                    )
                    if cancelled:
                        await tell_drops_cancelled(
                            session, shop, session_id, by, len(cancelled), now
                        )
            else:
                claims = await repo.claims_in_session(session, session_id)
            return SessionView.of(live, claims=claims)

    async def end_own_session(self, actor: Actor) -> SessionView:
        current = await self.active_session(actor)
        if current is None:
            raise NotFound("You have no active live session.", code=LiveCode.NO_ACTIVE_SESSION)
        return await self.end_session(actor, current.id)

    async def active_session(
        self, actor: Actor, account_id: int | None = None
    ) -> SessionView | None:
        require(actor, Action.READ)
        target = account_id if account_id is not None else actor.account_id
        if target is None:
            return None
        async with self.db.read() as session:
            live = await repo.active_session_of_account(session, target)
            if live is None or live.shop_id != actor.shop_id:
                return None
            dists = await repo.active_distributions(session, session_ids=[row_id(live)])
            drops = await repo.drops_of_session(session, [row_id(live)], pending_only=True)
            draws = await dq.draws_of(session, [row_id(d) for d in dists])
        return SessionView.of(live, dists, drops=drops, draws=draws)

    async def get_session(self, actor: Actor, session_id: int) -> SessionView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            live = await repo.get_session(session, actor.shop_id, session_id)
            if live is None:
                raise NotFound(
                    f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND
                )
            dists = await repo.active_distributions(session, session_ids=[session_id])
            drops = await repo.drops_of_session(session, [session_id], pending_only=True)
            draws = await dq.draws_of(session, [row_id(d) for d in dists])
            claims = await repo.claims_in_session(session, session_id)
        return SessionView.of(live, dists, claims=claims, drops=drops, draws=draws)

    async def list_sessions(
        self,
        actor: Actor,
        *,
        active: bool | None = None,
        limit: int = 50,
        after_id: int | None = None,
    ) -> list[SessionView]:
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await repo.list_sessions(
                session, actor.shop_id, active=active, limit=limit, after_id=after_id
            )
            dists = await repo.active_distributions(session, session_ids=[row_id(s) for s in rows])
            drops = await repo.drops_of_session(
                session, [row_id(s) for s in rows], pending_only=True
            )
            draws = await dq.draws_of(session, [row_id(d) for d in dists])
            claims = await api_queries.claims_per_session(session, [row_id(s) for s in rows])
        by_session: dict[int, list[Distribution]] = {}
        for d in dists:
            by_session.setdefault(d.session_id, []).append(d)
        drops_by: dict[int, list[TimedDrop]] = {}
        for dr in drops:
            drops_by.setdefault(dr.session_id, []).append(dr)
        return [
            SessionView.of(
                s,
                by_session.get(row_id(s), []),
                claims=claims.get(row_id(s), 0),
                drops=drops_by.get(row_id(s), []),
                draws=draws,
            )
            for s in rows
        ]

    # --- what the platform reports ---------------------------------------------------------

    async def record_watch(
        self, shop_id: int, session_id: int, buyer_id: str, watched_seconds: int
    ) -> int:
        """Cumulative watch time of a viewer in a session, kept as the maximum reported."""
        check_platform_id(buyer_id, "buyer_id")
        if not is_whole_in(watched_seconds, 0, MAX_WATCH_SECONDS):
            raise invalid("watched_seconds", f"must be a whole number 0–{MAX_WATCH_SECONDS}")
        now = self.clock.now()
        async with self.db.write() as session:
            if await repo.get_session(session, shop_id, session_id) is None:
                raise NotFound(
                    f"live session {session_id} not found", code=LiveCode.SESSION_NOT_FOUND
                )
            return await repo.record_watch(session, session_id, buyer_id, watched_seconds, now)

    async def record_follow(
        self,
        shop_id: int,
        buyer_id: str,
        host_handle: str,
        action: str,
        at: datetime | None = None,
    ) -> FollowResult:
        check_platform_id(buyer_id, "buyer_id")
        host = normalize_handle(host_handle, "host_handle")
        if action not in ("follow", "unfollow"):
            raise invalid("action", "must be 'follow' or 'unfollow'")
        now = self.clock.now()
        at = at or now
        if at.tzinfo is None:
            raise invalid("at", "must have an offset")
        if at > now + FUTURE_SKEW:
            raise invalid("at", "must not be in the future")
        async with self.db.write() as session:
            if await repo.account_by_handle(session, shop_id, host) is None:
                # R-api2: a follow of nobody in this shop counts nothing.
                raise NotFound(
                    f"No account has the handle {host}.", code=AccountCode.ACCOUNT_NOT_FOUND
                )
            counted = False
            if action == "follow":
                last = await repo.last_counted_follow(session, shop_id, host, buyer_id, before=at)
                counted = follow_counts_as_new(at, last)
            session.add(
                FollowEvent(
                    shop_id=shop_id,
                    host_handle=host,
                    buyer_id=buyer_id,
                    action=action,
                    at=at,
                    counted=counted,
                )
            )
            await session.flush()
            latest = await repo.latest_follow_event(session, shop_id, host, buyer_id)
        return FollowResult(
            buyer_id, host, latest is not None and latest.action == "follow", counted
        )

    # --- distributions ---------------------------------------------------------------------

    async def issue(
        self,
        actor: Actor,
        session_id: int,
        voucher_id: int,
        task_type: str,
        minutes: int | None = None,
        *,
        mode: str | None = None,
        winners: int | None = None,
        entry_minutes: int | None = None,
    ) -> DistributionView:
        """R-live2/R-live3: one ongoing LIVE voucher, one task, inside an active session;
        R-draw1: as a lucky draw with `mode="draw"`, `winners` and `entry_minutes`."""
        require(actor, Action.RUN_LIVE)
        errors = validate_task(task_type, minutes) + validate_draw(mode, winners, entry_minutes)
        if errors:
            raise ValidationFailed(errors)
        task = Task(TaskType(task_type), minutes if task_type == TaskType.WATCH else None)
        draw_rule = None
        if mode == MODE_DRAW:
            # validate_draw above refused a draw without both figures
            assert winners is not None and entry_minutes is not None
            draw_rule = DrawRequest(winners, entry_minutes)
        now = self.clock.now()
        try:
            async with self.db.write() as session:
                d, voucher, draw = await self.distribute_in(
                    session, actor, session_id, voucher_id, task, now, draw_rule
                )
        except IntegrityError as exc:
            raise Conflict(
                "This voucher is already being distributed.", code=LiveCode.DISTRIBUTION_ACTIVE
            ) from exc
        warnings: tuple[Warning, ...] = ()
        if task.type == TaskType.FOLLOW and voucher.per_customer_limit > 1:
            warnings = (
                Warning(
                    FOLLOW_MULTI_CLAIM,
                    f"This voucher allows {voucher.per_customer_limit} claims per customer: with a "
                    "Follow task, 1 is recommended so viewers can't re-follow to claim again.",
                ),
            )
        return DistributionView.of(d, warnings, draw)

    async def distribute_in(
        self,
        session: AsyncSession,
        actor: Actor,
        session_id: int,
        voucher_id: int,
        task: Task,
        now: datetime,
        draw_rule: DrawRequest | None = None,
    ) -> tuple[Distribution, Voucher, Draw | None]:
        """Every R-live2/R-live3 check and the distribution, in the caller's transaction: an
        immediate issue and a timed drop firing (R-drop1) make the same checks at `now`;
        with `draw_rule`, the distribution is a lucky draw (R-draw1)."""
        live = await self._session_for(session, actor, session_id)
        if live.ended_at is not None:
            raise Conflict(f"Live session #{session_id} has ended.", code=LiveCode.SESSION_ENDED)
        voucher = await self._voucher(session, actor.shop_id, voucher_id)
        if voucher.kind != Kind.LIVE:
            raise Conflict(
                "Only LIVE vouchers can be distributed in a live session.",
                code=LiveCode.NOT_LIVE_VOUCHER,
            )
        status = status_of(voucher.starts_at, voucher.ends_at, voucher.deactivated_at, now)
        if status != Status.ONGOING:
            raise Conflict(
                f"Only ongoing vouchers can be distributed; this one is {status.value}.",
                code=LiveCode.NOT_DISTRIBUTABLE,
                status=status.value,
            )
        if voucher.claimed >= voucher.total_quantity:
            raise Conflict(
                "This voucher is sold out: add quantity first.", code=RefusalCode.SOLD_OUT
            )
        remaining = voucher.total_quantity - voucher.claimed
        if draw_rule is not None and draw_rule.winners > remaining:
            raise ValidationFailed(
                validate_draw(MODE_DRAW, draw_rule.winners, draw_rule.entry_minutes, remaining)
            )
        if draw_rule is not None:
            close_by = draw_close_by(voucher.ends_at)
            if now + timedelta(minutes=draw_rule.entry_minutes) > close_by:
                shop = await self._shop(session, actor.shop_id)
                raise Conflict(
                    "This draw's entries would close after the voucher's claim period can "
                    f"still give its prizes: entries must close by {close_by.isoformat()}.",
                    code=DrawCode.DRAW_OUTLIVES_VOUCHER,
                    params={"timezone": shop.timezone},
                    close_by=close_by.isoformat(),
                    max_entry_minutes=max(int((close_by - now).total_seconds() // 60), 0),
                )
        current = await repo.active_distribution_of_voucher(session, voucher_id)
        if current is not None:
            running = Task(TaskType(current.task_type), current.task_minutes)
            raise Conflict(
                f"This voucher is already being distributed ({running.describe()}, "
                f"session #{current.session_id}): stop it first to change the task.",
                code=LiveCode.DISTRIBUTION_ACTIVE,
                distribution_id=current.id,
            )
        d = Distribution(
            shop_id=actor.shop_id,
            voucher_id=voucher_id,
            session_id=session_id,
            account_id=live.account_id,
            task_type=task.type.value,
            task_minutes=task.minutes,
            started_at=now,
        )
        session.add(d)
        await session.flush()
        shop = await self._shop(session, actor.shop_id)
        host = await repo.get_account(session, actor.shop_id, live.account_id)
        # The team reads "Claim period opened" before "is distributing" (R-n1).
        await announce_opened(session, shop, voucher, now)
        if draw_rule is not None:  # the draw's own message tells the team (R-draw3)
            draw = await open_draw(
                session,
                shop,
                voucher,
                d,
                winners=draw_rule.winners,
                entry_minutes=draw_rule.entry_minutes,
                host=host,
                now=now,
                beacon=self.beacon is not None,
                verify_base=self.verify_base,
            )
            await events.emit(  # R-ev1
                session,
                actor.shop_id,
                events.EventType.DISTRIBUTION_STARTED,
                events.distribution_data(d, voucher, draw=draw),
                now,
                live_session_id=session_id,
            )
            return d, voucher, draw
        await events.emit(  # R-ev1
            session,
            actor.shop_id,
            events.EventType.DISTRIBUTION_STARTED,
            events.distribution_data(d, voucher),
            now,
            live_session_id=session_id,
        )
        await notify(
            session,
            shop,
            event_key=f"distribution:{d.id}:started",
            kind="distribution_started",
            text=distribution_started_text(host, voucher, session_id, task),
            now=now,
        )
        return d, voucher, None

    async def stop(self, actor: Actor, distribution_id: int) -> DistributionView:
        require(actor, Action.RUN_LIVE)
        now = self.clock.now()
        async with self.db.write() as session:
            d = await repo.get_distribution(session, actor.shop_id, distribution_id)
            if d is None:
                raise NotFound(
                    f"distribution {distribution_id} not found",
                    code=LiveCode.DISTRIBUTION_NOT_FOUND,
                )
            await self._session_for(session, actor, d.session_id)
            if d.stopped_at is None:
                shop = await self._shop(session, actor.shop_id)
                by = await self._account(session, actor)
                await stop_distribution_row(session, shop, d, now, "stopped", by)
                d.stopped_at, d.stop_reason = now, "stopped"
            return DistributionView.of(d, draw=await dq.draw_of(session, distribution_id))

    async def stop_voucher(self, actor: Actor, voucher_id: int) -> DistributionView:
        """`/stop <voucher id>`: the voucher's active distribution."""
        require(actor, Action.RUN_LIVE)
        async with self.db.read() as session:
            await self._voucher(session, actor.shop_id, voucher_id)
            d = await repo.active_distribution_of_voucher(session, voucher_id)
        if d is None:
            raise NotFound(
                "This voucher is not being distributed.", code=RefusalCode.NO_ACTIVE_DISTRIBUTION
            )
        return await self.stop(actor, row_id(d))

    async def get_distribution(self, actor: Actor, distribution_id: int) -> DistributionView:
        """R-api4: a distribution, stopped ones too."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            d = await repo.get_distribution(session, actor.shop_id, distribution_id)
            if d is None:
                raise NotFound(
                    f"distribution {distribution_id} not found",
                    code=LiveCode.DISTRIBUTION_NOT_FOUND,
                )
            return DistributionView.of(d, draw=await dq.draw_of(session, distribution_id))

    async def distributions(self, actor: Actor) -> list[DistributionView]:
        """The shop's active distributions."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await repo.active_distributions(session, shop_id=actor.shop_id)
        return [DistributionView.of(d) for d in rows]
