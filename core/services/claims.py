"""Claiming vouchers (R-c1…R-c3, R-v5, R-v12, R-scale1).

R-c1's checks run in order before anything is written: the voucher (from `ClaimCache`, kept
coherent with every process's changes, R-scale1), its status, the live distribution (from
`LiveClaimCache`, as coherent) and task, then the per-customer limit and the quota. A rush's
refusals — over the limit, sold out — are answered from memory (`ClaimCache` says why that is
safe). What passes goes to the claim store (`storage.claim_store`), which takes the buyer's
counter and one unit of quota under their row locks, inserts the claim and writes the quota
notice core prepared, in one transaction; its answer is the final word, whatever the cache said.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.errors import ClaimRefused, Conflict, NotFound, invalid
from core.ids import check_platform_id, row_id
from core.notifications import notification_row, quota_text
from core.refusal_codes import GeneralCode, LiveCode, OrderCode
from core.rules.claim_outcomes import RefusalCode, TakeOutcome
from core.rules.live import TaskType, follow_qualifies, missing_watch_seconds
from core.rules.roles import Action, Actor
from core.rules.targeting import Segment, SegmentWindows, segment_met
from core.rules.vouchers import Kind, Status, claim_redeem_until, status_of
from core.services.base import Service, require
from core.services.buyer_histories import BuyerHistories, Instants
from core.services.claim_cache import ClaimCache, ClaimTarget
from core.services.live_claim_cache import LiveClaimCache, LiveTarget
from core.services.promo_codes import voucher_of_code
from core.views import ClaimView, effective_claim_status
from storage import draw_queries
from storage import repositories as repo
from storage.claim_store import (
    ClaimStore,
    PreparedNotice,
    TakeRequest,
    TakeResult,
)
from storage.models import Distribution

CLAIM_STATUSES = ("claimed", "redeemed", "expired", "void")
MAX_IDEMPOTENCY_KEY = 255
# R-draw5: the service's own idempotency keys (a draw winner's claim) start with this mark, a
# control character no client key may contain (an HTTP field value cannot carry one either),
# so no client's Idempotency-Key can ever be one of the service's.
SERVICE_KEY_MARK = "\x1f"


def service_key(name: str) -> str:
    """The service's own idempotency key `name`, apart from every client's (R-draw5)."""
    return SERVICE_KEY_MARK + name


def _client_key_ok(key: str) -> bool:
    return 1 <= len(key) <= MAX_IDEMPOTENCY_KEY and all(ch >= " " and ch != "\x7f" for ch in key)


# Above this quantity the buyers at their limit of a sold-out voucher are not kept in memory;
# each refusal then reads the one buyer's counter instead.
SOLD_OUT_SET_MAX = 100_000


@dataclass
class ClaimService(Service):
    cache: ClaimCache = field(default_factory=ClaimCache)
    # Built and closed by whoever built the services (`storage.resources.Resources`).
    store: ClaimStore = field(kw_only=True)
    # R-seg's memory of buyers; the change feed it listens to is subscribed by the builder.
    histories: BuyerHistories = field(kw_only=True, default_factory=BuyerHistories)
    # R-live3: the vouchers' active distributions (wired to the change feed by `Services`).
    live_cache: LiveClaimCache = field(kw_only=True)

    def __post_init__(self) -> None:
        self.cache.load_target = self._load_target
        self.cache.load_sold_out_buyers = self._load_sold_out
        self.histories.load_shop = self._load_shop_histories
        self.histories.load_buyer = self._load_buyer_history
        self.live_cache.load = self._load_live

    async def claim(
        self,
        shop_id: int,
        voucher_id: int,
        buyer_id: str,
        *,
        session_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> ClaimView:
        check_platform_id(buyer_id, "buyer_id")
        if idempotency_key is not None:
            if not _client_key_ok(idempotency_key):
                raise invalid(
                    "Idempotency-Key",
                    f"must be 1–{MAX_IDEMPOTENCY_KEY} characters, none of them control characters",
                )
            first = await self._replay(
                shop_id, idempotency_key, voucher_id, buyer_id, session_id=session_id
            )
            if first is not None:
                return first
        target = await self._target(shop_id, voucher_id)
        now = self.clock.now()
        status = status_of(target.starts_at, target.ends_at, target.deactivated_at, now)
        if status != Status.ONGOING:
            raise _not_claimable(status)
        distribution = None
        if target.kind == Kind.LIVE:
            distribution = await self._live_check(target, buyer_id, session_id)
        if target.segment != Segment.ALL:
            await self._check_segment(target, buyer_id, now)
        await self._refuse_from_memory(target, buyer_id)
        request = self._request(
            target,
            buyer_id,
            now,
            session_id=distribution.session_id if distribution else None,
            distribution_id=distribution.id if distribution else None,
            account_id=distribution.account_id if distribution else None,
            idempotency_key=idempotency_key,
        )
        result = await self.store.take(request)
        return await self._settle(target, request, result)

    async def claim_by_code(
        self,
        shop_id: int,
        code: object,
        buyer_id: str,
        *,
        key_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> ClaimView:
        """R-code: `POST /v1/claims {code, buyer_id}`; every R-c1 check applies after the
        code names its voucher (`code_not_found` otherwise, guessing slowed down)."""
        check_platform_id(buyer_id, "buyer_id")
        voucher_id = await voucher_of_code(self.db, self.clock, shop_id, code, buyer_id, key_id)
        return await self.claim(shop_id, voucher_id, buyer_id, idempotency_key=idempotency_key)

    async def would_refuse(self, shop_id: int, voucher_id: int, buyer_id: str) -> str | None:
        """R-c1's code for a claim of this voucher by this buyer now, read only (a quote with
        a promo code, R-code), or None when a claim would be made."""
        now = self.clock.now()
        try:
            target = await self._target(shop_id, voucher_id)
            status = status_of(target.starts_at, target.ends_at, target.deactivated_at, now)
            if status != Status.ONGOING:
                return RefusalCode.NOT_CLAIMABLE
            if target.segment != Segment.ALL:
                await self._check_segment(target, buyer_id, now)
        except ClaimRefused as exc:
            return exc.code
        async with self.db.read() as session:
            held = await repo.buyer_claim_count(session, voucher_id, buyer_id)
            v = await repo.get_voucher(session, shop_id, voucher_id)
        if v is None:
            return RefusalCode.VOUCHER_NOT_FOUND
        if held >= v.per_customer_limit:
            return RefusalCode.LIMIT_REACHED
        if v.claimed >= v.total_quantity:
            return RefusalCode.SOLD_OUT
        if v.budget is not None and v.budget_spent + v.budget_reserved + v.budget_hold > v.budget:
            return RefusalCode.BUDGET_SPENT
        return None

    async def award(
        self,
        shop_id: int,
        voucher_id: int,
        buyer_id: str,
        *,
        session_id: int,
        account_id: int,
        idempotency_key: str,
        replay: bool = True,
    ) -> ClaimView:
        """R-draw2: a draw winner's claim, given exactly as R-c1/R-v12 would give it now.
        The draw checked the task at entry; the voucher's status, the buyer's limit and the
        quota are checked here and again under the claim store's row locks. The claim is made
        without a distribution (the draw links it once the result is final); a repeat with the
        same key answers the first claim, so a resumed draw gives nobody a second one
        (`replay=False` skips that look-up for a draw made for the first time). The key is
        the service's own (`service_key`), never one a client could send (R-draw5)."""
        if not idempotency_key.startswith(SERVICE_KEY_MARK):
            raise ValueError("award takes a service key (service_key)")
        if replay:
            first = await self._replay(shop_id, idempotency_key, voucher_id, buyer_id)
            if first is not None:
                return first
        target = await self._target(shop_id, voucher_id)
        now = self.clock.now()
        status = status_of(target.starts_at, target.ends_at, target.deactivated_at, now)
        if status != Status.ONGOING:
            raise _not_claimable(status)
        if target.segment != Segment.ALL:
            await self._check_segment(target, buyer_id, now)
        await self._refuse_from_memory(target, buyer_id)
        request = self._request(
            target,
            buyer_id,
            now,
            session_id=session_id,
            distribution_id=None,
            account_id=account_id,
            idempotency_key=idempotency_key,
        )
        result = await self.store.take(request)
        return await self._settle(target, request, result)

    def _request(
        self,
        target: ClaimTarget,
        buyer_id: str,
        now: datetime,
        *,
        session_id: int | None,
        distribution_id: int | None,
        account_id: int | None,
        idempotency_key: str | None,
    ) -> TakeRequest:
        """What the claim store is asked to take, with the quota notices it may write."""
        return TakeRequest(
            shop_id=target.shop_id,
            voucher_id=target.voucher_id,
            buyer_id=buyer_id,
            per_customer_limit=target.per_customer_limit,
            now=now,
            redeem_until=claim_redeem_until(
                now, target.ends_at, target.redeem_until, target.valid_days
            ),
            session_id=session_id,
            distribution_id=distribution_id,
            account_id=account_id,
            idempotency_key=idempotency_key,
            notices=self._quota_notices(target, now),
            events=events.claim_events(
                target.shop_id, target.voucher_id, target.name, target.total_quantity
            ),
        )

    async def check_task(
        self, session: AsyncSession, shop_id: int, d: Distribution, buyer_id: str
    ) -> None:
        """R-c1's task check (`task_not_met`), for draw entries (R-draw1)."""
        await self._check_task(shop_id, _live_target(d, is_draw=True), buyer_id)

    # --- R-c2 ------------------------------------------------------------------------------

    async def _replay(
        self,
        shop_id: int,
        key: str,
        voucher_id: int,
        buyer_id: str,
        *,
        session_id: int | None = None,
    ) -> ClaimView | None:
        """The first result of a key, or None when the key is new. A repeat naming another
        voucher, buyer or live session is another request (R-c2: 409)."""
        first = self.cache.replay(shop_id, key)
        if not isinstance(first, ClaimView):
            async with self.db.read() as session:
                row = await repo.claim_by_idempotency_key(session, shop_id, key)
            if row is None:
                return None
            first = ClaimView.of(row, self.clock.now())
        other_session = session_id is not None and first.session_id != session_id
        if first.voucher_id != voucher_id or first.buyer_id != buyer_id or other_session:
            raise Conflict(
                "This Idempotency-Key was used for another claim.",
                code=OrderCode.IDEMPOTENCY_KEY_REUSED,
            )
        status = effective_claim_status(first, self.clock.now())
        return replace(first, status=status, replayed=True)

    # --- R-c1, in order ----------------------------------------------------------------------

    async def _target(self, shop_id: int, voucher_id: int) -> ClaimTarget:
        target = await self.cache.target(voucher_id)
        if target is None or target.shop_id != shop_id:
            raise ClaimRefused(
                f"Voucher {voucher_id} not found.", code=RefusalCode.VOUCHER_NOT_FOUND
            )
        return target

    # The cache's loaders (it owns when they run).
    async def _load_sold_out(self, target: ClaimTarget) -> frozenset[str]:
        async with self.db.read() as session:
            return frozenset(
                await repo.buyers_at_limit(session, target.voucher_id, target.per_customer_limit)
            )

    async def _load_target(self, voucher_id: int) -> ClaimTarget | None:
        async with self.db.read() as session:
            row = await repo.claim_target(session, voucher_id)
        return ClaimTarget(**row) if row else None

    async def _load_live(self, voucher_id: int) -> LiveTarget | None:
        """The live cache's loader: the voucher's active distribution (R-live3)."""
        async with self.db.read() as session:
            active = await repo.active_distribution_of_voucher(session, voucher_id)
            if active is None:
                return None
            draw = await draw_queries.is_draw(session, row_id(active))
        return _live_target(active, is_draw=draw)

    async def _live_check(
        self, target: ClaimTarget, buyer_id: str, session_id: int | None
    ) -> LiveTarget:
        """R-c1's distribution and task checks: the distribution from memory (`LiveClaimCache`
        says why that is safe), the viewer's task progress read fresh."""
        active = await self.live_cache.active(target.voucher_id)
        if active is None or (session_id is not None and active.session_id != session_id):
            where = f" in live session #{session_id}" if session_id is not None else ""
            raise ClaimRefused(
                f"This LIVE voucher is not being distributed{where}.",
                code=RefusalCode.NO_ACTIVE_DISTRIBUTION,
            )
        if active.is_draw:
            raise ClaimRefused(  # R-draw1: a draw gives its claims at the close
                "This LIVE voucher is given away in a lucky draw: enter the draw instead.",
                code=LiveCode.DRAW_ONLY,
                distribution_id=active.id,
            )
        await self._check_task(target.shop_id, active, buyer_id)
        return active

    async def _check_task(self, shop_id: int, d: LiveTarget, buyer_id: str) -> None:
        """R-live2, from one read on the claim store's connections (no ORM session)."""
        if d.task_type == TaskType.WATCH:
            if self.live_cache.watch_met(d.id, buyer_id):
                return  # watch time only grows: met once, met while the distribution lasts
            watched = await self.store.watched_seconds(d.session_id, buyer_id)
            missing = missing_watch_seconds(d.task_minutes or 0, watched)
            if missing:
                raise ClaimRefused(
                    f"Watch {_duration(missing)} more of this live to claim.",
                    code=RefusalCode.TASK_NOT_MET,
                    task="watch",
                    missing_seconds=missing,
                    watched_seconds=watched,
                )
            self.live_cache.mark_watch_met(d.id, buyer_id)
        elif d.task_type == TaskType.FOLLOW:
            following, last_counted = await self.store.follow_state(shop_id, d.session_id, buyer_id)
            if not follow_qualifies(following, last_counted, self.clock.now()):
                raise ClaimRefused(
                    "A new follow of the host (within the last 30 days) is needed to claim.",
                    code=RefusalCode.TASK_NOT_MET,
                    task="follow",
                    needs_new_follow=True,
                )

    async def _check_segment(self, target: ClaimTarget, buyer_id: str, now: datetime) -> None:
        """R-seg, after the task and before the limit, from memory (`BuyerHistories` says
        why that is safe). Judged before the claim store takes its locks: a claim changes
        neither the buyer's orders nor their follows, so nothing the store does can change
        the answer, and an order or a follow arriving meanwhile only moves the moment the
        segment was judged at."""
        history = await self.histories.of(target.shop_id, buyer_id)
        if not segment_met(target.segment, history, now, SegmentWindows(*target.windows)):
            raise ClaimRefused(
                f"This voucher is only for {target.segment.replace('_', ' ')}.",
                code=RefusalCode.SEGMENT_NOT_MET,
                segment=target.segment,
            )

    # The histories' loaders (they own when they run).
    async def _load_shop_histories(self, shop_id: int, limit: int) -> dict[str, Instants] | None:
        rows = await self.store.shop_histories(shop_id, limit)
        if rows is None:
            return None
        # One datetime object when the latest order is also the latest kept one (the usual
        # case): a kept buyer then costs about 250 bytes instead of 300.
        return {
            b: (latest, latest if kept == latest else kept, follow)
            for b, (latest, kept, follow) in rows.items()
        }

    async def _load_buyer_history(self, shop_id: int, buyer_id: str) -> Instants:
        return await self.store.buyer_history(shop_id, buyer_id)

    async def _refuse_from_memory(self, target: ClaimTarget, buyer_id: str) -> None:
        """limit_reached, then sold_out, without a write (R-c1 names the limit first)."""
        vid = target.voucher_id
        if self.cache.at_limit(vid, buyer_id):
            raise _limit_reached(target.per_customer_limit)
        if not target.sold_out:
            return
        if await self._at_limit_while_sold_out(target, buyer_id):
            self.cache.mark_at_limit(vid, buyer_id)
            raise _limit_reached(target.per_customer_limit)
        raise ClaimRefused("This voucher is sold out.", code=RefusalCode.SOLD_OUT)

    async def _at_limit_while_sold_out(self, target: ClaimTarget, buyer_id: str) -> bool:
        vid, total = target.voucher_id, target.total_quantity
        if total <= SOLD_OUT_SET_MAX:
            return buyer_id in await self.cache.sold_out_buyers(target)
        async with self.db.read() as session:
            claims = await repo.buyer_claim_count(session, vid, buyer_id)
        return claims >= target.per_customer_limit

    # --- the write's answer ------------------------------------------------------------------

    async def _settle(self, target: ClaimTarget, r: TakeRequest, result: TakeResult) -> ClaimView:
        vid = target.voucher_id
        if result.outcome == TakeOutcome.TAKEN:
            if result.total_quantity != target.total_quantity:
                await self._late_writes(target, r, result)
            self.cache.note_taken(vid, result.claimed or 0, result.total_quantity or 0)
            if (result.buyer_claims or 0) >= target.per_customer_limit:
                self.cache.mark_at_limit(vid, r.buyer_id)
            assert result.claim_id is not None, "a taken claim carries its id"
            view = ClaimView(
                id=result.claim_id,
                voucher_id=vid,
                buyer_id=r.buyer_id,
                session_id=r.session_id,
                distribution_id=r.distribution_id,
                account_id=r.account_id,
                claimed_at=r.now,
                redeem_until=r.redeem_until,
                status="claimed",
            )
            if r.idempotency_key is not None:
                self.cache.remember(r.shop_id, r.idempotency_key, view)
            return view
        if result.outcome == TakeOutcome.LIMIT_REACHED:
            self.cache.mark_at_limit(vid, r.buyer_id)
            raise _limit_reached(target.per_customer_limit)
        if result.outcome == TakeOutcome.DISTRIBUTION_STOPPED:
            raise ClaimRefused(
                "This LIVE voucher is not being distributed.",
                code=RefusalCode.NO_ACTIVE_DISTRIBUTION,
            )
        if result.outcome == TakeOutcome.DUPLICATE_KEY:
            # The same Idempotency-Key won a race in another request: its claim is the answer.
            first = await self._replay(r.shop_id, r.idempotency_key or "", vid, r.buyer_id)
            if first is None:
                raise Conflict(
                    "The claim could not be recorded; try again.", code=GeneralCode.CONFLICT
                )
            return first
        # a refused take carries the voucher as it is now, whose dates are never NULL
        assert result.starts_at is not None and result.ends_at is not None
        status = status_of(result.starts_at, result.ends_at, result.deactivated_at, r.now)
        if status != Status.ONGOING or result.deactivated_at is not None:
            self.cache.forget(vid)
            raise _not_claimable(status)
        self.cache.note_taken(vid, result.claimed or 0, result.total_quantity or 0)
        if result.budget_spent and (result.claimed or 0) < (result.total_quantity or 0):
            raise ClaimRefused("This voucher's budget is spent.", code=RefusalCode.BUDGET_SPENT)
        raise ClaimRefused("This voucher is sold out.", code=RefusalCode.SOLD_OUT)

    # --- R-n1 --------------------------------------------------------------------------------

    def _quota_notices(self, target: ClaimTarget, now: datetime) -> tuple[PreparedNotice, ...]:
        """R-n1: the claim that crosses 80% and the one that sells out tell the team once.
        Prepared here, as data (the claim numbers they belong to and their rows), so the
        store writes them in the claim's transaction without calling back into core."""
        return _quota_notices(target, target.total_quantity, now)

    async def _late_writes(self, target: ClaimTarget, r: TakeRequest, result: TakeResult) -> None:
        """The quantity was changed between the snapshot and the write, so no prepared notice
        or quota event matched the claim's numbers: write the ones it crossed now (R-n1,
        R-ev1; once-only by their keys). Rare, and one more transaction; every other claim's
        notice and events are written in its own transaction by the claim store."""
        claimed, total = result.claimed or 0, result.total_quantity or 0
        notices = [n for n in _quota_notices(target, total, r.now) if n.claimed == claimed]
        kind = events.quota_event(claimed, total)
        if not notices and kind is None:
            return
        async with self.db.write() as session:
            for notice in notices:
                await repo.add_notification(session, notice.row)
            if kind is not None:
                await events.emit(
                    session,
                    target.shop_id,
                    kind,
                    events.quota_data(target.voucher_id, target.name, claimed, total),
                    r.now,
                    live_session_id=r.session_id,
                    once_key=events.once_key(target.shop_id, target.voucher_id, kind, total),
                )

    async def wallet(
        self,
        actor: Actor,
        buyer_id: str,
        *,
        status: str | None = None,
        limit: int = 100,
        after_id: int | None = None,
    ) -> list[ClaimView]:
        """The buyer's claims, with statuses read from the clock (R-c3)."""
        require(actor, Action.READ)
        check_platform_id(buyer_id, "buyer_id")
        if status is not None and status not in CLAIM_STATUSES:
            raise invalid("status", f"must be one of {', '.join(CLAIM_STATUSES)}")
        now = self.clock.now()
        stored = {"expired": ["claimed", "expired"], "claimed": ["claimed"]}.get(
            status or "", [status] if status else None
        )
        async with self.db.read() as session:
            rows = await repo.buyer_claims(
                session, actor.shop_id, buyer_id, statuses=stored, limit=limit, after_id=after_id
            )
        views = [ClaimView.of(c, now) for c in rows]
        return [v for v in views if status is None or v.status == status]

    async def get(self, actor: Actor, claim_id: int) -> ClaimView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            claim = await repo.get_claim(session, actor.shop_id, claim_id)
        if claim is None:
            raise NotFound(f"claim {claim_id} not found", code=OrderCode.CLAIM_NOT_FOUND)
        return ClaimView.of(claim, self.clock.now())


