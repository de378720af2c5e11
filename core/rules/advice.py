"""Advice rules R-adv1 and R-adv2 as pure functions over plain values.

R-adv1 tiers: the minimum spend of each tier is 1.2×, 1.35× and 1.5× the shop's AOV, rounded
up to two significant digits (a price a seller would type, never below the multiple). The
discount deepens with the tier as a share of its minimum spend: 5%, 8% and 10%. A buyer who
stretches further gets a better deal, and the seller never gives more than 10% of a qualifying
basket. Each tier is offered as amount off (that share of the minimum spend, rounded down to
two significant digits) or as percentage off with the same amount as its maximum discount, so
both cost at most the same per order.

R-adv2 "attractive": a voucher's attractiveness is the discount it gives on a reference basket
where both compared vouchers apply: the largest of the shop's AOV (when known) and the two
minimum spends. A new LIVE voucher is compared with the ongoing Regular vouchers a buyer of the
same basket could use instead: shop-wide ones, and product-scoped ones sharing a product with
a product-scoped LIVE voucher.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.rules.vouchers import VoucherDraft, Warning

MIN_ORDERS_FOR_TIERS = 10
TIERS = (("low", 120, 5), ("medium", 135, 8), ("high", 150, 10))  # name, % of AOV, % off
LOW_REDEMPTION_RATE = 0.20
LOW_REDEMPTION_MIN_CLAIMS = 20
MIN_SPEND_AOV_FACTOR = 1.5

FOLLOW_MULTI_CLAIM = "follow_task_multiple_claims"
LIVE_LESS_ATTRACTIVE = "live_less_attractive"
LOW_REDEMPTION = "low_redemption_rate"


@dataclass(frozen=True)
class Tier:
    name: str  # low | medium | high
    min_spend: int
    amount_off: int
    percent_off: int
    max_discount: int


@dataclass(frozen=True)
class Terms:
    """What a buyer sees of a voucher: its discount, minimum spend and scope."""

    discount_type: str
    amount: int | None
    percent: int | None
    max_discount: int | None
    min_spend: int = 0
    scope: str = "shop"
    product_ids: frozenset[str] = frozenset()
    voucher_id: int | None = None
    name: str = ""

    @classmethod
    def of_draft(cls, d: VoucherDraft, voucher_id: int | None = None) -> Terms:
        return cls(
            d.discount_type,
            d.amount,
            d.percent,
            d.max_discount,
            d.min_spend,
            d.scope,
            frozenset(d.product_ids),
            voucher_id,
            d.name,
        )


@dataclass(frozen=True)
class Cause:
    code: str
    message: str  # engineer-facing English; adapters word `code` with `data`
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Advice:
    """One R-adv2 warning about an existing voucher or distribution, with likely causes.
    `message` is English for engineers; the values a sentence needs are in `data`, and the
    voucher's name in `voucher_name`, so the bot words `code` without reading the message."""

    code: str
    voucher_id: int
    message: str
    causes: tuple[Cause, ...] = ()
    voucher_name: str = ""
    data: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _round_sig(value: float, *, up: bool) -> int:
    """To two significant digits: 3645 → 3700 (up) or 3600 (down)."""
    if value < 100:
        return max(1, math.ceil(value) if up else math.floor(value))
    # a whole power of ten: value >= 100 has at least three digits
    step: int = 10 ** (len(str(int(value))) - 2)
    return (math.ceil(value / step) if up else math.floor(value / step)) * step


def spend_tiers(aov: int) -> tuple[Tier, ...]:
    """R-adv1: low, medium and high minimum-spend tiers from the AOV (minor units)."""
    tiers = []
    for name, factor, percent in TIERS:
        min_spend = _round_sig(aov * factor / 100, up=True)
        amount = min(_round_sig(min_spend * percent / 100, up=False), min_spend - 1)
        tiers.append(Tier(name, min_spend, max(1, amount), percent, max(1, amount)))
    return tuple(tiers)


