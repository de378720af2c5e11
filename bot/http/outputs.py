"""What the API answers: pydantic response models (also the source of `/openapi.json`) and
their construction from core's views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.rules.live import Task
from core.rules.vouchers import Warning
from core.services.live import FollowResult
from core.views import (
    AccountView,
    ClaimView,
    DistributionView,
    OrderView,
    PricedClaim,
    ProductView,
    QuoteView,
    SessionView,
    VoucherView,
)


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AmountDiscount(Out):
    type: Literal["amount"] = "amount"
    amount: int


class PercentDiscount(Out):
    type: Literal["percent"] = "percent"
    percent: int
    max_discount: int


class ShopScope(Out):
    type: Literal["shop"] = "shop"


class ProductsScope(Out):
    type: Literal["products"] = "products"
    product_ids: list[str]


class WarningOut(Out):
    code: str
    message: str
    data: dict[str, int] = Field(
        default_factory=dict,
        description="For `low_max_discount`: the reference basket, nominal and capped discount "
        "and the basket's final price, in minor units.",
    )


class BudgetOut(Out):
    """R-budget: spent by redeemed claims, reserved by open ones, left for new claims."""

    amount: int
    spent: int
    reserved: int
    left: int


class VoucherOut(Out):
    id: int | None = Field(description="null in a dry run")
    name: str
    kind: Literal["regular", "live"]
    discount: Annotated[AmountDiscount | PercentDiscount, Field(discriminator="type")]
    min_spend: int
    scope: Annotated[ShopScope | ProductsScope, Field(discriminator="type")]
    total_quantity: int
    per_customer_limit: int
    starts_at: datetime
    ends_at: datetime
    redeem_until: datetime | None = Field(description="null when each claim gets valid_days")
    valid_days: int | None
    status: Literal["upcoming", "ongoing", "ended", "deactivated"]
    claimed: int
    redeemed: int
    remaining: int
    estimated_spend: int
    warnings: list[WarningOut]
    created_at: datetime | None
    deactivated_at: datetime | None
    segment: Literal[
        "all", "new_customers", "repeat_customers", "lapsed_customers", "new_followers"
    ] = Field(description="Who may claim it (R-seg)")
    budget: BudgetOut | None = Field(description="null without a budget cap (R-budget)")
    code: str | None = Field(description="The promo code, upper case (R-code)")
    redemption_limit: int | None = Field(description="R-redeem")


class ProductOut(Out):
    product_id: str
    name: str
    category: str
    price: int


class AccountOut(Out):
    id: int
    role: str
    platform_handle: str | None
    telegram_user_id: int | None


class TaskOut(Out):
    type: Literal["watch", "follow", "none"]
    minutes: int | None = None

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(type=task.type.value, minutes=task.minutes)


class DistributionOut(Out):
    id: int
    voucher_id: int
    session_id: int
    task: TaskOut
    account_id: int
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None = None
    warnings: list[WarningOut] = Field(default_factory=list)
    mode: Literal["first_come", "draw"] = "first_come"
    winners: int | None = Field(default=None, description="For a draw (R-draw1).")
    closes_at: datetime | None = Field(
        default=None, description="For a draw: when its entry window closes."
    )


class SessionDropOut(Out):
    """A pending drop of a session (R-drop1): enough for a viewer's countdown."""

    id: int
    voucher_id: int
    task: TaskOut
    at: datetime
    status: Literal["pending", "fired", "failed", "cancelled"]


class SessionOut(Out):
    id: int
    account_id: int
    started_at: datetime
    ended_at: datetime | None
    distributions: list[DistributionOut] = Field(description="the active ones")
    drops: list[SessionDropOut] = Field(
        default_factory=list, description="the pending timed drops, soonest first (R-drop1)"
    )
    claims: int | None = Field(
        default=None, description="claims made in the session; kept once it ends (R-api4)"
    )


class WatchOut(Out):
    session_id: int
    buyer_id: str
    watched_seconds: int


class FollowOut(Out):
    buyer_id: str
    host_handle: str
    following: bool
    counted: bool = Field(description="this follow counts as a new follow (R-live2)")


class ClaimOut(Out):
    id: int
    voucher_id: int
    buyer_id: str
    session_id: int | None
    distribution_id: int | None
    account_id: int | None
    claimed_at: datetime
    redeem_until: datetime
    status: Literal["claimed", "redeemed", "expired", "void"]


