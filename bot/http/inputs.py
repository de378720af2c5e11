"""What the API accepts: pydantic models for bodies, query strings and path parameters.

These models check types and shape only (and are the source of `/openapi.json`); ranges and
business rules are core's, which answers with field paths that match these models.
Bodies are strict (`"5"` is not a number, `5.0` is not money, unknown fields are refused);
query strings and paths arrive as text, so their models convert — except instants, which must
be RFC 3339 text in bodies and query strings alike (R-money-in).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from core.rules.checkout import Line
from core.rules.draws import MAX_ENTRY_MINUTES, MAX_WINNERS, MIN_ENTRY_MINUTES, MIN_WINNERS
from core.rules.live import MAX_WATCH_MINUTES
from core.rules.targeting import MAX_WINDOW_DAYS
from core.rules.vouchers import MAX_PER_CUSTOMER, MAX_QUANTITY, MAX_VALID_DAYS
from core.services.checkout import MAX_LINE_QUANTITY, MAX_LINES, MAX_UNIT_PRICE
from core.services.live import MAX_WATCH_SECONDS
from core.services.products import MAX_BATCH, MAX_PRICE

# R-api7: the bounds below are core's own (the same constants its validators use), so the
# OpenAPI document states exactly what the server enforces.
MAX_MONEY = 10**12

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
PLATFORM_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def _plain_text(value: str) -> str:
    # NUL cannot be stored in PostgreSQL text; refusing it here keeps both databases alike.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def _rfc3339_text(value: object) -> object:
    """R-money-in: an instant is an RFC 3339 string with an offset — never a Unix timestamp.

    Pydantic alone would read `to=0.5` in a query string as 1970-01-01T00:00:00.5Z.
    """
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date and time with an offset")
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:  # 2026-02-30 and the like
        raise ValueError("must be an RFC 3339 date and time with an offset") from exc


def _utc(value: datetime) -> datetime:
    try:
        instant = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range") from exc
    if not 1970 <= instant.year <= 9998:
        raise ValueError("must be between the years 1970 and 9998")
    return instant


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PlatformId = Annotated[str, Field(pattern=PLATFORM_ID_PATTERN, min_length=1, max_length=64)]
Instant = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_utc)]


Name = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
ShortText = Annotated[str, Field(max_length=100), AfterValidator(_plain_text)]
# R-api2: a platform handle, with or without one leading `@` (stored without it, lowercase).
HANDLE_PATTERN = r"^@?[A-Za-z0-9_.:-]{1,64}$"
Handle = Annotated[str, Field(pattern=HANDLE_PATTERN, min_length=1, max_length=65)]


Segment = Literal["all", "new_customers", "repeat_customers", "lapsed_customers", "new_followers"]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Params(BaseModel):
    """Path parameters and query strings: text converted to the declared types; an unknown
    query parameter is refused like an unknown body field (R-api5)."""

    model_config = ConfigDict(extra="forbid")


# --- path parameters -----------------------------------------------------------------------


class VoucherPath(Params):
    voucher_id: Id


class ProductPath(Params):
    product_id: PlatformId


class SessionPath(Params):
    session_id: Id


class DistributionPath(Params):
    distribution_id: Id


class BuyerPath(Params):
    buyer_id: PlatformId


class OrderPath(Params):
    order_id: PlatformId


class AccountPath(Params):
    account_id: Id


class ClaimPath(Params):
    claim_id: Id


# --- query strings -------------------------------------------------------------------------


class PageQuery(Params):
    limit: int = Field(default=50, ge=1, le=200, description="Items per page.")
    cursor: str | None = Field(
        default=None, max_length=64, description="`next_cursor` of the previous page."
    )


class ProductQuery(PageQuery):
    q: ShortText | None = Field(default=None, description="Part of the name or the product id.")
    category: ShortText | None = None


class VoucherQuery(PageQuery):
    status: Literal["upcoming", "ongoing", "ended", "deactivated"] | None = None
    kind: Literal["regular", "live"] | None = None


class SessionQuery(PageQuery):
    active: bool | None = Field(default=None, description="Only active (or only ended) ones.")


class WalletQuery(PageQuery):
    status: Literal["claimed", "redeemed", "expired", "void"] | None = None


class CreateVoucherQuery(Params):
    dry_run: bool = Field(
        default=False, description="Validate and return the computed voucher without saving."
    )


# --- bodies --------------------------------------------------------------------------------


class ProductIn(Body):
    name: Name
    category: ShortText = ""
    price: int = Field(ge=0, le=MAX_PRICE, description="Minor units (cents), ≥ 0.")


class ProductItemIn(ProductIn):
    product_id: PlatformId


class ProductBatchIn(Body):
    items: list[ProductItemIn] = Field(
        min_length=1, max_length=MAX_BATCH, description="1–500 products, upserted together."
    )


class DiscountIn(Body):
    """`{type: amount, amount}` or `{type: percent, percent, max_discount}` (R-v2)."""

    type: Literal["amount", "percent"]
    amount: int | None = Field(
        default=None, ge=1, le=MAX_MONEY, description="Amount off, minor units."
    )
    percent: int | None = Field(default=None, ge=1, le=99, description="Whole percent 1–99.")
    max_discount: int | None = Field(
        default=None, ge=1, le=MAX_MONEY, description="Cap per order, minor units."
    )


class ScopeIn(Body):
    """`{type: shop}` or `{type: products, product_ids}` (R-v4)."""

    type: Literal["shop", "products"]
    product_ids: list[PlatformId] | None = None


class VoucherIn(Body):
    name: ShortText
    kind: Literal["regular", "live"]
    discount: DiscountIn
    min_spend: int = Field(default=0, ge=0, le=MAX_MONEY)
    scope: ScopeIn = Field(default_factory=lambda: ScopeIn(type="shop"))
    total_quantity: int = Field(ge=1, le=MAX_QUANTITY)
    per_customer_limit: int = Field(default=1, ge=1, le=MAX_PER_CUSTOMER)
    starts_at: Instant
    ends_at: Instant
    redeem_until: Instant | None = None
    valid_days: int | None = Field(default=None, ge=1, le=MAX_VALID_DAYS)
    segment: Segment = Field(default="all", description="Who may claim it (R-seg).")
    budget: int | None = Field(
        default=None,
        description="Budget cap in minor units, at least the largest single discount (R-budget).",
    )
    code: str | None = Field(
        default=None,
        description="Promo code for a regular voucher: 6–12 of A–Z 0–9, case-insensitive (R-code).",
    )
    redemption_limit: int | None = Field(
        default=None, description="At most this many non-cancelled orders redeem it (R-redeem)."
    )


class VoucherPatch(Body):
    """Only the fields present change (R-v10); `null` clears redeem_until or valid_days."""

    name: ShortText | None = None
    kind: Literal["regular", "live"] | None = None
    discount: DiscountIn | None = None
    min_spend: int | None = Field(default=None, ge=0, le=MAX_MONEY)
    scope: ScopeIn | None = None
    total_quantity: int | None = Field(default=None, ge=1, le=MAX_QUANTITY)
    per_customer_limit: int | None = Field(default=None, ge=1, le=MAX_PER_CUSTOMER)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    redeem_until: Instant | None = None
    valid_days: int | None = Field(default=None, ge=1, le=MAX_VALID_DAYS)
    segment: Segment | None = None
    budget: int | None = Field(
        default=None, description="Upcoming: any; ongoing: only a larger budget (R-v10)."
    )
    code: str | None = None
    redemption_limit: int | None = None


class StartSessionIn(Body):
    account_id: Id


class WatchIn(Body):
    buyer_id: PlatformId
    watched_seconds: int = Field(
        ge=0, le=MAX_WATCH_SECONDS, description="Cumulative watch time in this session."
    )


class FollowIn(Body):
    buyer_id: PlatformId
    host_handle: Handle
    action: Literal["follow", "unfollow"]
    at: Instant | None = Field(default=None, description="When it happened (default: now).")


class TaskIn(Body):
    type: Literal["watch", "follow", "none"]
    minutes: int | None = Field(
        default=None, ge=1, le=MAX_WATCH_MINUTES, description="For `watch`: 1–60."
    )


class DistributionIn(Body):
    voucher_id: Id
    task: TaskIn
    mode: Literal["first_come", "draw"] | None = Field(
        default=None, description="`draw` makes it a lucky draw (R-draw1); default first come."
    )
    winners: int | None = Field(
        default=None,
        ge=MIN_WINNERS,
        le=MAX_WINNERS,
        description="For a draw: 1–1,000, at most the remaining quota.",
    )
    entry_minutes: int | None = Field(
        default=None, ge=MIN_ENTRY_MINUTES, le=MAX_ENTRY_MINUTES, description="For a draw: 1–30."
    )


class EntryIn(Body):
    buyer_id: PlatformId


class DrawFiguresQuery(PageQuery):
    session_id: Id | None = Field(default=None, description="Only this live session's draws.")
    voucher_id: Id | None = Field(default=None, description="Only this voucher's draws.")


class DrawQuery(Params):
    entrants: bool = Field(
        default=True, description="Include the list of entrants (needed to verify the draw)."
    )


class ClaimIn(Body):
    buyer_id: PlatformId
    session_id: Id | None = Field(
        default=None,
        description="The viewer's live session (LIVE vouchers); default: the session of the "
        "voucher's active distribution.",
    )


class LineIn(Body):
    product_id: PlatformId
    unit_price: int = Field(
        ge=0, le=MAX_UNIT_PRICE, description="After product discounts, minor units."
    )
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)

    def line(self) -> Line:
        return Line(self.product_id, self.unit_price, self.quantity)


class QuoteIn(Body):
    buyer_id: PlatformId
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    code: str | None = Field(
        default=None,
        description="A promo code: its voucher is priced as if claimed, nothing is claimed "
        "(R-code).",
    )


class OrderIn(Body):
    order_id: PlatformId
    buyer_id: PlatformId
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    claim_id: Id | None = Field(default=None, description="Use this claim instead of the best.")
    code: str | None = Field(
        default=None, description="A promo code: claimed and applied in one step (R-code)."
    )
    placed_at: Instant | None = Field(
        default=None,
        description="An imported past order (at most 3 years ago): it redeems no claim and "
        "counts in segments and AOV by its time (R-seg).",
    )
    status: Literal["placed", "cancelled"] | None = Field(
        default=None, description='"cancelled" imports a cancelled order (R-seg).'
    )


class CodeClaimIn(Body):
    code: str = Field(description="The promo code, case-insensitive (R-code).")
    buyer_id: PlatformId


# --- provisioning (R-api3) -----------------------------------------------------------------


class AccountIn(Body):
    role: Literal["official", "marketing"] = Field(
        description="R-acc2: one official account, up to four marketing accounts."
    )
    platform_handle: Handle


class AccountPatch(Body):
    platform_handle: Handle


# --- the shop's segment windows (R-seg) ----------------------------------------------------


def _absent_is_unchanged(schema: JsonDict) -> None:
    # A window left out keeps its value; `null` is not a window, so no `default: null` either.
    schema.pop("default", None)


def _window(description: str) -> Any:  # what `Field` gives: a default for an `int`
    return Field(
        default=None,
        ge=1,
        le=MAX_WINDOW_DAYS,
        description=f"{description} Whole days, 1–{MAX_WINDOW_DAYS:,}.",
        json_schema_extra=_absent_is_unchanged,
    )


class SegmentWindowsPatch(Body):
    """Only the windows sent change (R-seg); `lapsed_quiet_days` stays below
    `lapsed_active_days`."""

    repeat_days: int = _window(
        "`repeat_customers`: a non-cancelled order in the last this many days (default 30)."
    )
    lapsed_active_days: int = _window(
        "`lapsed_customers`: an order in the last this many days (default 365)…"
    )
    lapsed_quiet_days: int = _window("…and none in the last this many days (default 90).")
    follower_days: int = _window(
        "`new_followers`: a counted new follow in the last this many days (default 30)."
    )

    def changes(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.model_fields_set}
