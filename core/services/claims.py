"""Claiming vouchers (R-c1…R-c3, R-v12).

A claim is checked in R-c1's order on a read-only snapshot first, so the common refusals of a
rush (over the limit, sold out) cost no write. What passes takes, in one short write
transaction, the buyer's per-customer counter and one unit of quota, each by a conditional
update that re-checks its limit under the row lock, then inserts the claim. Nothing is read
under those locks that could have been read before them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ClaimRefused, Conflict, invalid
from core.ids import check_platform_id
from core.notifications import notify, quota_text
from core.rules.live import TaskType, follow_qualifies, missing_watch_seconds
from core.rules.roles import Action, Actor
from core.rules.vouchers import Kind, Status, status_of
from core.services.base import Service, require
from core.views import ClaimView, claim_deadline
from storage import repositories as repo
from storage.models import Claim, Distribution, Voucher

CLAIM_STATUSES = ("claimed", "redeemed", "expired", "void")
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True)
class _Admitted:
    voucher: Voucher
    distribution: Distribution | None


class ClaimService(Service):
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
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise invalid("Idempotency-Key", f"must be 1–{MAX_IDEMPOTENCY_KEY} characters")
        if idempotency_key is not None:
            first = await self._replay(shop_id, idempotency_key, voucher_id, buyer_id)
            if first is not None:
                return first
        admitted = await self._admit(shop_id, voucher_id, buyer_id, session_id)
        try:
            return await self._take(shop_id, admitted, buyer_id, idempotency_key)
        except IntegrityError:
            # The same Idempotency-Key won a race in another request: its claim is the answer.
            first = await self._replay(shop_id, idempotency_key or "", voucher_id, buyer_id)
            if first is None:
                raise
            return first

    async def _replay(
        self, shop_id: int, key: str, voucher_id: int, buyer_id: str
    ) -> ClaimView | None:
        """R-c2: the first result of a key, or None when the key is new."""
        async with self.db.read() as session:
            claim = await repo.claim_by_idempotency_key(session, shop_id, key)
        if claim is None:
            return None
        if claim.voucher_id != voucher_id or claim.buyer_id != buyer_id:
            raise Conflict(
                "This Idempotency-Key was used for another claim.", code="idempotency_key_reused"
            )
        return ClaimView.of(claim, self.clock.now())

    async def _admit(
        self, shop_id: int, voucher_id: int, buyer_id: str, session_id: int | None
    ) -> _Admitted:
        """R-c1, in order, on a snapshot; the write re-checks what can change meanwhile."""
        now = self.clock.now()
        async with self.db.read() as session:
            voucher = await repo.get_voucher(session, shop_id, voucher_id)
            if voucher is None:
                raise ClaimRefused(f"Voucher {voucher_id} not found.", code="voucher_not_found")
            status = status_of(voucher.starts_at, voucher.ends_at, voucher.deactivated_at, now)
            if status != Status.ONGOING:
                raise ClaimRefused(
                    f"This voucher is {status.value}.", code="not_claimable", status=status.value
                )
            distribution = None
            if voucher.kind == Kind.LIVE:
                distribution = await self._distribution(session, voucher, session_id)
                await self._check_task(session, shop_id, distribution, buyer_id)
            claims = await repo.buyer_claim_count(session, voucher_id, buyer_id)
            if claims >= voucher.per_customer_limit:
                raise ClaimRefused(
                    _limit_text(voucher.per_customer_limit),
                    code="limit_reached",
                    limit=voucher.per_customer_limit,
                )
            if voucher.claimed >= voucher.total_quantity:
                raise ClaimRefused("This voucher is sold out.", code="sold_out")
        return _Admitted(voucher, distribution)

    async def _distribution(
        self, session: AsyncSession, voucher: Voucher, session_id: int | None
    ) -> Distribution:
        active = await repo.active_distribution_of_voucher(session, voucher.id)  # type: ignore[arg-type]
        if active is None or (session_id is not None and active.session_id != session_id):
            where = f" in live session #{session_id}" if session_id is not None else ""
            raise ClaimRefused(
                f"This LIVE voucher is not being distributed{where}.", code="no_active_distribution"
            )
        return active

    async def _check_task(
        self, session: AsyncSession, shop_id: int, d: Distribution, buyer_id: str
    ) -> None:
        if d.task_type == TaskType.WATCH:
            watched = await repo.watched_seconds(session, d.session_id, buyer_id)
            missing = missing_watch_seconds(d.task_minutes or 0, watched)
            if missing:
                raise ClaimRefused(
                    f"Watch {_duration(missing)} more of this live to claim.",
                    code="task_not_met",
                    task="watch",
                    missing_seconds=missing,
                    watched_seconds=watched,
                )
        elif d.task_type == TaskType.FOLLOW:
            live = await repo.get_session(session, shop_id, d.session_id)
            host = await repo.get_account(session, shop_id, live.account_id)  # type: ignore[union-attr]
            handle = host.platform_handle if host else None
            qualifies = False
            if handle:
                latest = await repo.latest_follow_event(session, shop_id, handle, buyer_id)
                last_counted = await repo.last_counted_follow(session, shop_id, handle, buyer_id)
                following = latest is not None and latest.action == "follow"
                qualifies = follow_qualifies(following, last_counted, self.clock.now())
            if not qualifies:
                raise ClaimRefused(
                    "A new follow of the host (within the last 30 days) is needed to claim.",
                    code="task_not_met",
                    task="follow",
                    needs_new_follow=True,
                )

    async def _take(
        self, shop_id: int, admitted: _Admitted, buyer_id: str, idempotency_key: str | None
    ) -> ClaimView:
        voucher, d = admitted.voucher, admitted.distribution
        now = self.clock.now()
        async with self.db.write() as session:
            if not await repo.bump_buyer_claims(
                session,
                voucher.id,
                buyer_id,
                voucher.per_customer_limit,  # type: ignore[arg-type]
            ):
                raise ClaimRefused(
                    _limit_text(voucher.per_customer_limit),
                    code="limit_reached",
                    limit=voucher.per_customer_limit,
                )
            taken = await repo.take_quota(session, voucher.id, now)  # type: ignore[arg-type]
            if taken is None:
                raise await self._why_not_taken(session, shop_id, voucher.id, now)  # type: ignore[arg-type]
            claim = Claim(
                shop_id=shop_id,
                voucher_id=voucher.id,  # type: ignore[arg-type]
                buyer_id=buyer_id,
                session_id=d.session_id if d else None,
                distribution_id=d.id if d else None,
                account_id=d.account_id if d else None,
                claimed_at=now,
                redeem_until=claim_deadline(voucher, now),
                idempotency_key=idempotency_key,
            )
            session.add(claim)
            await session.flush()
            await self._quota_notice(session, shop_id, voucher, *taken)
        return ClaimView.of(claim, now)

    async def _why_not_taken(
        self, session: AsyncSession, shop_id: int, voucher_id: int, now
    ) -> ClaimRefused:  # type: ignore[no-untyped-def]
        fresh = await repo.get_voucher(session, shop_id, voucher_id)
        status = status_of(fresh.starts_at, fresh.ends_at, fresh.deactivated_at, now)  # type: ignore[union-attr]
        if status != Status.ONGOING:
            return ClaimRefused(
                f"This voucher is {status.value}.", code="not_claimable", status=status.value
            )
        return ClaimRefused("This voucher is sold out.", code="sold_out")

    async def _quota_notice(
        self, session: AsyncSession, shop_id: int, voucher: Voucher, claimed: int, total: int
    ) -> None:
        """R-n1: the claim that crosses 80% and the one that sells out tell the team once."""
        crossed_80 = claimed * 5 >= total * 4 > (claimed - 1) * 5
        if claimed != total and not crossed_80:
            return
        kind = "sold_out" if claimed == total else "quota_80"
        shop = await self._shop(session, shop_id)
        await notify(
            session,
            shop,
            event_key=f"voucher:{voucher.id}:{kind}:{total}",
            kind=kind,
            text=quota_text(voucher, claimed, total),
            now=self.clock.now(),
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
            from core.errors import NotFound

            raise NotFound(f"claim {claim_id} not found", code="claim_not_found")
        return ClaimView.of(claim, self.clock.now())

    async def expire_due(self, voucher_id: int | None = None) -> int:
        """R-c3: claims past redeem_until become expired (status is already read as expired;
        this makes the stored record agree)."""
        async with self.db.write() as session:
            return await repo.expire_claims(session, self.clock.now(), voucher_id)


def _limit_text(limit: int) -> str:
    return f"You have already claimed this voucher {'once' if limit == 1 else f'{limit} times'}."


def _duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    if minutes and secs:
        return f"{minutes} min {secs} s"
    return f"{minutes} min" if minutes else f"{secs} s"
