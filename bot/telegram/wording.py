"""Every refusal the bot shows, worded in one place (R-b5), in the person's language (R-l10n1).

Core raises refusals as codes with parameters (`VoucherbotError.code/params`, and for field
errors `FieldError.field/code/params`); this module turns them into sentences for sellers and
hosts: what was wrong and what is accepted, with a subject, never a field name, rule id or code.
Each sentence is one gettext message (bot/locales/), with plural forms where a count is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from html import escape
from typing import Any

from bot.i18n import N_, _, capital, money, ngettext, number, when
from core.errors import FieldError, Problem, ValidationFailed, VoucherbotError
from core.money import MoneyInputError
from core.refusal_codes import (
    AccountCode,
    GeneralCode,
    IntegrationCode,
    LiveCode,
    ShopCode,
    VoucherCode,
)
from core.rules.claim_outcomes import RefusalCode
from core.rules.draws import DrawCode
from core.rules.targeting import BUDGET_BELOW_DISCOUNT, Segment, SegmentWindows


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
    "segment": N_("The buyers it is for"),
    "budget": N_("The budget"),
    "code": N_("The promo code"),
    "redemption_limit": N_("The number of uses"),
}
MONEY_FIELDS = {"discount.amount", "discount.max_discount", "min_spend", "budget"}


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
    if code == BUDGET_BELOW_DISCOUNT:
        return _("The budget must cover at least one discount: {amount} or more.").format(
            amount=_e(money(p.get("lo", 0), currency))
        )
    fallback = _FIELD_FALLBACK.get(error.field)
    if fallback is not None:
        return _(fallback)
    return _("{subject} isn't valid.").format(subject=subject)


_FIELD_FALLBACK = {
    "task.type": N_("The task is watch (with minutes), follow or none."),
    "task.minutes": N_("Minutes go with the watch task only."),
    "handle": N_("A platform handle is 1–64 letters, digits or _ . : - (like acme_live)."),
    "name": N_("The name must be 1–100 characters."),
    "code": N_("A promo code is 6–12 letters A–Z and digits, for a Regular voucher."),
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


def _draw_outlives_voucher(p: Mapping[str, Any]) -> str:
    """R-draw5: the draw's entries would close too late for the voucher's claim period."""
    close_by = p.get("close_by")
    at = when(datetime.fromisoformat(close_by), p.get("timezone")) if close_by else "—"
    longest = int(p.get("max_entry_minutes", 0))
    if longest < 1:
        return _(
            "This voucher's claim period ends too soon for a lucky draw: entries would have to "
            "close by {time}. Issue it first come, first served instead."
        ).format(time=_e(at))
    return ngettext(
        "This voucher's claim period ends too soon for that: the draw's entries must close by "
        "{time}. Choose at most {n} minute of entries.",
        "This voucher's claim period ends too soon for that: the draw's entries must close by "
        "{time}. Choose at most {n} minutes of entries.",
        longest,
    ).format(time=_e(at), n=number(longest))


REFUSALS: dict[str, Words] = {
    RefusalCode.VOUCHER_NOT_FOUND: lambda p: _(
        "I can't find that voucher in your shop. /vouchers lists them."
    ),
    AccountCode.ACCOUNT_NOT_FOUND: lambda p: _(
        "I can't find that account in your shop. /accounts lists them."
    ),
    VoucherCode.PRODUCT_NOT_FOUND: lambda p: _("I can't find that product in your shop."),
    ShopCode.SHOP_NOT_FOUND: lambda p: _("I can't find your shop any more."),
    AccountCode.INVITE_NOT_FOUND: lambda p: _(
        "This invite link isn't valid. Ask your seller for a new one."
    ),
    AccountCode.INVITE_USED: lambda p: _(
        "This invite link was already used. Ask your seller for a new one."
    ),
    AccountCode.INVITE_EXPIRED: lambda p: _(
        "This invite link has expired. Ask your seller for a new one."
    ),
    AccountCode.ALREADY_IN_SHOP: lambda p: _("You already belong to a shop."),
    AccountCode.ROLE_FULL: _role_full,
    AccountCode.CANNOT_UNLINK_SELLER: lambda p: _("The seller's own account can't be unlinked."),
    AccountCode.HANDLE_TAKEN: lambda p: _(
        "Another account in your shop already uses this handle. Check the spelling, or ask "
        "your seller to change theirs first."
    ),
    VoucherCode.EDIT_NOT_ALLOWED: lambda p: _(
        "This voucher is {status}: it can't be changed any more."
    ).format(status=_status(p)),
    VoucherCode.LOW_DISCOUNT_UNACKNOWLEDGED: lambda p: _(
        "The maximum discount is low for this percentage: check the summary and tap Continue "
        "to keep it."
    ),
    LiveCode.SESSION_ACTIVE: lambda p: _(
        "You're already live. End that session with /endlive first."
    ),
    LiveCode.SESSION_NOT_FOUND: lambda p: _("I can't find that live session."),
    LiveCode.NO_ACTIVE_SESSION: lambda p: _(
        "You're not live right now. Start a session with /live."
    ),
    LiveCode.SESSION_ENDED: lambda p: _("That live session has ended. Start a new one with /live."),
    LiveCode.NOT_LIVE_VOUCHER: lambda p: _("Only LIVE vouchers can be issued during a livestream."),
    LiveCode.NOT_DISTRIBUTABLE: lambda p: _(
        "Only ongoing vouchers can be issued; this one is {status}."
    ).format(status=_status(p)),
    RefusalCode.SOLD_OUT: lambda p: _("This voucher is sold out: add quantity first with /addqty."),
    LiveCode.DISTRIBUTION_ACTIVE: lambda p: _(
        "This voucher is already being distributed: stop it with /stop first to change the task."
    ),
    LiveCode.DISTRIBUTION_NOT_FOUND: lambda p: _("That distribution is over."),
    RefusalCode.NO_ACTIVE_DISTRIBUTION: lambda p: _(
        "This voucher is not being distributed right now."
    ),
    GeneralCode.FORBIDDEN: lambda p: _("You may not do that in this shop."),
    LiveCode.DROP_NOT_FOUND: lambda p: _("I can't find that drop. /drops lists the ones waiting."),
    LiveCode.DROP_NOT_PENDING: lambda p: _(
        "That drop isn't waiting any more: it was already issued or cancelled."
    ),
    DrawCode.DRAW_NOT_FOUND: lambda p: _("That distribution isn't a lucky draw."),
    DrawCode.NOT_A_DRAW: lambda p: _(
        "That distribution is first come, first served, not a lucky draw."
    ),
    DrawCode.DRAW_CLOSED: lambda p: _("Entries to this lucky draw have closed."),
    RefusalCode.NOT_CLAIMABLE: lambda p: _("This voucher can't be claimed: it is {status}.").format(
        status=_status(p)
    ),
    RefusalCode.LIMIT_REACHED: lambda p: _(
        "That viewer already has as many of this voucher as allowed."
    ),
    AccountCode.NO_SELLER_CHAT: lambda p: _(
        "The seller hasn't opened a chat with me yet: ask them to send me /start."
    ),
    IntegrationCode.API_KEY_NOT_FOUND: lambda p: _(
        "I can't find that API key. /apikey revoke lists the keys."
    ),
    ShopCode.CURRENCY_LOCKED: _currency_locked,
    AccountCode.SELLER_BLOCKED_BOT: lambda p: _(
        "The seller has blocked me, so I can't ask them. Ask them another way."
    ),
    DrawCode.DRAW_OUTLIVES_VOUCHER: _draw_outlives_voucher,
    RefusalCode.BUDGET_SPENT: lambda p: _(
        "This voucher's budget is spent: raise the budget to give more."
    ),
    RefusalCode.SEGMENT_NOT_MET: lambda p: _("This voucher is only for {segment}.").format(
        segment=segment_label(str(p.get("segment", "")))
    ),
    VoucherCode.CODE_TAKEN: lambda p: _(
        "Another voucher, {voucher}, already uses this promo code. Choose another code."
    ).format(voucher=_e(p.get("voucher_name", ""))),
    RefusalCode.CODE_NOT_FOUND: lambda p: _("No voucher has this promo code."),
    VoucherCode.NO_BUDGET: lambda p: _("This voucher has no budget, so there is none to raise."),
    VoucherCode.PRODUCT_IN_USE: lambda p: _(
        "A voucher that can still be claimed or used applies to this product, so it stays."
    ),
    IntegrationCode.ENDPOINT_NOT_FOUND: lambda p: _("I can't find that webhook address."),
    IntegrationCode.EVENT_NOT_FOUND: lambda p: _("I can't find that event."),
    LiveCode.OVERLAY_NOT_FOUND: lambda p: _(
        "That overlay link no longer works. /overlay gives you a new one."
    ),
    VoucherCode.NEW_CUSTOMERS_VOUCHER_EXISTS: lambda p: _(
        "Only one voucher for new customers can run at a time, and {voucher} already does in "
        "this period."
    ).format(voucher=_e(p.get("voucher_name", ""))),
}
# By class, when a code has no sentence of its own: still no internal words.
_BY_KIND: dict[str, str] = {
    GeneralCode.NOT_FOUND: N_("I can't find that. /help lists what you can do."),
    GeneralCode.FORBIDDEN: N_("You may not do that in this shop."),
    GeneralCode.CONFLICT: N_("That can't be done right now."),
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


# --- segments and promo codes (R-seg, R-code), for /newvoucher's steps -----------------------

_SEGMENT_LABELS: dict[str, str] = {
    Segment.ALL: N_("all buyers"),
    Segment.NEW_CUSTOMERS: N_("new customers"),
    Segment.REPEAT_CUSTOMERS: N_("repeat customers"),
    Segment.LAPSED_CUSTOMERS: N_("lapsed customers"),
    Segment.NEW_FOLLOWERS: N_("new followers"),
}


def segment_label(segment: str) -> str:
    """A segment's short name, as it reads after "only for" (R-seg)."""
    return _(_SEGMENT_LABELS.get(segment, N_("all buyers")))