def _quota_notices(target: ClaimTarget, total: int, now: datetime) -> tuple[PreparedNotice, ...]:
    if target.team_chat_id is None or total < 1:
        return ()
    eighty = (total * 4 + 4) // 5  # the first claim count with claimed * 5 >= total * 4
    notices = []
    for kind, claimed in (("quota_80", eighty), ("sold_out", total)):
        if kind == "quota_80" and eighty == total:
            continue  # the claim that sells out says so (as before)
        row = notification_row(
            target.shop_id,
            target.team_chat_id,
            event_key=f"voucher:{target.voucher_id}:{kind}:{total}",
            kind=kind,
            text=quota_text(target.name, target.voucher_id, claimed, total),
            now=now,
        )
        notices.append(PreparedNotice(claimed, total, row))
    return tuple(notices)


def _live_target(d: Distribution, *, is_draw: bool) -> LiveTarget:
    return LiveTarget(
        id=row_id(d),
        voucher_id=d.voucher_id,
        session_id=d.session_id,
        account_id=d.account_id,
        task_type=d.task_type,
        task_minutes=d.task_minutes,
        is_draw=is_draw,
    )


def _limit_reached(limit: int) -> ClaimRefused:
    return ClaimRefused(_limit_text(limit), code=RefusalCode.LIMIT_REACHED, limit=limit)


def _not_claimable(status: Status) -> ClaimRefused:
    return ClaimRefused(
        f"This voucher is {status.value}.", code=RefusalCode.NOT_CLAIMABLE, status=status.value
    )


def _limit_text(limit: int) -> str:
    return f"You have already claimed this voucher {'once' if limit == 1 else f'{limit} times'}."


def _duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    if minutes and secs:
        return f"{minutes} min {secs} s"
    return f"{minutes} min" if minutes else f"{secs} s"
