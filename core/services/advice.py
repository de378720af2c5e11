"""`/advice` (R-adv1, R-adv2) and the LIVE-voucher warning at creation.

What the adapters call:
- `AdviceService.advice(actor) -> ShopAdvice`: minimum-spend tiers (or why there are none)
  and the warnings about the shop's vouchers and distributions (`/advice`).
- `AdviceService.tiers(actor) -> ShopAdvice` without the warnings: the suggestion shown at the
  minimum-spend step of `/newvoucher`.
- `creation_warnings(session, shop_id, draft, now, aov)`: for `VoucherService._check`, the
  R-adv2 "less attractive than the best ongoing Regular voucher" warning of a LIVE draft.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import row_id
from core.rules.advice import (
    MIN_ORDERS_FOR_TIERS,
    Advice,
    Terms,
    Tier,
    follow_multi_claim_warning,
    live_less_attractive_warning,
    low_redemption_advice,
    spend_tiers,
)
from core.rules.checkout import AOV_WINDOW
from core.rules.roles import Action, Actor
from core.rules.targeting import (
    budget_low_warning,
    new_customers_min_spend_warning,
    segment_quiet_warning,
)
from core.rules.vouchers import Status, VoucherDraft, Warning, status_of, unit_discount_cap
from core.services.base import Service, require
from storage import analytics_queries as q
from storage import repositories as repo
from storage import targeting_queries
from storage.models import Voucher


@dataclass(frozen=True)
class ShopAdvice:
    currency: str
    aov: int | None  # R-a6, minor units
    orders_30d: int
    tiers: tuple[Tier, ...]  # empty when there is not enough history
    history_note: str | None  # why there are no tiers, for people
    warnings: tuple[Advice, ...] = ()


def _terms(v: Voucher, product_ids: list[str]) -> Terms:
    return Terms(
        v.discount_type,
        v.amount,
        v.percent,
        v.max_discount,
        v.min_spend,
        v.scope,
        frozenset(product_ids),
        v.id,
        v.name,
    )


async def _regular_terms(session: AsyncSession, shop_id: int, now: datetime) -> list[Terms]:
    regulars = await q.ongoing_regular_vouchers(session, shop_id, now)
    products = await repo.product_ids_of_vouchers(session, [row_id(v) for v in regulars])
    return [_terms(v, products[row_id(v)]) for v in regulars]


async def creation_warnings(
    session: AsyncSession, shop_id: int, draft: VoucherDraft, now: datetime, aov: int | None
) -> tuple[Warning, ...]:
    """R-adv2 at creation: a LIVE draft less attractive than an ongoing Regular voucher; a
    budget worth fewer than 10 claims; a new-customer voucher above the AOV."""
    found = [
        budget_low_warning(draft.budget, unit_discount_cap(draft)),
        new_customers_min_spend_warning(draft.segment, draft.min_spend, aov),
    ]
    if draft.kind == "live":
        regulars = await _regular_terms(session, shop_id, now)
        found.insert(0, live_less_attractive_warning(Terms.of_draft(draft), regulars, aov))
    return tuple(w for w in found if w is not None)


def _history_note(orders: int) -> str:
    return (
        f"Not enough order history yet: tiers need at least {MIN_ORDERS_FOR_TIERS} orders in "
        f"the last 30 days to estimate the average order value, and the shop has {orders}."
    )


class AdviceService(Service):
    async def tiers(self, actor: Actor) -> ShopAdvice:
        """R-adv1 only."""
        require(actor, Action.READ)
        now = self.clock.now()
        async with self.db.read() as session:
            return await self._tiers(session, actor.shop_id, now)

    async def _tiers(self, session: AsyncSession, shop_id: int, now: datetime) -> ShopAdvice:
        shop = await self._shop(session, shop_id)
        aov = await repo.average_order_value(session, shop_id, now - AOV_WINDOW)
        orders = await q.order_count_since(session, shop_id, now - AOV_WINDOW)
        enough = aov is not None and aov > 0 and orders >= MIN_ORDERS_FOR_TIERS
        return ShopAdvice(
            shop.currency,
            aov,
            orders,
            spend_tiers(aov) if enough and aov is not None else (),
            None if enough else _history_note(orders),
        )

    async def advice(self, actor: Actor) -> ShopAdvice:
        """R-adv1 tiers and R-adv2 warnings for the whole shop (seller or platform)."""
        require(actor, Action.MANAGE_VOUCHERS)
        now = self.clock.now()
        async with self.db.read() as session:
            base = await self._tiers(session, actor.shop_id, now)
            warnings = await self._warnings(session, actor.shop_id, base.aov, now)
        return ShopAdvice(
            base.currency, base.aov, base.orders_30d, base.tiers, base.history_note, warnings
        )

    async def _warnings(
        self, session: AsyncSession, shop_id: int, aov: int | None, now: datetime
    ) -> tuple[Advice, ...]:
        vouchers = await q.shop_vouchers(session, shop_id)
        by_id = {row_id(v): v for v in vouchers}
        products = await repo.product_ids_of_vouchers(session, list(by_id))
        usage = await q.usage_of_vouchers(session, shop_id)
        shop_price, voucher_price = await q.average_prices(session, shop_id)
        regulars = await _regular_terms(session, shop_id, now)
        out: list[Advice] = []
        for d in await repo.active_distributions(session):
            v = by_id.get(d.voucher_id)
            if v is None:
                continue
            w = follow_multi_claim_warning(d.task_type, v.per_customer_limit)
            if w is not None:
                out.append(_named(w, d.voucher_id, v.name))
        for v in vouchers:
            status = status_of(v.starts_at, v.ends_at, v.deactivated_at, now)
            terms = _terms(v, products[row_id(v)])
            if v.kind == "live" and status in (Status.UPCOMING, Status.ONGOING):
                w = live_less_attractive_warning(terms, regulars, aov)
                if w is not None:
                    out.append(_named(w, row_id(v), v.name))
            if status in (Status.UPCOMING, Status.ONGOING):
                out += await _targeting_advice(session, shop_id, v, aov, now)
            price = voucher_price.get(row_id(v)) if v.scope == "products" else shop_price
            low = low_redemption_advice(terms, v.claimed, usage.get(row_id(v), 0), aov, price)
            if low is not None:
                out.append(replace(low, message=f"{v.name}: {low.message}", voucher_name=v.name))
        return tuple(out)


async def _targeting_advice(
    session: AsyncSession, shop_id: int, v: Voucher, aov: int | None, now: datetime
) -> list[Advice]:
    """R-adv2 for R-budget and R-seg on an upcoming or ongoing voucher."""
    last = None
    if v.segment != "all":
        last = await targeting_queries.last_claim_of_segment(session, shop_id, v.segment)
    found = (
        budget_low_warning(v.budget, v.budget_hold, v.budget_spent, v.budget_reserved),
        new_customers_min_spend_warning(v.segment, v.min_spend, aov),
        segment_quiet_warning(v.segment, last, now),
    )
    return [_named(w, row_id(v), v.name) for w in found if w is not None]


def _named(w: Warning, voucher_id: int, name: str) -> Advice:
    """A creation-time warning as advice about an existing voucher (R-adv2)."""
    return Advice(w.code, voucher_id, f"{name}: {w.message}", voucher_name=name, data=w.data)
