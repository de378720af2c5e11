"""Who a voucher is for and how much it may cost, as pure functions (no storage, no I/O):
buyer segments (R-seg), budget caps (R-budget), promo codes (R-code), redemption limits
(R-redeem)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import FieldError
from core.errors import Problem as P
from core.rules.voucher_warnings import Warning
from core.values import is_whole


class Segment(StrEnum):
    """R-seg: who may claim a voucher, judged at claim time."""

    ALL = "all"
    NEW_CUSTOMERS = "new_customers"
    REPEAT_CUSTOMERS = "repeat_customers"
    LAPSED_CUSTOMERS = "lapsed_customers"
    NEW_FOLLOWERS = "new_followers"


@dataclass(frozen=True)
class SegmentWindows:
    """The shop's segment windows in days (R-seg: shop settings, these defaults)."""

    repeat_days: int = 30
    lapsed_active_days: int = 365
    lapsed_quiet_days: int = 90
    follower_days: int = 30


MAX_WINDOW_DAYS = 3 * 365


def window_errors(w: SegmentWindows) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in ("repeat_days", "lapsed_active_days", "lapsed_quiet_days", "follower_days"):
        value = getattr(w, name)
        if not is_whole(value) or not 1 <= value <= MAX_WINDOW_DAYS:
            errors.append(
                FieldError(
                    name,
                    f"must be a whole number of days from 1 to {MAX_WINDOW_DAYS:,}",
                    P.OUT_OF_RANGE,
                    {"lo": 1, "hi": MAX_WINDOW_DAYS},
                )
            )
    if not errors and w.lapsed_quiet_days >= w.lapsed_active_days:
        errors.append(
            FieldError("lapsed_quiet_days", "must be less than lapsed_active_days", P.INVALID)
        )
    return errors


@dataclass(frozen=True)
class BuyerHistory:
    """What R-seg reads of one buyer in one shop."""

    latest_order: datetime | None  # any order, cancelled ones included
    latest_kept_order: datetime | None  # the latest non-cancelled order
    latest_new_follow: datetime | None  # the latest counted new follow (R-live2)


def segment_met(segment: str, h: BuyerHistory, now: datetime, w: SegmentWindows) -> bool:
    """R-seg at `now`. Windows include their far edge: an order exactly 30 days ago is "in the
    last 30 days"; lapsed means the latest kept order is within `lapsed_active_days` and
    strictly before the last `lapsed_quiet_days`."""
    if segment == Segment.ALL:
        return True
    if segment == Segment.NEW_CUSTOMERS:
        return h.latest_order is None
    if segment == Segment.REPEAT_CUSTOMERS:
        kept = h.latest_kept_order
        return kept is not None and kept >= now - timedelta(days=w.repeat_days)
    if segment == Segment.LAPSED_CUSTOMERS:
        kept = h.latest_kept_order
        return (
            kept is not None
            and kept >= now - timedelta(days=w.lapsed_active_days)
            and kept < now - timedelta(days=w.lapsed_quiet_days)
        )
    if segment == Segment.NEW_FOLLOWERS:
        follow = h.latest_new_follow
        return follow is not None and follow >= now - timedelta(days=w.follower_days)
    return False


# --- R-code ----------------------------------------------------------------------------------

CODE_RE = re.compile(r"^[A-Z0-9]{6,12}$")
# A readable alphabet for generated codes: no 0/O and no 1/I, which read alike.
READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 8
WRONG_CODES_PER_BUYER = 10  # a minute, then 429
WRONG_CODES_PER_KEY = 300  # a minute, then 429


def normal_code(raw: object) -> str | None:
    """The stored form of a code (upper case), or None when it is not 6–12 of A–Z 0–9."""
    if not isinstance(raw, str):
        return None
    code = raw.strip().upper()
    return code if CODE_RE.match(code) else None


def generate_code(length: int = GENERATED_LENGTH) -> str:
    """A readable random code for the seller to share (R-code)."""
    return "".join(secrets.choice(READABLE) for _ in range(length))


