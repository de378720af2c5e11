"""Every refusal the bot shows, worded in one place (R-b5).

Core raises refusals as codes with parameters (`VoucherbotError.code/params`, and for field
errors `FieldError.field/code/params`); this module turns them into sentences for sellers and
hosts: what was wrong and what is accepted, with a subject, never a field name, rule id or code.
Each sentence is one template so a later issue can route them through gettext.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from core.errors import FieldError, Problem, ValidationFailed, VoucherbotError
from core.money import MoneyInputError, format_money


def _e(value: object) -> str:
    return escape(str(value), quote=False)


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 voucher`, `2 vouchers`, `1,000 vouchers` (English plural; ngettext later)."""
    word = one if n == 1 else (many or one + "s")
    return f"{n:,} {word}"


# --- field errors ---------------------------------------------------------------------------

# What each field is called in a sentence (API dotted path → the seller's words).
SUBJECT = {
    "name": "The name",
    "kind": "The kind of voucher",
    "discount.type": "The discount type",
    "discount.amount": "The discount",
    "discount.percent": "The percentage",
    "discount.max_discount": "The maximum discount per order",
    "min_spend": "The minimum spend",
    "scope.type": "The product scope",
    "scope.product_ids": "The product selection",
    "total_quantity": "The total quantity",
    "per_customer_limit": "Claims per customer",
    "quantity": "The quantity to add",
    "starts_at": "The start of the claim period",
    "ends_at": "The end of the claim period",
    "redeem_until": "The last day of use",
    "valid_days": "The number of days of use",
    "handle": "The platform handle",
    "platform_handle": "The platform handle",
    "currency": "The currency",
    "timezone": "The time zone",
    "role": "The account role",
    "watched_seconds": "The watch time",
    "task.type": "The task",
    "task.minutes": "The watch time in minutes",
}
MONEY_FIELDS = {"discount.amount", "discount.max_discount", "min_spend"}


def field_problem(error: FieldError, currency: str = "USD") -> str:
    """One field error as a sentence with its subject, HTML-escaped."""
    subject = SUBJECT.get(error.field, "That value")
    p: Mapping[str, Any] = error.params
    code = error.code
    if code == Problem.REQUIRED:
        return f"{subject} is missing."
    if code == Problem.NOT_WHOLE:
        return f"{subject} must be a whole number."
    if code == Problem.OUT_OF_RANGE:
        lo, hi = p.get("lo", 0), p.get("hi", 0)
        if error.field in MONEY_FIELDS:
            if lo > 0:
                return f"{subject} must be more than {_e(format_money(0, currency))}."
            return f"{subject} can't be negative."
        if error.field == "quantity":
            return f"{subject} must be a whole number of at least {lo:,}."
        return f"{subject} must be between {lo:,} and {hi:,}."
    if code == Problem.TOO_LONG:
        return f"{subject} must be at most {plural(p.get('max', 0), 'character')}."
    if code == Problem.NOT_BELOW_MIN_SPEND:
        return "The discount must be less than the minimum spend."
    if code == Problem.ABOVE_TOTAL:
        return "Claims per customer can't be more than the total quantity."
    if code == Problem.PRODUCT_COUNT:
        return f"Choose between 1 and {plural(p.get('max', 0), 'product')}."
    if code == Problem.PRODUCT_TWICE:
        return "A product is selected twice."
    if code in (Problem.PRODUCT_ID, Problem.PRODUCT_UNKNOWN):
        return f"There's no product {_e(p.get('product', ''))} in your shop."
    if code == Problem.IN_PAST:
        return "The claim period can't start in the past."
    if code == Problem.NOT_AFTER_START:
        return "The claim period must end after it starts."
    if code == Problem.PERIOD_TOO_LONG:
        return f"A claim period lasts at most {plural(p.get('days', 0), 'day')}."
    if code == Problem.ID_FORMAT:
        return f"{subject} must be 1–64 letters, digits or _ . : - (no spaces)."
    if code == Problem.CANNOT_CHANGE:
        return f"{subject} can't be changed."
    return _FIELD_FALLBACK.get(error.field, f"{subject} isn't valid.")


_FIELD_FALLBACK = {
    "task.type": "The task is watch (with minutes), follow or none.",
    "task.minutes": "Minutes go with the watch task only.",
    "handle": "A platform handle is 1–64 letters, digits or _ . : - (like acme_live).",
    "name": "The name must be 1–100 characters.",
    "currency": "Choose a currency code such as USD or IDR.",
    "timezone": "Choose a time zone such as Asia/Jakarta.",
    "role": "An account is either official or marketing.",
}


# --- refusals -------------------------------------------------------------------------------

