"""What analytics returns (R-a1…R-a7): plain, typed snapshots the adapters render and the CSV
export writes, beside `core.views`. Kept apart from `core.services.analytics` so the export
and the adapters read them without importing the service (and the service imports the export
without a circle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.analytics_queries import OrderTotals


@dataclass(frozen=True)
class Figures:
    """R-a1…R-a5 for one group of vouchers; money in minor units."""

    claims: int = 0
    usage: int = 0
    revenue: int = 0
    orders: int = 0
    buyers: int = 0
    discount_cost: int = 0

    @property
    def redemption_rate(self) -> float | None:
        """R-a3 usage / claims; None without claims."""
        return self.usage / self.claims if self.claims else None

    @property
    def roi(self) -> float | None:
        """R-a5 revenue / discount cost; None when nothing was discounted."""
        return self.revenue / self.discount_cost if self.discount_cost else None

    @classmethod
    def of(cls, claims: int, totals: OrderTotals | None) -> Figures:
        t = totals or OrderTotals()
        return cls(claims, t.orders, t.revenue, t.orders, t.buyers, t.discount)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims": self.claims,
            "usage": self.usage,
            "redemption_rate": self.redemption_rate,
            "revenue": self.revenue,
            "orders": self.orders,
            "buyers": self.buyers,
            "discount_cost": self.discount_cost,
            "roi": self.roi,
        }


@dataclass(frozen=True)
class Summary:
    start: datetime | None
    end: datetime | None
    currency: str
    regular: Figures
    live: Figures
    total: Figures


@dataclass(frozen=True)
class PromotionRow:
    voucher_id: int
    name: str
    kind: str
    status: str
    figures: Figures
    # Every voucher claimed: an ongoing one is shown as sold out, as /quota shows it.
    sold_out: bool = False

    @property
    def shown_status(self) -> str:
        """The status a person reads: `sold_out` for an ongoing voucher with nothing left."""
        return "sold_out" if self.status == "ongoing" and self.sold_out else self.status

    def as_dict(self) -> dict[str, Any]:
        """The API's promotion-list row (docs/api.md)."""
        head = {"voucher_id": self.voucher_id, "name": self.name, "kind": self.kind}
        return head | {"status": self.status} | self.figures.as_dict()


@dataclass(frozen=True)
class SessionStats:
    session_id: int
    account_id: int
    started_at: datetime
    ended_at: datetime | None
    figures: Figures


@dataclass(frozen=True)
class AccountStats:
    account_id: int
    role: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class TrendPoint:
    start: datetime  # in the shop's time zone
    claims: int
    usage: int
    revenue: int


@dataclass(frozen=True)
class Trend:
    bucket: str  # day | hour
    timezone: str
    currency: str
    start: datetime
    end: datetime
    voucher_id: int | None = None
    session_id: int | None = None
    points: tuple[TrendPoint, ...] = field(default=())

    @property
    def totals(self) -> tuple[int, int, int]:
        """(claims, usage, revenue) over the whole trend."""
        return (
            sum(p.claims for p in self.points),
            sum(p.usage for p in self.points),
            sum(p.revenue for p in self.points),
        )
