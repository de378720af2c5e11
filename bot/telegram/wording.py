"""Every refusal the bot shows, worded in one place (R-b5), in the person's language (R-l10n1).

Core raises refusals as codes with parameters (`VoucherbotError.code/params`, and for field
errors `FieldError.field/code/params`); this module turns them into sentences for sellers and
hosts: what was wrong and what is accepted, with a subject, never a field name, rule id or code.
Each sentence is one gettext message (bot/locales/), with plural forms where a count is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from bot.i18n import N_, _, money, ngettext, number
from core.errors import FieldError, Problem, ValidationFailed, VoucherbotError
from core.money import MoneyInputError


def _e(value: object) -> str:
    return escape(str(value), quote=False)


# --- field errors ---------------------------------------------------------------------------

# What each field is called in a sentence (API dotted path → the seller's words).
SUBJECT = {
    "name": N_("The name"),
    "kind": N_("The kind of voucher"),
    "discount.type": N_("The discount type"),
    "discount.amount": N_("The discount"),
    "discount.percent": N_("The percentage"),
    "discount.max_discount": N_("The maximum discount per order"),
    "min_spend": N_("The minimum spend"),
    "scope.type": N_("The product scope"),
    "scope.product_ids": N_("The product selection"),
    "total_quantity": N_("The total quantity"),
    "per_customer_limit": N_("Claims per customer"),
    "quantity": N_("The quantity to add"),
    "starts_at": N_("The start of the claim period"),
    "ends_at": N_("The end of the claim period"),
    "redeem_until": N_("The last day of use"),
    "valid_days": N_("The number of days of use"),
    "handle": N_("The platform handle"),
    "platform_handle": N_("The platform handle"),
    "currency": N_("The currency"),
    "timezone": N_("The time zone"),
    "role": N_("The account role"),
    "watched_seconds": N_("The watch time"),
    "task.type": N_("The task"),
    "task.minutes": N_("The watch time in minutes"),
    "language": N_("The language"),
}
MONEY_FIELDS = {"discount.amount", "discount.max_discount", "min_spend"}


def field_problem(error: FieldError, currency: str = "USD") -> str:
    """One field error as a sentence with its subject, HTML-escaped."""
    subject = _(SUBJECT.get(error.field, N_("That value")))
    p: Mapping[str, Any] = error.params
    code = error.code
    if code == Problem.REQUIRED:
        return _("{subject} is missing.").format(subject=subject)
    if code == Problem.NOT_WHOLE:
        return _("{subject} must be a whole number.").format(subject=subject)
    if code == Problem.OUT_OF_RANGE:
        lo, hi = p.get("lo", 0), p.get("hi", 0)
        if error.field in MONEY_FIELDS:
            if lo > 0:
                return _("{subject} must be more than {zero}.").format(
                    subject=subject, zero=_e(money(0, currency))
                )
            return _("{subject} can't be negative.").format(subject=subject)
        if error.field == "quantity":
            return _("{subject} must be a whole number of at least {lo}.").format(
                subject=subject, lo=number(lo)
            )
        return _("{subject} must be between {lo} and {hi}.").format(
            subject=subject, lo=number(lo), hi=number(hi)
        )
    if code == Problem.TOO_LONG:
        n = p.get("max", 0)
        return ngettext(
            "{subject} must be at most {n} character.",
            "{subject} must be at most {n} characters.",
            n,
        ).format(subject=subject, n=number(n))
    if code == Problem.NOT_BELOW_MIN_SPEND:
        return _("The discount must be less than the minimum spend.")
    if code == Problem.ABOVE_TOTAL:
        return _("Claims per customer can't be more than the total quantity.")
    if code == Problem.PRODUCT_COUNT:
        n = p.get("max", 0)
        return ngettext(
            "Choose between 1 and {n} product.", "Choose between 1 and {n} products.", n
        ).format(n=number(n))
    if code == Problem.PRODUCT_TWICE:
        return _("A product is selected twice.")
    if code in (Problem.PRODUCT_ID, Problem.PRODUCT_UNKNOWN):
        return _("There's no product {product} in your shop.").format(
            product=_e(p.get("product", ""))
        )
    if code == Problem.IN_PAST:
        return _("The claim period can't start in the past.")
    if code == Problem.NOT_AFTER_START:
        return _("The claim period must end after it starts.")
    if code == Problem.PERIOD_TOO_LONG:
        n = p.get("days", 0)
        return ngettext(
            "A claim period lasts at most {n} day.", "A claim period lasts at most {n} days.", n
        ).format(n=number(n))
    if code == Problem.ID_FORMAT:
        return _("{subject} must be 1–64 letters, digits or _ . : - (no spaces).").format(
            subject=subject
        )
    if code == Problem.CANNOT_CHANGE:
        return _("{subject} can't be changed.").format(subject=subject)
    fallback = _FIELD_FALLBACK.get(error.field)
    if fallback is not None:
        return _(fallback)
    return _("{subject} isn't valid.").format(subject=subject)


_FIELD_FALLBACK = {
    "task.type": N_("The task is watch (with minutes), follow or none."),
    "task.minutes": N_("Minutes go with the watch task only."),
    "handle": N_("A platform handle is 1–64 letters, digits or _ . : - (like acme_live)."),
    "name": N_("The name must be 1–100 characters."),
    "currency": N_("Choose a currency code such as USD or IDR."),
    "timezone": N_("Choose a time zone such as Asia/Jakarta."),
    "role": N_("An account is either official or marketing."),
    "language": N_("Choose one of the languages on the buttons."),
}


# --- refusals -------------------------------------------------------------------------------

Words = Callable[[Mapping[str, Any]], str]


def status_word(status: str) -> str:
    """A voucher status inside a sentence (`is ended`)."""
    words = {
        "upcoming": _("upcoming"),
        "ongoing": _("ongoing"),
        "ended": _("ended"),
        "deactivated": _("deactivated"),
    }
    return words.get(status) or _("no longer open")


def _status(p: Mapping[str, Any]) -> str:
    return status_word(str(p.get("status", "")))


def _role_full(p: Mapping[str, Any]) -> str:
    n = int(p.get("limit", 1))
    if p.get("role") == "official":
        text = ngettext(
            "The shop already has {n} official account: unlink one with /accounts first.",
            "The shop already has {n} official accounts: unlink one with /accounts first.",
            n,
        )
    elif p.get("role") == "marketing":
        text = ngettext(
            "The shop already has {n} marketing account: unlink one with /accounts first.",
            "The shop already has {n} marketing accounts: unlink one with /accounts first.",
            n,
        )
    else:
        text = ngettext(
            "The shop already has {n} linked account: unlink one with /accounts first.",
            "The shop already has {n} linked accounts: unlink one with /accounts first.",
            n,
        )
    return text.format(n=number(n))


def _currency_locked(p: Mapping[str, Any]) -> str:
    held = p.get("held")
    if held == "vouchers":
        text = _(
            "The currency can't change any more: the shop already has vouchers priced in "
            "{currency}, and they would be read in another currency."
        )
    elif held == "products":
        text = _(
            "The currency can't change any more: the shop already has products priced in "
            "{currency}, and they would be read in another currency."
        )
    elif held == "orders":
        text = _(
            "The currency can't change any more: the shop already has orders priced in "
            "{currency}, and they would be read in another currency."
        )
    else:
        text = _(
            "The currency can't change any more: the shop already has amounts in "
            "{currency}, and they would be read in another currency."
        )
    return text.format(currency=_e(p.get("currency", "")))


REFUSALS: dict[str, Words] = {
    "voucher_not_found": lambda p: _(
        "I can't find that voucher in your shop. /vouchers lists them."
    ),
    "account_not_found": lambda p: _(
        "I can't find that account in your shop. /accounts lists them."
    ),
    "product_not_found": lambda p: _("I can't find that product in your shop."),
    "shop_not_found": lambda p: _("I can't find your shop any more."),
    "invite_not_found": lambda p: _("This invite link isn't valid. Ask your seller for a new one."),
    "invite_used": lambda p: _("This invite link was already used. Ask your seller for a new one."),
    "invite_expired": lambda p: _("This invite link has expired. Ask your seller for a new one."),
    "already_in_shop": lambda p: _("You already belong to a shop."),
    "role_full": _role_full,
    "cannot_unlink_seller": lambda p: _("The seller's own account can't be unlinked."),
    "handle_taken": lambda p: _(
        "Another account in your shop already uses this handle. Check the spelling, or ask "
        "your seller to change theirs first."
    ),
    "edit_not_allowed": lambda p: _(
        "This voucher is {status}: it can't be changed any more."
    ).format(status=_status(p)),
    "quantity_not_raised": lambda p: _("The total quantity can only go up."),
    "session_active": lambda p: _("You're already live. End that session with /endlive first."),
    "session_not_found": lambda p: _("I can't find that live session."),
    "no_active_session": lambda p: _("You're not live right now. Start a session with /live."),
    "session_ended": lambda p: _("That live session has ended. Start a new one with /live."),
    "not_live_voucher": lambda p: _("Only LIVE vouchers can be issued during a livestream."),
    "not_distributable": lambda p: _(
        "Only ongoing vouchers can be issued; this one is {status}."
    ).format(status=_status(p)),
    "sold_out": lambda p: _("This voucher is sold out: add quantity first with /addqty."),
    "distribution_active": lambda p: _(
        "This voucher is already being distributed: stop it with /stop first to change the task."
    ),
    "distribution_not_found": lambda p: _("That distribution is over."),
    "no_active_distribution": lambda p: _("This voucher is not being distributed right now."),
    "forbidden": lambda p: _("You may not do that in this shop."),
    "api_key_not_found": lambda p: _("I can't find that API key. /apikey revoke lists the keys."),
    "currency_locked": _currency_locked,
}
# By class, when a code has no sentence of its own: still no internal words.
_BY_KIND = {
    "not_found": N_("I can't find that. /help lists what you can do."),
    "forbidden": N_("You may not do that in this shop."),
    "conflict": N_("That can't be done right now."),
}


def refusal_text(exc: VoucherbotError, currency: str = "USD") -> str:
    """A core refusal as the sentence a seller or host reads (HTML-escaped)."""
    if isinstance(exc, ValidationFailed):
        lines = [field_problem(e, currency) for e in exc.errors]
        return "\n".join(dict.fromkeys(lines)) or _("That isn't valid.")
    words = REFUSALS.get(exc.code)
    if words is not None:
        return words(exc.params)
    return _(_BY_KIND.get(type(exc).code, N_("That can't be done right now.")))


# --- typed-input problems the bot finds itself ----------------------------------------------


def whole_number_wanted(lo: int, hi: int, example: int) -> str:
    return _("Send a whole number from {lo} to {hi}, like {example}.").format(
        lo=number(lo), hi=number(hi), example=number(example)
    )


_MONEY = {
    "empty": N_("Send an amount."),
    "negative": N_("An amount can't be negative."),
    "exponent": N_("Write the amount in plain digits."),
    "not_a_number": N_("That isn't an amount."),
    "grouping": N_("The digit grouping doesn't look right."),
    "zero": N_("The amount must be more than zero."),
    "too_large": N_("That amount is too large."),
}


def money_refusal(refusal: MoneyInputError) -> str:
    """A typed amount refused by core.money (R-money-in): why, the accepted form, a suggestion."""
    if refusal.code == "too_many_decimals":
        if refusal.decimals == 0:
            why = _("Amounts in {currency} have no decimals.").format(currency=_e(refusal.currency))
        else:
            why = ngettext(
                "Use at most {n} decimal.", "Use at most {n} decimals.", refusal.decimals
            ).format(n=number(refusal.decimals))
    else:
        why = _(_MONEY.get(refusal.code, N_("That isn't an amount.")))
    if refusal.suggestion:
        return _("{why} Did you mean {suggestion}?").format(
            why=why, suggestion=_e(refusal.suggestion)
        )
    return _("{why} For example: {example}.").format(why=why, example=_e(refusal.example))