Words = Callable[[Mapping[str, Any]], str]
_STATUS = {
    "upcoming": "upcoming",
    "ongoing": "ongoing",
    "ended": "ended",
    "deactivated": "deactivated",
}


def _status(p: Mapping[str, Any]) -> str:
    return _STATUS.get(str(p.get("status", "")), "no longer open")


REFUSALS: dict[str, Words] = {
    "voucher_not_found": lambda p: "I can't find that voucher in your shop. /vouchers lists them.",
    "account_not_found": lambda p: "I can't find that account in your shop. /accounts lists them.",
    "product_not_found": lambda p: "I can't find that product in your shop.",
    "shop_not_found": lambda p: "I can't find your shop any more.",
    "invite_not_found": lambda p: "This invite link isn't valid. Ask your seller for a new one.",
    "invite_used": lambda p: "This invite link was already used. Ask your seller for a new one.",
    "invite_expired": lambda p: "This invite link has expired. Ask your seller for a new one.",
    "already_in_shop": lambda p: "You already belong to a shop.",
    "role_full": lambda p: (
        "The shop already has "
        f"{plural(p.get('limit', 1), _e(p.get('role', 'linked')) + ' account')}: "
        "unlink one with /accounts first."
    ),
    "cannot_unlink_seller": lambda p: "The seller's own account can't be unlinked.",
    "edit_not_allowed": lambda p: f"This voucher is {_status(p)}: it can't be changed any more.",
    "quantity_not_raised": lambda p: "The total quantity can only go up.",
    "session_active": lambda p: "You're already live. End that session with /endlive first.",
    "session_not_found": lambda p: "I can't find that live session.",
    "no_active_session": lambda p: "You're not live right now. Start a session with /live.",
    "session_ended": lambda p: "That live session has ended. Start a new one with /live.",
    "not_live_voucher": lambda p: "Only LIVE vouchers can be issued during a livestream.",
    "not_distributable": lambda p: (
        f"Only ongoing vouchers can be issued; this one is {_status(p)}."
    ),
    "sold_out": lambda p: "This voucher is sold out: add quantity first with /addqty.",
    "distribution_active": lambda p: (
        "This voucher is already being distributed: stop it with /stop first to change the task."
    ),
    "distribution_not_found": lambda p: "That distribution is over.",
    "no_active_distribution": lambda p: "This voucher is not being distributed right now.",
    "forbidden": lambda p: "You may not do that in this shop.",
    "api_key_not_found": lambda p: "I can't find that API key. /apikey revoke lists the keys.",
    "currency_locked": lambda p: (
        "The currency can't change any more: the shop already has "
        f"{_HELD.get(p.get('held'), 'amounts')} priced in {_e(p.get('currency', ''))}, "
        "and they would be read in another currency."
    ),
}
_HELD = {"vouchers": "vouchers", "products": "products", "orders": "orders"}
# By class, when a code has no sentence of its own: still no internal words.
_BY_KIND = {
    "not_found": "I can't find that. /help lists what you can do.",
    "forbidden": "You may not do that in this shop.",
    "conflict": "That can't be done right now.",
}


def refusal_text(exc: VoucherbotError, currency: str = "USD") -> str:
    """A core refusal as the sentence a seller or host reads (HTML-escaped)."""
    if isinstance(exc, ValidationFailed):
        lines = [field_problem(e, currency) for e in exc.errors]
        return "\n".join(dict.fromkeys(lines)) or "That isn't valid."
    words = REFUSALS.get(exc.code)
    if words is not None:
        return words(exc.params)
    return _BY_KIND.get(type(exc).code, "That can't be done right now.")


# --- typed-input problems the bot finds itself ----------------------------------------------


def whole_number_wanted(lo: int, hi: int, example: int) -> str:
    return f"Send a whole number from {lo:,} to {hi:,}, like {example:,}."


_MONEY = {
    "empty": "Send an amount.",
    "negative": "An amount can't be negative.",
    "exponent": "Write the amount in plain digits.",
    "not_a_number": "That isn't an amount.",
    "grouping": "The digit grouping doesn't look right.",
    "zero": "The amount must be more than zero.",
    "too_large": "That amount is too large.",
}


def money_refusal(refusal: MoneyInputError) -> str:
    """A typed amount refused by core.money (R-money-in): why, the accepted form, a suggestion."""
    if refusal.code == "too_many_decimals":
        why = (
            f"Amounts in {refusal.currency} have no decimals."
            if refusal.decimals == 0
            else f"Use at most {plural(refusal.decimals, 'decimal')}."
        )
    else:
        why = _MONEY.get(refusal.code, "That isn't an amount.")
    if refusal.suggestion:
        return f"{why} Did you mean {_e(refusal.suggestion)}?"
    return f"{why} For example: {_e(refusal.example)}."
