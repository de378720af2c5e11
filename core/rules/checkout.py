"""Checkout rules R-o1…R-o3: eligible subtotal, a claim's discount, the best claim."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.rules.vouchers import DiscountType

# R-a6: the average order value is taken over the shop's orders of the last 30 days.
AOV_WINDOW = timedelta(days=30)


class LimitReason(StrEnum):
    """Why a claim in the wallet cannot be used, from its voucher's limits."""

    REDEMPTION_LIMIT_REACHED = "redemption_limit_reached"  # R-redeem
    BUDGET_SPENT = "budget_spent"  # R-budget: the budget cannot pay this discount


@dataclass(frozen=True)
class Line:
    product_id: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Offer:
    """One claim in the buyer's wallet, with what its voucher needs to price it."""

    claim_id: int
    voucher_id: int
    status: str  # the claim's effective status
    redeem_until: datetime
    discount_type: str
    amount: int | None
    percent: int | None
    max_discount: int | None
    min_spend: int
    product_ids: frozenset[str] | None  # None: the whole shop
    redemption_full: bool = False  # R-redeem: the voucher's redemption limit is reached
    budget_room: int | None = None  # R-budget: the most this claim may spend (None: no cap)


@dataclass(frozen=True)
class Priced:
    offer: Offer
    discount: int
    usable: bool
    reason: str | None  # why it cannot be used


def subtotal(lines: Iterable[Line]) -> int:
    return sum(line.amount for line in lines)


def eligible_subtotal(lines: Iterable[Line], product_ids: frozenset[str] | None) -> int:
    """R-o2: the sum over the lines in the voucher's scope."""
    return sum(
        line.amount for line in lines if product_ids is None or line.product_id in product_ids
    )


def discount_for(offer: Offer, eligible: int) -> int:
    """R-o2: amount off is capped by the eligible subtotal; percentage off floors, then caps."""
    if offer.discount_type == DiscountType.AMOUNT:
        return min(offer.amount or 0, eligible)
    return min(eligible * (offer.percent or 0) // 100, offer.max_discount or 0)


def price(offer: Offer, lines: Sequence[Line], now: datetime) -> Priced:
    eligible = eligible_subtotal(lines, offer.product_ids)
    if offer.status != "claimed":
        return Priced(offer, 0, False, offer.status)
    if now > offer.redeem_until:
        return Priced(offer, 0, False, "expired")
    if eligible <= 0:
        return Priced(offer, 0, False, "no_eligible_items")
    if eligible < offer.min_spend:
        return Priced(offer, 0, False, "below_min_spend")
    if offer.redemption_full:
        return Priced(offer, 0, False, LimitReason.REDEMPTION_LIMIT_REACHED)
    discount = discount_for(offer, eligible)
    if offer.budget_room is not None and discount > offer.budget_room:
        return Priced(offer, 0, False, LimitReason.BUDGET_SPENT)
    return Priced(offer, discount, True, None)


def rank_key(priced: Priced) -> tuple[int, datetime, int]:
    """R-o3: greatest discount, then earliest redeem_until, then lowest claim id."""
    return (-priced.discount, priced.offer.redeem_until, priced.offer.claim_id)


def price_all(offers: Iterable[Offer], lines: Sequence[Line], now: datetime) -> list[Priced]:
    """Every offer priced, usable ones first in R-o3 order."""
    priced = [price(o, lines, now) for o in offers]
    usable = sorted((p for p in priced if p.usable), key=rank_key)
    unusable = sorted((p for p in priced if not p.usable), key=lambda p: p.offer.claim_id)
    return usable + unusable


def best(offers: Iterable[Offer], lines: Sequence[Line], now: datetime) -> Priced | None:
    ranked = price_all(offers, lines, now)
    return ranked[0] if ranked and ranked[0].usable else None
