"""Voucher rules R-v1…R-v10 as pure functions over plain values (no storage, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from core.errors import FieldError
from core.errors import Problem as P
from core.ids import is_platform_id
from core.rules.targeting import Segment, budget_errors, normal_code, redemption_limit_errors
from core.rules.voucher_warnings import Warning as Warning  # re-exported: its old home
from core.values import is_whole


class Kind(StrEnum):
    REGULAR = "regular"
    LIVE = "live"


class DiscountType(StrEnum):
    AMOUNT = "amount"
    PERCENT = "percent"


class Status(StrEnum):
    UPCOMING = "upcoming"
    ONGOING = "ongoing"
    ENDED = "ended"
    DEACTIVATED = "deactivated"


MAX_QUANTITY = 1_000_000
MAX_PER_CUSTOMER = 100
MAX_PRODUCTS = 100
MAX_PERIOD = timedelta(days=180)
START_GRACE = timedelta(minutes=5)
MAX_VALID_DAYS = 90
MAX_NAME = 100

# Editable on an upcoming voucher; an ongoing one only takes a larger total_quantity (R-v10).
EDITABLE_FIELDS = (
    "name",
    "kind",
    "discount_type",
    "amount",
    "percent",
    "max_discount",
    "min_spend",
    "scope",
    "product_ids",
    "total_quantity",
    "per_customer_limit",
    "starts_at",
    "ends_at",
    "redeem_until",
    "valid_days",
    "segment",
    "budget",
    "code",
    "redemption_limit",
)
# What an ongoing voucher may still change, and only upwards (R-v10, R-budget).
RAISABLE_FIELDS = ("total_quantity", "budget")


@dataclass(frozen=True)
class VoucherDraft:
    """Everything a seller chooses for a voucher; the input of creation and editing."""

    name: str
    kind: str
    discount_type: str
    total_quantity: int
    starts_at: datetime
    ends_at: datetime
    amount: int | None = None
    percent: int | None = None
    max_discount: int | None = None
    min_spend: int = 0
    scope: str = "shop"
    product_ids: tuple[str, ...] = ()
    per_customer_limit: int = 1
    redeem_until: datetime | None = None
    valid_days: int | None = None
    segment: str = "all"  # R-seg
    budget: int | None = None  # R-budget
    code: str | None = None  # R-code, upper case
    redemption_limit: int | None = None  # R-redeem

    def with_changes(self, changes: Mapping[str, object]) -> VoucherDraft:
        # the changes are the draft's own field names and values, checked by the callers
        return replace(self, **cast(dict[str, Any], changes))


def _int_in(errors: list[FieldError], name: str, value: object, lo: int, hi: int) -> bool:
    if not is_whole(value):
        errors.append(FieldError(name, "must be a whole number", P.NOT_WHOLE))
        return False
    if not lo <= value <= hi:
        errors.append(
            FieldError(
                name, f"must be between {lo:,} and {hi:,}", P.OUT_OF_RANGE, {"lo": lo, "hi": hi}
            )
        )
        return False
    return True


def validate_draft(
    draft: VoucherDraft, now: datetime, catalog: Iterable[str] | None = None
) -> list[FieldError]:
    """All the field errors of a draft (R-v1…R-v6); `catalog` holds the scoped ids that exist."""
    errors: list[FieldError] = []
    if not isinstance(draft.name, str) or not draft.name.strip():
        errors.append(FieldError("name", "is required", P.REQUIRED))
    elif len(draft.name) > MAX_NAME:
        errors.append(
            FieldError(
                "name", f"must be at most {MAX_NAME} characters", P.TOO_LONG, {"max": MAX_NAME}
            )
        )
    if draft.kind not in set(Kind):
        errors.append(FieldError("kind", "must be 'regular' or 'live'", P.CHOICE))
    _validate_discount(draft, errors)
    _validate_scope(draft, catalog, errors)
    qty_ok = _int_in(errors, "total_quantity", draft.total_quantity, 1, MAX_QUANTITY)
    if _int_in(errors, "per_customer_limit", draft.per_customer_limit, 1, MAX_PER_CUSTOMER) and (
        qty_ok and draft.per_customer_limit > draft.total_quantity
    ):
        errors.append(
            FieldError("per_customer_limit", "must not exceed total_quantity", P.ABOVE_TOTAL)
        )
    _validate_period(draft, now, errors)
    _validate_targeting(draft, errors)
    return errors


def _validate_targeting(draft: VoucherDraft, errors: list[FieldError]) -> None:
    """R-seg, R-budget, R-code, R-redeem."""
    if draft.segment not in set(Segment):
        errors.append(
            FieldError(
                "segment",
                "must be one of " + ", ".join(s.value for s in Segment),
                P.CHOICE,
                {"choices": [s.value for s in Segment]},
            )
        )
    cap = unit_discount_cap(draft)
    errors.extend(budget_errors(draft.budget, cap if is_whole(cap) else 0))
    errors.extend(redemption_limit_errors(draft.redemption_limit))
    if draft.code is not None:
        if draft.kind != Kind.REGULAR:
            errors.append(
                FieldError("code", "only a regular voucher has a promo code", P.NOT_APPLICABLE)
            )
        elif normal_code(draft.code) != draft.code:
            errors.append(FieldError("code", "must be 6–12 characters of A–Z and 0–9", P.INVALID))


def _validate_discount(draft: VoucherDraft, errors: list[FieldError]) -> None:
    min_ok = _int_in(errors, "min_spend", draft.min_spend, 0, 10**12)
    if draft.discount_type == DiscountType.AMOUNT:
        if draft.amount is None:
            errors.append(FieldError("discount.amount", "is required for amount off", P.REQUIRED))
        elif _int_in(errors, "discount.amount", draft.amount, 1, 10**12) and (
            min_ok and draft.min_spend > 0 and draft.amount >= draft.min_spend
        ):
            errors.append(
                FieldError(
                    "discount.amount",
                    "must be less than the minimum spend (R-v3)",
                    P.NOT_BELOW_MIN_SPEND,
                )
            )
        if draft.percent is not None:
            errors.append(
                FieldError("discount.percent", "is only for percentage off", P.NOT_APPLICABLE)
            )
    elif draft.discount_type == DiscountType.PERCENT:
        if draft.percent is None:
            errors.append(
                FieldError("discount.percent", "is required for percentage off", P.REQUIRED)
            )
        else:
            _int_in(errors, "discount.percent", draft.percent, 1, 99)
        if draft.max_discount is None:
            errors.append(
                FieldError(
                    "discount.max_discount", "is required for percentage off (R-v2)", P.REQUIRED
                )
            )
        else:
            _int_in(errors, "discount.max_discount", draft.max_discount, 1, 10**12)
        if draft.amount is not None:
            errors.append(FieldError("discount.amount", "is only for amount off", P.NOT_APPLICABLE))
    else:
        errors.append(FieldError("discount.type", "must be 'amount' or 'percent'", P.CHOICE))


def _validate_scope(
    draft: VoucherDraft, catalog: Iterable[str] | None, errors: list[FieldError]
) -> None:
    if draft.scope == "shop":
        if draft.product_ids:
            errors.append(
                FieldError("scope.product_ids", "only for a products scope", P.NOT_APPLICABLE)
            )
        return
    if draft.scope != "products":
        errors.append(FieldError("scope.type", "must be 'shop' or 'products'", P.CHOICE))
        return
    ids = draft.product_ids
    if not 1 <= len(ids) <= MAX_PRODUCTS:
        errors.append(
            FieldError(
                "scope.product_ids",
                f"must list 1–{MAX_PRODUCTS} products",
                P.PRODUCT_COUNT,
                {"max": MAX_PRODUCTS},
            )
        )
        return
    if len(set(ids)) != len(ids):
        errors.append(FieldError("scope.product_ids", "lists a product twice", P.PRODUCT_TWICE))
        return
    bad = [p for p in ids if not is_platform_id(p)]
    if bad:
        errors.append(
            FieldError(
                "scope.product_ids",
                f"invalid product id {bad[0]!r}",
                P.PRODUCT_ID,
                {"product": bad[0]},
            )
        )
        return
    if catalog is not None:
        known = set(catalog)
        missing = [p for p in ids if p not in known]
        if missing:
            errors.append(
                FieldError(
                    "scope.product_ids",
                    f"unknown product {missing[0]!r} (R-v4)",
                    P.PRODUCT_UNKNOWN,
                    {"product": missing[0]},
                )
            )


def _validate_period(draft: VoucherDraft, now: datetime, errors: list[FieldError]) -> None:
    starts, ends = draft.starts_at, draft.ends_at
    if not isinstance(starts, datetime) or starts.tzinfo is None:
        errors.append(
            FieldError("starts_at", "must be a date and time with an offset", P.NO_OFFSET)
        )
        return
    if not isinstance(ends, datetime) or ends.tzinfo is None:
        errors.append(FieldError("ends_at", "must be a date and time with an offset", P.NO_OFFSET))
        return
    if starts < now - START_GRACE:
        errors.append(
            FieldError(
                "starts_at",
                "must not be more than 5 minutes in the past",
                P.IN_PAST,
                {"minutes": 5},
            )
        )
    if ends <= starts:
        errors.append(FieldError("ends_at", "must be after starts_at", P.NOT_AFTER_START))
    elif ends - starts > MAX_PERIOD:
        errors.append(
            FieldError(
                "ends_at", "the claim period is at most 180 days", P.PERIOD_TOO_LONG, {"days": 180}
            )
        )
    if draft.valid_days is not None:
        _int_in(errors, "valid_days", draft.valid_days, 1, MAX_VALID_DAYS)
        if draft.redeem_until is not None:
            errors.append(FieldError("redeem_until", "set either redeem_until or valid_days"))
    elif draft.redeem_until is not None:
        if not isinstance(draft.redeem_until, datetime) or draft.redeem_until.tzinfo is None:
            errors.append(FieldError("redeem_until", "must be a date and time with an offset"))
        elif draft.redeem_until < ends:
            errors.append(FieldError("redeem_until", "must not be before ends_at"))


def status_of(
    starts_at: datetime, ends_at: datetime, deactivated_at: datetime | None, now: datetime
) -> Status:
    """R-v9: derived from the clock and the record, never from a job having run."""
    if deactivated_at is not None:
        return Status.DEACTIVATED
    if now < starts_at:
        return Status.UPCOMING
    if now < ends_at:
        return Status.ONGOING
    return Status.ENDED


def unit_discount_cap(draft: VoucherDraft) -> int:
    """The most one use can take off: the amount, or the maximum discount per order."""
    if draft.discount_type == DiscountType.AMOUNT:
        return draft.amount or 0
    return draft.max_discount or 0


def estimated_spend(draft: VoucherDraft) -> int:
    """R-v7: (amount, or max_discount for percentage off) × total_quantity — at most what the
    voucher can ever spend: no more uses than `redemption_limit` (R-redeem) and no more than
    `budget` (R-budget). The SPEC's R-v7 predates both caps; a seller reading "estimated spend"
    beside a budget expects the cap to count (docs/rules.md)."""
    uses = draft.total_quantity
    if draft.redemption_limit is not None:
        uses = min(uses, draft.redemption_limit)
    spend = unit_discount_cap(draft) * uses
    return spend if draft.budget is None else min(spend, draft.budget)


def claim_redeem_until(
    claimed_at: datetime, ends_at: datetime, redeem_until: datetime | None, valid_days: int | None
) -> datetime:
    """R-v6: a claim is usable until the voucher's fixed date or `valid_days` after claiming."""
    if valid_days is not None:
        return claimed_at + timedelta(days=valid_days)
    return redeem_until if redeem_until is not None else ends_at


