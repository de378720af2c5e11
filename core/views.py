"""What the services return: plain, typed snapshots the adapters render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.ids import row_id
from core.rules.checkout import Line
from core.rules.live import Task, TaskType
from core.rules.vouchers import (
    VoucherDraft,
    Warning,
    estimated_spend,
    status_of,
)
from storage.models import (
    Account,
    Claim,
    Distribution,
    Draw,
    LiveSession,
    Product,
    Shop,
    ShopOrder,
    TimedDrop,
    Voucher,
)


@dataclass(frozen=True)
class ShopView:
    id: int
    name: str
    currency: str
    timezone: str
    team_chat_id: int | None
    language: str = "en"  # the team chat's (R-l10n1)

    @classmethod
    def of(cls, shop: Shop) -> ShopView:
        return cls(
            row_id(shop),
            shop.name,
            shop.currency,
            shop.timezone,
            shop.team_chat_id,
            shop.language or "en",
        )


@dataclass(frozen=True)
class AccountView:
    id: int
    shop_id: int
    role: str
    platform_handle: str | None
    telegram_user_id: int | None
    display_name: str | None

    @classmethod
    def of(cls, a: Account) -> AccountView:
        return cls(
            row_id(a),
            a.shop_id,
            a.role,
            a.platform_handle,
            a.telegram_user_id,
            a.display_name,
        )

    @property
    def label(self) -> str:
        name = self.display_name or self.platform_handle or f"account {self.id}"
        return f"{name} ({self.role})"


@dataclass(frozen=True)
class ProductView:
    product_id: str
    name: str
    category: str
    price: int

    @classmethod
    def of(cls, p: Product) -> ProductView:
        return cls(p.product_id, p.name, p.category, p.price)


@dataclass(frozen=True)
class VoucherView:
    id: int | None
    shop_id: int
    name: str
    kind: str
    discount_type: str
    amount: int | None
    percent: int | None
    max_discount: int | None
    min_spend: int
    scope: str
    product_ids: tuple[str, ...]
    total_quantity: int
    per_customer_limit: int
    starts_at: datetime
    ends_at: datetime
    redeem_until: datetime | None
    valid_days: int | None
    status: str
    claimed: int
    redeemed: int
    estimated_spend: int
    warnings: tuple[Warning, ...]
    created_at: datetime | None
    deactivated_at: datetime | None
    segment: str = "all"  # R-seg
    budget: int | None = None  # R-budget
    budget_spent: int = 0
    budget_reserved: int = 0
    code: str | None = None  # R-code
    redemption_limit: int | None = None  # R-redeem

    @property
    def remaining(self) -> int:
        return max(0, self.total_quantity - self.claimed)

    @property
    def budget_left(self) -> int | None:
        """R-budget: what neither redeemed nor open claims hold."""
        if self.budget is None:
            return None
        return max(0, self.budget - self.budget_spent - self.budget_reserved)

    @property
    def effective_redeem_until(self) -> datetime | None:
        """The fixed last day of use, or None when each claim gets `valid_days`."""
        if self.valid_days is not None:
            return None
        return self.redeem_until or self.ends_at

    def draft(self) -> VoucherDraft:
        return VoucherDraft(
            name=self.name,
            kind=self.kind,
            discount_type=self.discount_type,
            total_quantity=self.total_quantity,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            amount=self.amount,
            percent=self.percent,
            max_discount=self.max_discount,
            min_spend=self.min_spend,
            scope=self.scope,
            product_ids=self.product_ids,
            per_customer_limit=self.per_customer_limit,
            redeem_until=self.redeem_until,
            valid_days=self.valid_days,
            segment=self.segment,
            budget=self.budget,
            code=self.code,
            redemption_limit=self.redemption_limit,
        )

    @classmethod
    def of_draft(
        cls,
        draft: VoucherDraft,
        *,
        shop_id: int,
        now: datetime,
        warnings: tuple[Warning, ...] = (),
    ) -> VoucherView:
        return cls(
            id=None,
            shop_id=shop_id,
            name=draft.name,
            kind=draft.kind,
            discount_type=draft.discount_type,
            amount=draft.amount,
            percent=draft.percent,
            max_discount=draft.max_discount,
            min_spend=draft.min_spend,
            scope=draft.scope,
            product_ids=tuple(draft.product_ids),
            total_quantity=draft.total_quantity,
            per_customer_limit=draft.per_customer_limit,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            redeem_until=draft.redeem_until,
            valid_days=draft.valid_days,
            status=status_of(draft.starts_at, draft.ends_at, None, now).value,
            claimed=0,
            redeemed=0,
            estimated_spend=estimated_spend(draft),
            warnings=warnings,
            created_at=None,
            deactivated_at=None,
            segment=draft.segment,
            budget=draft.budget,
            code=draft.code,
            redemption_limit=draft.redemption_limit,
        )

    @classmethod
    def of(
        cls,
        v: Voucher,
        product_ids: list[str],
        now: datetime,
        warnings: tuple[Warning, ...] = (),
    ) -> VoucherView:
        draft = VoucherDraft(
            name=v.name,
            kind=v.kind,
            discount_type=v.discount_type,
            total_quantity=v.total_quantity,
            starts_at=v.starts_at,
            ends_at=v.ends_at,
            amount=v.amount,
            percent=v.percent,
            max_discount=v.max_discount,
            min_spend=v.min_spend,
            scope=v.scope,
            product_ids=tuple(product_ids),
            per_customer_limit=v.per_customer_limit,
            redeem_until=v.redeem_until,
            valid_days=v.valid_days,
            segment=v.segment,
            budget=v.budget,
            code=v.code,
            redemption_limit=v.redemption_limit,
        )
        view = cls.of_draft(draft, shop_id=v.shop_id, now=now, warnings=warnings)
        return _replace(
            view,
            id=v.id,
            status=status_of(v.starts_at, v.ends_at, v.deactivated_at, now).value,
            claimed=v.claimed,
            redeemed=v.redeemed,
            created_at=v.created_at,
            deactivated_at=v.deactivated_at,
            budget_spent=v.budget_spent,
            budget_reserved=v.budget_reserved,
        )


def _replace(view: VoucherView, **changes: Any) -> VoucherView:
    from dataclasses import replace

    return replace(view, **changes)


class _ClaimLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def redeem_until(self) -> datetime: ...


def effective_claim_status(claim: _ClaimLike, now: datetime) -> str:
    """R-c3 read from the clock: a `claimed` claim past `redeem_until` is expired, whether or
    not the expiry job ran."""
    if claim.status == "claimed" and now > claim.redeem_until:
        return "expired"
    return claim.status


@dataclass(frozen=True)
class ClaimView:
    id: int
    voucher_id: int
    buyer_id: str
    session_id: int | None
    distribution_id: int | None
    account_id: int | None
    claimed_at: datetime
    redeem_until: datetime
    status: str
    # R-c2: this is the first answer of an Idempotency-Key, told again (not a new claim)
    replayed: bool = field(default=False, compare=False)

    @classmethod
    def of(cls, c: Claim, now: datetime) -> ClaimView:
        return cls(
            row_id(c),
            c.voucher_id,
            c.buyer_id,
            c.session_id,
            c.distribution_id,
            c.account_id,
            c.claimed_at,
            c.redeem_until,
            effective_claim_status(c, now),
        )


@dataclass(frozen=True)
class DistributionView:
    id: int
    voucher_id: int
    session_id: int
    account_id: int
    task: Task
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None
    warnings: tuple[Warning, ...] = ()
    # R-draw1: "first_come", or "draw" with its winners and the close of its entry window.
    mode: str = "first_come"
    winners: int | None = None
    closes_at: datetime | None = None

    @classmethod
    def of(
        cls, d: Distribution, warnings: tuple[Warning, ...] = (), draw: Draw | None = None
    ) -> DistributionView:
        return cls(
            row_id(d),
            d.voucher_id,
            d.session_id,
            d.account_id,
            Task(TaskType(d.task_type), d.task_minutes),
            d.started_at,
            d.stopped_at,
            d.stop_reason,
            warnings,
            "draw" if draw is not None else "first_come",
            draw.winners if draw is not None else None,
            draw.closes_at if draw is not None else None,
        )


@dataclass(frozen=True)
class SessionView:
    id: int
    shop_id: int
    account_id: int
    started_at: datetime
    ended_at: datetime | None
    distributions: tuple[DistributionView, ...] = ()
    claims: int | None = None  # filled when the session ends
    drops: tuple[DropView, ...] = ()  # its pending drops (R-drop1)

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @classmethod
    def of(
        cls,
        s: LiveSession,
        distributions: list[Distribution] | tuple[()] = (),
        claims: int | None = None,
        drops: list[TimedDrop] | tuple[()] = (),
        draws: Mapping[int, Draw] | None = None,
    ) -> SessionView:
        draws = draws or {}
        return cls(
            row_id(s),
            s.shop_id,
            s.account_id,
            s.started_at,
            s.ended_at,
            tuple(DistributionView.of(d, draw=draws.get(row_id(d))) for d in distributions),
            claims,
            tuple(DropView.of(d) for d in drops if d.status == "pending"),
        )


@dataclass(frozen=True)
class DropView:
    """A timed drop (R-drop1)."""

    id: int
    shop_id: int
    session_id: int
    voucher_id: int
    account_id: int | None
    task: Task
    mode: str
    winners: int | None
    entry_minutes: int | None
    at: datetime
    status: str
    distribution_id: int | None
    reason: str | None

    @classmethod
    def of(cls, d: TimedDrop) -> DropView:
        return cls(
            row_id(d),
            d.shop_id,
            d.session_id,
            d.voucher_id,
            d.account_id,
            Task(TaskType(d.task_type), d.task_minutes),
            d.mode,
            d.winners,
            d.entry_minutes,
            d.at,
            d.status,
            d.distribution_id,
            d.reason,
        )


@dataclass(frozen=True)
class PricedClaim:
    claim_id: int | None  # None: a promo code's voucher priced as if claimed (R-code)
    voucher_id: int
    discount: int
    usable: bool
    reason: str | None


@dataclass(frozen=True)
class QuoteView:
    subtotal: int
    best: PricedClaim | None
    total: int
    considered: tuple[PricedClaim, ...]


@dataclass(frozen=True)
class OrderView:
    order_id: str
    buyer_id: str
    subtotal: int
    voucher_id: int | None
    claim_id: int | None
    discount: int
    total: int
    status: str
    created_at: datetime
    lines: tuple[Line, ...] = field(default=())

    @classmethod
    def of(cls, o: ShopOrder, lines: tuple[Line, ...] = ()) -> OrderView:
        return cls(
            o.order_id,
            o.buyer_id,
            o.subtotal,
            o.voucher_id,
            o.claim_id,
            o.discount,
            o.total,
            o.status,
            o.created_at,
            lines,
        )