class BestOut(Out):
    claim_id: int | None = Field(description="null: a promo code's voucher not claimed yet")
    voucher_id: int
    discount: int


class ConsideredOut(Out):
    claim_id: int | None = Field(description="null: a promo code's voucher not claimed yet")
    voucher_id: int
    discount: int
    usable: bool
    reason: (
        Literal[
            "redeemed",
            "expired",
            "void",
            "no_eligible_items",
            "below_min_spend",
            "redemption_limit_reached",
            "budget_spent",
            "not_claimable",
            "segment_not_met",
            "limit_reached",
            "sold_out",
            "voucher_not_found",
        ]
        | None
    ) = Field(
        description="null when usable; else why not: `redeemed` (used by another order), "
        "`expired` (past redeem_until), `void` (voucher deactivated), `no_eligible_items` "
        "(nothing in scope), `below_min_spend` (eligible subtotal under min_spend), "
        "`redemption_limit_reached` (R-redeem), `budget_spent` (R-budget); for a promo code's "
        "voucher (`claim_id: null`), R-c1's code of the claim that would be refused "
        "(`not_claimable`, `segment_not_met`, `limit_reached`, `sold_out`, `budget_spent`)"
    )


class QuoteOut(Out):
    subtotal: int
    best: BestOut | None
    total: int
    considered: list[ConsideredOut]


class OrderOut(Out):
    order_id: str
    buyer_id: str
    subtotal: int
    voucher_id: int | None
    claim_id: int | None
    discount: int
    total: int
    status: Literal["placed", "cancelled"]
    created_at: datetime


class HealthOut(Out):
    status: Literal["ok"]


class FieldErrorOut(Out):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem document; refusals may add facts (`missing_seconds`, `status`, …)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code")
    errors: list[FieldErrorOut] | None = None
    # The facts some refusals add (docs/api.md lists which code adds which).
    missing_seconds: int | None = Field(
        default=None, description="`task_not_met` (watch): watch time still missing"
    )
    watched_seconds: int | None = Field(
        default=None, description="`task_not_met` (watch): on record"
    )
    task: str | None = Field(default=None, description="`task_not_met`: `watch` or `follow`")
    needs_new_follow: bool | None = Field(
        default=None, description="`task_not_met` (follow): a new follow is needed"
    )
    distribution_id: int | None = Field(
        default=None, description="`no_active_distribution`: the voucher's distribution elsewhere"
    )
    limit: int | None = Field(
        default=None, description="`limit_reached`, `role_full`, `rate_limited`: the limit"
    )
    voucher_status: str | None = Field(
        default=None, description="`not_claimable`, `edit_not_allowed`: the voucher's status"
    )
    session_id: int | None = Field(
        default=None, description="`session_active`: the account's live session"
    )
    reason: str | None = Field(
        default=None,
        description="`claim_not_usable`: why (as `considered[].reason`); `busy`: "
        "`lock_timeout`, `serialization_failure`, `deadlock`, `pool_exhausted`",
    )
    account_id: int | None = Field(default=None, description="`handle_taken`: its holder")
    voucher_id: int | None = Field(
        default=None, description="`product_in_use`: a voucher that applies to the product"
    )
    route_class: str | None = Field(
        default=None, description="`rate_limited`: `viewers`, `writes` or `reads`"
    )


# The list pages: one item list and a cursor (the class name is the schema's name).
NEXT_CURSOR = Field(description="null on the last page")


class VoucherPage(Out):
    items: list[VoucherOut]
    next_cursor: str | None = NEXT_CURSOR


class ProductPage(Out):
    items: list[ProductOut]
    next_cursor: str | None = NEXT_CURSOR


class AccountPage(Out):
    items: list[AccountOut]
    next_cursor: str | None = NEXT_CURSOR


class SessionPage(Out):
    items: list[SessionOut]
    next_cursor: str | None = NEXT_CURSOR


class ClaimPage(Out):
    items: list[ClaimOut]
    next_cursor: str | None = NEXT_CURSOR


# --- from core's views ---------------------------------------------------------------------


def warning_out(w: Warning) -> WarningOut:
    return WarningOut(code=w.code, message=w.message, data=dict(w.data))