LOW_MAX_DISCOUNT = "low_max_discount"


def low_max_discount_warning(
    draft: VoucherDraft, aov: int | None, scoped_prices: Iterable[int]
) -> Warning | None:
    """R-v8 "Maximum Discount Per Order is Low".

    Reference basket = max(min_spend, AOV when known, highest scoped product price); warn when
    max_discount < ½ × percent% × basket, i.e. 200·max_discount < percent·basket.
    """
    if draft.discount_type != DiscountType.PERCENT or not draft.percent or not draft.max_discount:
        return None
    candidates = [draft.min_spend, aov or 0]
    if draft.scope == "products":
        candidates.extend(scoped_prices)
    basket = max(candidates)
    if basket <= 0 or 200 * draft.max_discount >= draft.percent * basket:
        return None
    nominal = basket * draft.percent // 100
    capped = min(nominal, draft.max_discount)
    return Warning(
        LOW_MAX_DISCOUNT,
        "Maximum Discount Per Order is Low",
        {"basket": basket, "nominal": nominal, "capped": capped, "final_price": basket - capped},
    )


def edit_refusal(status: Status, changes: Mapping[str, object], total_quantity: int) -> str | None:
    """R-v10: why an edit is refused, or None when the status allows it."""
    if status in (Status.ENDED, Status.DEACTIVATED):
        return f"an {status.value} voucher cannot change (R-v10)"
    if status == Status.ONGOING:
        other = sorted(k for k in changes if k not in RAISABLE_FIELDS)
        if other:
            return (
                "an ongoing voucher only allows total_quantity and budget to increase (R-v10); "
                f"refused: {', '.join(other)}"
            )
        new_qty = changes.get("total_quantity")
        if new_qty is not None and is_whole(new_qty) and new_qty < total_quantity:
            return "an ongoing voucher's total_quantity can only increase (R-v10)"
    return None