# --- R-budget, R-redeem -----------------------------------------------------------------------

MAX_BUDGET = 10**15
MAX_REDEMPTION_LIMIT = 1_000_000


def budget_errors(budget: object, largest_discount: int) -> list[FieldError]:
    """R-budget: money, at least the voucher's largest single discount."""
    if budget is None:
        return []
    if not is_whole(budget) or not 1 <= budget <= MAX_BUDGET:
        return [
            FieldError(
                "budget",
                "must be a whole number of minor units",
                P.OUT_OF_RANGE,
                {"lo": max(largest_discount, 1), "hi": MAX_BUDGET},
            )
        ]
    if budget < largest_discount:
        return [
            FieldError(
                "budget",
                "must be at least the largest single discount (R-budget)",
                BUDGET_BELOW_DISCOUNT,
                {"lo": largest_discount},
            )
        ]
    return []


BUDGET_BELOW_DISCOUNT = "budget_below_discount"


def redemption_limit_errors(limit: object) -> list[FieldError]:
    if limit is None or (is_whole(limit) and 1 <= limit <= MAX_REDEMPTION_LIMIT):
        return []
    return [
        FieldError(
            "redemption_limit",
            f"must be a whole number from 1 to {MAX_REDEMPTION_LIMIT:,}",
            P.OUT_OF_RANGE,
            {"lo": 1, "hi": MAX_REDEMPTION_LIMIT},
        )
    ]


def budget_crossings(budget: int, hold: int, spent_before: int, spent_after: int) -> list[str]:
    """R-budget's team notices a redemption crosses: `budget_80` when spent reaches 80% of the
    budget, `budget_spent` when what is left cannot pay for one more use."""
    crossed = []
    eighty = budget * 4
    if spent_before * 5 < eighty <= spent_after * 5:
        crossed.append("budget_80")
    if budget - spent_before >= max(hold, 1) > budget - spent_after:
        crossed.append("budget_spent")
    return crossed


# --- R-adv2 for the new fields ---------------------------------------------------------------

BUDGET_LOW = "budget_low"
NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV = "new_customers_min_spend_above_aov"
SEGMENT_QUIET = "segment_quiet"
BUDGET_LOW_CLAIMS = 10
SEGMENT_QUIET_DAYS = 30


def budget_low_warning(
    budget: int | None, hold: int, spent: int = 0, reserved: int = 0
) -> Warning | None:
    """R-adv2: what is left of the budget pays for fewer than 10 claims."""
    if budget is None or hold <= 0:
        return None
    left = max(0, budget - spent - reserved)
    claims = left // hold
    if claims >= BUDGET_LOW_CLAIMS:
        return None
    return Warning(
        BUDGET_LOW,
        f"The budget left pays for {claims} more claims (below {BUDGET_LOW_CLAIMS}).",
        {"claims": claims, "left": left},
    )


def new_customers_min_spend_warning(
    segment: str, min_spend: int, aov: int | None
) -> Warning | None:
    """R-adv2: a new-customer voucher whose minimum spend is above the shop's AOV."""
    if segment != Segment.NEW_CUSTOMERS or not aov or min_spend <= aov:
        return None
    return Warning(
        NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV,
        "The minimum spend is above the shop's average order value, a high bar for a first order.",
        {"min_spend": min_spend, "aov": aov},
    )


def segment_quiet_warning(
    segment: str, last_buyer_at: datetime | None, now: datetime
) -> Warning | None:
    """R-adv2: no buyer of this segment claimed any of the shop's vouchers for it in 30 days."""
    if segment == Segment.ALL:
        return None
    if last_buyer_at is not None and last_buyer_at >= now - timedelta(days=SEGMENT_QUIET_DAYS):
        return None
    return Warning(
        SEGMENT_QUIET,
        f"No buyer of this segment has claimed in the last {SEGMENT_QUIET_DAYS} days.",
        {"days": SEGMENT_QUIET_DAYS},
    )