def segment_meaning(segment: str, windows: SegmentWindows | None = None) -> str:
    """What a segment means in one line, with the shop's windows (R-seg)."""
    w = windows or SegmentWindows()
    if segment == Segment.NEW_CUSTOMERS:
        return _("Buyers who have never ordered from your shop.")
    if segment == Segment.REPEAT_CUSTOMERS:
        return ngettext(
            "Buyers who ordered from your shop in the last {n} day.",
            "Buyers who ordered from your shop in the last {n} days.",
            w.repeat_days,
        ).format(n=number(w.repeat_days))
    if segment == Segment.LAPSED_CUSTOMERS:
        return _(
            "Buyers who ordered in the last {active} days but not in the last {quiet} days."
        ).format(active=number(w.lapsed_active_days), quiet=number(w.lapsed_quiet_days))
    if segment == Segment.NEW_FOLLOWERS:
        return ngettext(
            "Buyers who newly followed one of your hosts in the last {n} day.",
            "Buyers who newly followed one of your hosts in the last {n} days.",
            w.follower_days,
        ).format(n=number(w.follower_days))
    return _("Every buyer can claim it.")


def code_share_text(code: str, voucher_name: str, discount_words: str) -> str:
    """What the seller forwards to buyers for a promo code (R-code), HTML-escaped."""
    return _(
        "🎁 {discount} at our shop with the code <b>{code}</b> ({voucher}). Enter it at "
        "checkout before it runs out!"
    ).format(discount=capital(discount_words), code=_e(code), voucher=_e(voucher_name))
