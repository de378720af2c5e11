"""The /newvoucher draft as the flow keeps it (a JSON-able dict in user_data) and its
conversion to the core's VoucherDraft; the core's field errors are mapped back to the step
that asks for the field (R-b1), where bot/telegram/wording.py words them."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from bot.i18n import _, capital, money
from bot.telegram.keyboards import fit
from core.errors import FieldError
from core.rules.advice import Tier
from core.rules.vouchers import VoucherDraft, validate_draft

# The step that owns each API field: an error on the field re-asks that step.
FIELD_STEP = {
    "name": "name",
    "kind": "kind",
    "discount.type": "dtype",
    "discount.amount": "value",
    "discount.percent": "value",
    "discount.max_discount": "max",
    "min_spend": "min",
    "scope.type": "scope",
    "scope.product_ids": "products",
    "total_quantity": "qty",
    "per_customer_limit": "per",
    "starts_at": "period",
    "ends_at": "period",
    "redeem_until": "period",
    "valid_days": "period",
    "segment": "segment",
    "budget": "budget",
    "code": "code",
    "redemption_limit": "uses",
}
# The minimum-spend step also answers for R-v3 (amount below minimum spend).
STEP_FIELDS_EXTRA = {"min": {"discount.amount"}}
DATE_FORMAT = "%Y-%m-%d %H:%M"


def to_draft(
    state: dict[str, Any], now: datetime, currency: str = "USD", *, fill: bool = False
) -> VoucherDraft:
    """The core draft; `fill` puts harmless values in fields not asked yet, so one step's
    answer can be checked by the core's rules on its own."""
    percent = state.get("dtype") == "percent"
    starts = datetime.fromisoformat(state["start"]) if state.get("start") else now
    if state.get("end"):
        ends = datetime.fromisoformat(state["end"])
    elif state.get("hours"):
        ends = starts + timedelta(hours=state["hours"])
    else:
        ends = starts + timedelta(days=1) if fill else starts
    d = {
        "name": state.get("name") or auto_name(state, currency),
        "kind": state.get("kind") or ("regular" if fill else ""),
        "discount_type": state.get("dtype") or ("amount" if fill else ""),
        "amount": None if percent else state.get("amount", 1 if fill else None),
        "percent": state.get("percent", 10 if fill else None) if percent else None,
        "max_discount": state.get("max", 1 if fill else None) if percent else None,
        "min_spend": state.get("min", 0),
        "scope": state.get("scope") or "shop",
        "product_ids": tuple(state.get("pids") or ()) if state.get("scope") == "products" else (),
        "total_quantity": state.get("qty", 1 if fill else 0),
        "per_customer_limit": state.get("per", 1),
        "starts_at": starts,
        "ends_at": ends,
        "segment": state.get("segment") or "all",  # R-seg
        "budget": state.get("budget"),  # R-budget
        "code": state.get("code"),  # R-code
        "redemption_limit": state.get("uses"),  # R-redeem
    }
    if fill and d["scope"] == "products" and not d["product_ids"]:
        d["scope"] = "shop"
    return VoucherDraft(**d)


def step_errors(
    state: dict[str, Any], step: str, now: datetime, currency: str = "USD"
) -> list[FieldError]:
    """The core's complaints about what this step asks for (worded by bot/telegram/wording)."""
    fields = {f for f, s in FIELD_STEP.items() if s == step} | STEP_FIELDS_EXTRA.get(step, set())
    errors = validate_draft(to_draft(state, now, currency, fill=True), now)
    return [e for e in errors if e.field in fields]


def auto_name(state: dict[str, Any], currency: str) -> str:
    """A readable default name (the seller can rename it at the summary)."""
    if state.get("dtype") == "percent":
        off = _("{percent}% off").format(percent=state.get("percent", "?"))
    else:
        off = _("{amount} off").format(amount=money(state.get("amount") or 0, currency))
    minimum = state.get("min") or 0
    if minimum:
        off = _("{discount} over {minimum}").format(discount=off, minimum=money(minimum, currency))
    if state.get("kind") == "live":
        off = _("LIVE {discount}").format(discount=off)
    return fit(capital(off), 100)  # a name starts with a capital, in every language


def tier_text(t: Tier, currency: str) -> str:
    """An R-adv1 tier in Seller Center's words (HTML-escaped)."""
    minimum, off = money(t.min_spend, currency), money(t.amount_off, currency)
    return escape(
        _(
            "{tier}: minimum spend {minimum} — {off} off, or {percent}% off with a maximum "
            "discount of {off}"
        ).format(tier=tier_name(t.name), minimum=minimum, off=off, percent=t.percent_off),
        quote=False,
    )


def tier_name(name: str) -> str:
    """R-adv1's tiers by the names Seller Center gives them."""
    if name == "low":
        return _("Low")
    if name == "medium":
        return _("Medium")
    if name == "high":
        return _("High")
    return name.capitalize()