def voucher_out(v: VoucherView) -> VoucherOut:
    discount: AmountDiscount | PercentDiscount
    if v.discount_type == "amount":
        discount = AmountDiscount(amount=v.amount or 0)
    else:
        discount = PercentDiscount(percent=v.percent or 0, max_discount=v.max_discount or 0)
    scope: ShopScope | ProductsScope = (
        ProductsScope(product_ids=list(v.product_ids)) if v.scope == "products" else ShopScope()
    )
    return VoucherOut(
        id=v.id,
        name=v.name,
        kind=v.kind,
        discount=discount,
        min_spend=v.min_spend,
        scope=scope,
        total_quantity=v.total_quantity,
        per_customer_limit=v.per_customer_limit,
        starts_at=v.starts_at,
        ends_at=v.ends_at,
        redeem_until=v.effective_redeem_until,
        valid_days=v.valid_days,
        status=v.status,
        claimed=v.claimed,
        redeemed=v.redeemed,
        remaining=v.remaining,
        estimated_spend=v.estimated_spend,
        warnings=[warning_out(w) for w in v.warnings],
        created_at=v.created_at,
        deactivated_at=v.deactivated_at,
        segment=v.segment,
        budget=None
        if v.budget is None
        else BudgetOut(
            amount=v.budget,
            spent=v.budget_spent,
            reserved=v.budget_reserved,
            left=v.budget_left or 0,
        ),
        code=v.code,
        redemption_limit=v.redemption_limit,
    )


def product_out(p: ProductView) -> ProductOut:
    return ProductOut(product_id=p.product_id, name=p.name, category=p.category, price=p.price)


def account_out(a: AccountView) -> AccountOut:
    return AccountOut(
        id=a.id, role=a.role, platform_handle=a.platform_handle, telegram_user_id=a.telegram_user_id
    )


def distribution_out(d: DistributionView) -> DistributionOut:
    return DistributionOut(
        id=d.id,
        voucher_id=d.voucher_id,
        session_id=d.session_id,
        task=TaskOut.of(d.task),
        account_id=d.account_id,
        started_at=d.started_at,
        stopped_at=d.stopped_at,
        stop_reason=d.stop_reason,
        warnings=[warning_out(w) for w in d.warnings],
        mode=d.mode,
        winners=d.winners,
        closes_at=d.closes_at,
    )


def session_out(s: SessionView) -> SessionOut:
    return SessionOut(
        id=s.id,
        account_id=s.account_id,
        started_at=s.started_at,
        ended_at=s.ended_at,
        distributions=[distribution_out(d) for d in s.distributions],
        claims=s.claims or 0,
        drops=[
            SessionDropOut(
                id=d.id,
                voucher_id=d.voucher_id,
                task=TaskOut.of(d.task),
                at=d.at,
                status=d.status,
            )
            for d in s.drops
        ],
    )


def follow_out(f: FollowResult) -> FollowOut:
    return FollowOut(
        buyer_id=f.buyer_id, host_handle=f.host_handle, following=f.following, counted=f.counted
    )


def claim_out(c: ClaimView) -> ClaimOut:
    return ClaimOut(
        id=c.id,
        voucher_id=c.voucher_id,
        buyer_id=c.buyer_id,
        session_id=c.session_id,
        distribution_id=c.distribution_id,
        account_id=c.account_id,
        claimed_at=c.claimed_at,
        redeem_until=c.redeem_until,
        status=c.status,
    )


def _considered(p: PricedClaim) -> ConsideredOut:
    return ConsideredOut(
        claim_id=p.claim_id,
        voucher_id=p.voucher_id,
        discount=p.discount,
        usable=p.usable,
        reason=p.reason,
    )


def quote_out(q: QuoteView) -> QuoteOut:
    best = q.best
    return QuoteOut(
        subtotal=q.subtotal,
        best=BestOut(claim_id=best.claim_id, voucher_id=best.voucher_id, discount=best.discount)
        if best
        else None,
        total=q.total,
        considered=[_considered(p) for p in q.considered],
    )


def order_out(o: OrderView) -> OrderOut:
    return OrderOut(
        order_id=o.order_id,
        buyer_id=o.buyer_id,
        subtotal=o.subtotal,
        voucher_id=o.voucher_id,
        claim_id=o.claim_id,
        discount=o.discount,
        total=o.total,
        status=o.status,
        created_at=o.created_at,
    )
