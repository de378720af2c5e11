"""R-budget's team notices (80% of the budget spent, the budget spent), composed as messages
the sender words in the team's language (see core/notifications.py)."""

from __future__ import annotations

from core.notifications import Message, html, money, msg, voucher_label
from storage.models import Shop, Voucher


def budget_text(shop: Shop, v: Voucher, kind: str, spent: int, budget: int) -> Message:
    """R-budget's team notices: 80% of the budget spent, and the budget spent."""
    label = html(voucher_label(v))
    if kind == "budget_spent":
        return msg(
            "🔴 The budget of {voucher} is spent: {spent} of {budget}. No more claims can be "
            "made; raise the budget to give more.",
            voucher=label,
            spent=money(spent, shop.currency),
            budget=money(budget, shop.currency),
        )
    return msg(
        "🟠 {percent}% of the budget of {voucher} is spent: {spent} of {budget}.",
        voucher=label,
        percent=spent * 100 // budget,
        spent=money(spent, shop.currency),
        budget=money(budget, shop.currency),
    )
