"""Checkout with a promo code (R-code) and imported order history (R-seg).

- A quote with `code` prices the code's voucher as if the buyer held a claim of it, and says
  why it could not be claimed (R-c1's code) without writing anything.
- An order with `code` claims the voucher (every R-c1 check) and redeems that claim, after
  checking the claim would be usable for these lines, so a refused order claims nothing.
- An imported order (`placed_at` in the past, or `status: "cancelled"`) redeems no claim and
  counts in the segments and the AOV by its own time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import ClaimRefused, FieldError, ValidationFailed
from core.ids import row_id
from core.rules.checkout import Line, Offer, Priced, price
from core.rules.claim_outcomes import RefusalCode
from storage import repositories as repo
from storage.db import Database
from storage.models import Voucher

# R-seg: imported orders may be this old.
MAX_IMPORT_AGE = timedelta(days=3 * 365 + 1)


class OrderStatus(StrEnum):
    PLACED = "placed"
    CANCELLED = "cancelled"


def parse_import(placed_at: object, status: object, now: datetime) -> tuple[datetime, str] | None:
    """(when, status) of an imported order, or None for an ordinary one."""
    if placed_at is None and status in (None, OrderStatus.PLACED):
        return None
    errors: list[FieldError] = []
    if status not in (None, OrderStatus.PLACED, OrderStatus.CANCELLED):
        errors.append(FieldError("status", "must be 'placed' or 'cancelled'", "choice"))
    when = now
    if placed_at is not None:
        if not isinstance(placed_at, datetime) or placed_at.tzinfo is None:
            errors.append(FieldError("placed_at", "must be a date and time with an offset"))
        elif placed_at > now:
            errors.append(FieldError("placed_at", "must not be in the future", "in_future"))
        elif placed_at < now - MAX_IMPORT_AGE:
            errors.append(
                FieldError("placed_at", "must be at most 3 years ago", "too_old", {"years": 3})
            )
        else:
            when = placed_at
    if errors:
        raise ValidationFailed(errors)
    return when, str(status or OrderStatus.PLACED)


def code_offer(voucher: Voucher, product_ids: list[str], now: datetime) -> Offer:
    """The code's voucher as a claim the buyer would hold (claim id 0: not made)."""
    from core.rules.vouchers import claim_redeem_until

    return Offer(
        claim_id=0,
        voucher_id=row_id(voucher),
        status="claimed",
        redeem_until=claim_redeem_until(
            now, voucher.ends_at, voucher.redeem_until, voucher.valid_days
        ),
        discount_type=voucher.discount_type,
        amount=voucher.amount,
        percent=voucher.percent,
        max_discount=voucher.max_discount,
        min_spend=voucher.min_spend,
        product_ids=frozenset(product_ids) if voucher.scope == "products" else None,
        redemption_full=(
            voucher.redemption_limit is not None and voucher.redeemed >= voucher.redemption_limit
        ),
        budget_room=(
            None
            if voucher.budget is None
            else voucher.budget - voucher.budget_spent - voucher.budget_reserved
        ),
    )


async def price_code(
    db: Database, shop_id: int, voucher_id: int, lines: list[Line], now: datetime
) -> Priced:
    async with db.read() as session:
        voucher = await repo.get_voucher(session, shop_id, voucher_id)
        product_ids = await repo.voucher_product_ids(session, voucher_id)
    if voucher is None:
        raise ClaimRefused("No voucher has this promo code.", code=RefusalCode.CODE_NOT_FOUND)
    return price(code_offer(voucher, product_ids, now), lines, now)