def discount_at(t: Terms, basket: int) -> int:
    """The discount `t` gives on an eligible basket (R-o2), 0 below its minimum spend."""
    if basket <= 0 or basket < t.min_spend:
        return 0
    if t.discount_type == "amount":
        return min(t.amount or 0, basket)
    return min(basket * (t.percent or 0) // 100, t.max_discount or 0)


def _comparable(live: Terms, regular: Terms) -> bool:
    if regular.scope == "shop":
        return True
    return live.scope == "products" and bool(live.product_ids & regular.product_ids)


def live_less_attractive_warning(
    live: Terms, ongoing_regulars: Iterable[Terms], aov: int | None
) -> Warning | None:
    """R-adv2: warn when a LIVE voucher gives less than the best comparable ongoing Regular
    voucher on the reference basket (see the module's docstring). The voucher creation calls
    this for `live` drafts."""
    worst: tuple[int, Terms, int, int, int] | None = None
    for regular in ongoing_regulars:
        if not _comparable(live, regular):
            continue
        basket = max(aov or 0, live.min_spend, regular.min_spend)
        ours, theirs = discount_at(live, basket), discount_at(regular, basket)
        if ours < theirs and (worst is None or theirs - ours > worst[0]):
            worst = (theirs - ours, regular, basket, ours, theirs)
    if worst is None:
        return None
    _, regular, basket, ours, theirs = worst
    label = f"“{regular.name}” (#{regular.voucher_id})" if regular.voucher_id else "a Regular"
    return Warning(
        LIVE_LESS_ATTRACTIVE,
        f"This LIVE voucher is less attractive than the ongoing Regular voucher {label}: "
        "viewers may skip it.",
        {
            "basket": basket,
            "live_discount": ours,
            "regular_discount": theirs,
            "regular_voucher_id": regular.voucher_id or 0,
        },
    )


def follow_multi_claim_warning(task_type: str, per_customer_limit: int) -> Warning | None:
    """R-adv2: a follow task with more than one claim per customer."""
    if task_type != "follow" or per_customer_limit <= 1:
        return None
    return Warning(
        FOLLOW_MULTI_CLAIM,
        f"This voucher allows {per_customer_limit} claims per customer: with a Follow task, "
        "1 is recommended so viewers can't re-follow to claim again.",
        {"per_customer_limit": per_customer_limit},
    )


def low_redemption_causes(
    t: Terms, aov: int | None, average_price: int | None
) -> tuple[Cause, ...]:
    """The likely causes R-adv2 names for a low redemption rate."""
    causes = []
    if aov and t.min_spend > MIN_SPEND_AOV_FACTOR * aov:
        causes.append(
            Cause("min_spend_above_aov", "the minimum spend is more than 1.5× the average order")
        )
    if average_price and t.min_spend > average_price:
        whose = "its products" if t.scope == "products" else "the shop's products"
        causes.append(
            Cause(
                "min_spend_above_price",
                f"the minimum spend is above the average selling price of {whose}",
                {"scope": t.scope},
            )
        )
    if t.scope == "products":
        causes.append(
            Cause("product_selection", "the selected products may not be what buyers order")
        )
    return tuple(causes)


def low_redemption_advice(
    t: Terms, claims: int, usage: int, aov: int | None, average_price: int | None
) -> Advice | None:
    """R-adv2: redemption rate below 20% after at least 20 claims."""
    if claims < LOW_REDEMPTION_MIN_CLAIMS or usage >= LOW_REDEMPTION_RATE * claims:
        return None
    rate = round(100 * usage / claims)
    return Advice(
        LOW_REDEMPTION,
        t.voucher_id or 0,
        f"Only {rate}% of its {claims:,} claims were used (below 20%).",
        low_redemption_causes(t, aov, average_price),
        data={"rate": rate, "claims": claims},
    )
