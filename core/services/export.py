"""The promotion list as CSV (`/export`, R-a7).

One header row, then one row per voucher in the list's order. Money columns hold integer
minor units (`revenue_minor`, `discount_cost_minor`, with the shop's `currency` on each row),
as everywhere in the API, so a spreadsheet sums them exactly; the bot's text shows the
formatted amounts. `redemption_rate` is a fraction rounded to 4 decimals and `roi` is rounded
to 2 decimals; both are empty when undefined (no claims, no discount cost). A name that a
spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from core.analytics_views import PromotionRow

HEADER = (
    "voucher_id",
    "name",
    "kind",
    "status",
    "claims",
    "usage",
    "redemption_rate",
    "revenue_minor",
    "orders",
    "buyers",
    "discount_cost_minor",
    "roi",
    "currency",
)


def _rounded(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def promotion_csv(
    rows: Iterable[PromotionRow], currency: str, headers: Sequence[str] | None = None
) -> str:
    """`headers`: the header row in the reader's language (the bot's /export, R-l10n1), one
    per column of HEADER; the API keeps HEADER's stable names (R-l10n3)."""
    if headers is not None and len(headers) != len(HEADER):
        raise ValueError(f"{len(HEADER)} headers needed, got {len(headers)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers or HEADER)
    for r in rows:
        f = r.figures
        writer.writerow(
            (
                r.voucher_id,
                _cell(r.name),
                r.kind,
                r.status,
                f.claims,
                f.usage,
                _rounded(f.redemption_rate, 4),
                f.revenue,
                f.orders,
                f.buyers,
                f.discount_cost,
                _rounded(f.roi, 2),
                currency,
            )
        )
    return out.getvalue()
