"""How the bot shows things: HTML-escaped text, money in the shop's currency and times in the
shop's zone (both in the reader's language's conventions, R-l10n1), Seller Center wording, and
pages that stay under Telegram's 4096 characters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from bot.i18n import N_, _, ngettext, number, when
from bot.i18n import money as _money
from bot.telegram.wording import refusal_text, segment_label
from core.errors import VoucherbotError
from core.rules.advice import FOLLOW_MULTI_CLAIM, LIVE_LESS_ATTRACTIVE
from core.rules.live import Task, TaskType
from core.rules.targeting import BUDGET_LOW, NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV, SEGMENT_QUIET
from core.rules.vouchers import LOW_MAX_DISCOUNT
from core.views import ShopView, VoucherView

MESSAGE_LIMIT = 4096
PAGE_BUDGET = 3500  # room left for a header and a footer around a page of lines
# Seller Center's names for the two kinds (R-l10n2: each language's own platform terms).
KIND_LABELS = {"regular": N_("Regular Voucher"), "live": N_("LIVE Interactive Voucher")}
STATUS_LABELS = {
    "ongoing": N_("🟢 Ongoing"),
    "upcoming": N_("🕒 Upcoming"),
    "ended": N_("⚪ Ended"),
    "deactivated": N_("⛔ Deactivated"),
}
STATUS_ORDER = ("ongoing", "upcoming", "ended", "deactivated")


def esc(text: object) -> str:
    return escape(str(text), quote=False)


def money(minor: int, shop: ShopView) -> str:
    """The shop's currency in the reader's conventions (R-l10n1): `Rp10.000`, `10,00 €`."""
    return esc(_money(minor, shop.currency))


def local(at: datetime, shop: ShopView) -> str:
    """The shop's clock, in the reader's language's one date format (bot/i18n.DATE_FORMATS)."""
    return esc(when(at, shop.timezone))


def period(starts: datetime, ends: datetime, shop: ShopView) -> str:
    return f"{local(starts, shop)} – {local(ends, shop)} ({esc(shop.timezone)})"


def discount(v: VoucherView, shop: ShopView) -> str:
    if v.discount_type == "amount":
        return _("{amount} off").format(amount=money(v.amount or 0, shop))
    return _("{percent}% off, max {cap} per order").format(
        percent=v.percent, cap=money(v.max_discount or 0, shop)
    )


def min_spend(minor: int, shop: ShopView) -> str:
    if minor:
        return _("min. spend {amount}").format(amount=money(minor, shop))
    return _("no minimum spend")


def task_words(t: Task) -> str:
    """A task as the reader says it: `watch 5 min`, `follow the host`, `no task`."""
    if t.type == TaskType.WATCH:
        return _("watch {minutes} min").format(minutes=t.minutes)
    if t.type == TaskType.FOLLOW:
        return _("follow the host")
    return _("no task")


def task(t: Task) -> str:
    return esc(task_words(t))


def status_name(status: str) -> str:
    """A voucher status on a button."""
    if status == "upcoming":
        return _("Upcoming")
    if status == "ongoing":
        return _("Ongoing")
    if status == "ended":
        return _("Ended")
    if status == "deactivated":
        return _("Deactivated")
    return esc(status)


def role_label(role: str) -> str:
    """An account's role as the team says it."""
    if role == "seller":
        return _("seller")
    if role == "official":
        return _("official")
    if role == "marketing":
        return _("marketing")
    if role == "platform":
        return _("the platform")
    return esc(role)


def kind_short(kind: str) -> str:
    return _("LIVE") if kind == "live" else _("Regular")


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else esc(kind)


def status_label(v: VoucherView) -> str:
    """The status a person expects: an ongoing voucher with nothing left reads as sold out."""
    if v.status == "ongoing" and v.remaining <= 0:
        return _("🔴 Sold out")
    return _(STATUS_LABELS[v.status]) if v.status in STATUS_LABELS else esc(v.status)


def voucher_line(v: VoucherView, shop: ShopView) -> str:
    """One tappable line: `/v_12` opens the voucher's details (R-b6)."""
    if v.remaining <= 0:
        left = _("sold out")
    else:
        left = _("{remaining}/{total} left").format(
            remaining=number(v.remaining), total=number(v.total_quantity)
        )
    return f"/v_{v.id} <b>{esc(v.name)}</b> · {kind_short(v.kind)} · {discount(v, shop)} · {left}"


def voucher_details(v: VoucherView, shop: ShopView, *, draft: bool = False) -> str:
    """A voucher's card; a `draft` (the /newvoucher summary) has no id, status or counters."""
    scope = (
        _("Entire shop")
        if v.scope == "shop"
        else _("Specific products: {products}").format(products=esc(", ".join(v.product_ids)))
    )
    use_until = (
        ngettext("{n} day after claiming", "{n} days after claiming", v.valid_days).format(
            n=number(v.valid_days)
        )
        if v.valid_days is not None
        else local(v.effective_redeem_until or v.ends_at, shop)
    )
    quantity = _(
        "Quantity: {claimed} claimed, {used} used, <b>{remaining}</b> of {total} left"
    ).format(
        claimed=number(v.claimed),
        used=number(v.redeemed),
        remaining=number(v.remaining),
        total=number(v.total_quantity),
    )
    if draft:
        quantity = _("Total quantity: {total}").format(total=number(v.total_quantity))
    if draft:  # R-budget: what the seller chose (nothing is spent yet)
        quantity += "\n" + _("Budget: {amount}").format(
            amount=money(v.budget, shop) if v.budget is not None else _("none")
        )
    elif v.budget is not None:  # R-budget: spent, reserved and left
        quantity += "\n" + _(
            "Budget: {spent} spent, {reserved} reserved, <b>{left}</b> of {budget} left"
        ).format(
            spent=money(v.budget_spent, shop),
            reserved=money(v.budget_reserved, shop),
            left=money(v.budget_left or 0, shop),
            budget=money(v.budget, shop),
        )
    lines = [
        f"🎟 <b>{esc(v.name)}</b>" + ("" if draft else f" (#{v.id})"),
        kind_label(v.kind) if draft else f"{kind_label(v.kind)} · {status_label(v)}",
        _("Discount: {discount}").format(discount=discount(v, shop)),
        _("Minimum spend: {amount}").format(
            amount=money(v.min_spend, shop) if v.min_spend else _("none")
        ),
        _("Applies to: {scope}").format(scope=scope),
        quantity,
        _("Claims per customer: {n}").format(n=number(v.per_customer_limit)),
        _("Claim period: {period}").format(period=period(v.starts_at, v.ends_at, shop)),
        _("Use until: {until}").format(until=use_until),
        _("Estimated spend: {amount}").format(amount=money(v.estimated_spend, shop)),
    ]
    lines += _targeting_lines(v, draft=draft)
    if not draft:
        lines += [f"⚠️ {warning_text(w.code, w.data, shop)}" for w in v.warnings]
    return "\n".join(lines)


def _targeting_lines(v: VoucherView, *, draft: bool = False) -> list[str]:
    """R-seg, R-code, R-redeem on a voucher's card (the budget is beside the quantity); a
    draft (the /newvoucher summary) shows each, chosen or not."""
    lines = []
    if v.segment != "all" or draft:
        lines.append(_("Only for: {segment}").format(segment=segment_label(v.segment)))
    if v.code:
        lines.append(_("Promo code: <b>{code}</b>").format(code=esc(v.code)))
    elif draft and v.kind == "regular":
        lines.append(_("Promo code: <b>{code}</b>").format(code=_("none")))
    if v.redemption_limit is not None:
        lines.append(_("Uses allowed: {n}").format(n=number(v.redemption_limit)))
    elif draft:
        lines.append(_("Uses allowed: no limit"))
    return lines


def warning_text(code: str, data: Mapping[str, int], shop: ShopView) -> str:
    """A warning core raised (R-v8, R-adv2), by its code, in the reader's language."""
    if code == LOW_MAX_DISCOUNT:
        if not data:
            return _("Maximum Discount Per Order is Low")
        return _(
            "Maximum Discount Per Order is Low: on a {basket} order, the buyer gets {capped} "
            "off instead of {nominal}."
        ).format(
            basket=money(data.get("basket", 0), shop),
            capped=money(data.get("capped", 0), shop),
            nominal=money(data.get("nominal", 0), shop),
        )
    if code == LIVE_LESS_ATTRACTIVE:
        if not data.get("regular_voucher_id"):
            return _(
                "This LIVE voucher is less attractive than an ongoing Regular voucher: viewers "
                "may skip it."
            )
        return _(
            "This LIVE voucher is less attractive than the ongoing Regular voucher #{id}: "
            "viewers may skip it."
        ).format(id=data.get("regular_voucher_id", 0))
    if code == FOLLOW_MULTI_CLAIM:
        n = int(data.get("per_customer_limit", 2))
        return ngettext(
            "This voucher allows {n} claim per customer: with a Follow task, 1 is recommended "
            "so viewers can't re-follow to claim again.",
            "This voucher allows {n} claims per customer: with a Follow task, 1 is recommended "
            "so viewers can't re-follow to claim again.",
            n,
        ).format(n=number(n))
    targeting = _targeting_warning(code, data, shop)
    if targeting is not None:
        return targeting
    return _("Check this voucher's settings.")


def _targeting_warning(code: str, data: Mapping[str, int], shop: ShopView) -> str | None:
    """R-adv2's warnings about budgets and segments (R-budget, R-seg)."""
    if code == BUDGET_LOW:
        n = int(data.get("claims", 0))
        return ngettext(
            "The budget left ({left}) pays for only {n} more claim: raise it if you want the "
            "voucher to keep giving.",
            "The budget left ({left}) pays for only {n} more claims: raise it if you want the "
            "voucher to keep giving.",
            n,
        ).format(left=money(data.get("left", 0), shop), n=number(n))
    if code == NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV:
        return _(
            "The minimum spend ({min_spend}) is above your average order ({aov}): a high bar "
            "for a first order."
        ).format(
            min_spend=money(data.get("min_spend", 0), shop), aov=money(data.get("aov", 0), shop)
        )
    if code == SEGMENT_QUIET:
        n = int(data.get("days", 30))
        return ngettext(
            "No buyer of this group has claimed a voucher for it in the last {n} day.",
            "No buyer of this group has claimed a voucher for it in the last {n} days.",
            n,
        ).format(n=number(n))
    return None


def low_discount_warning(data: dict[str, int], percent: int, shop: ShopView) -> str:
    """R-v8 as Seller Center words it: the nominal and capped discount and the final price."""
    return (
        "⚠️ <b>"
        + _("Maximum Discount Per Order is Low")
        + "</b>\n"
        + _(
            "On a {basket} order, {percent}% off would be {nominal}, but the maximum discount "
            "per order caps it at {capped}: the buyer pays {final}."
        ).format(
            basket=money(data["basket"], shop),
            percent=percent,
            nominal=money(data["nominal"], shop),
            capped=money(data["capped"], shop),
            final=money(data["final_price"], shop),
        )
        + "\n"
        + _("Continue to create it exactly as configured, or Edit to change it.")
    )


def error_text(exc: VoucherbotError, currency: str = "USD") -> str:
    """A core refusal in the user's words (R-b5): see bot/telegram/wording.py."""

    return refusal_text(exc, currency)


@dataclass(frozen=True)
class Page:
    text: str
    number: int  # 0-based, clamped into range
    count: int


def paginate(lines: Sequence[str], number: int, *, per_page: int = 10) -> Page:
    """Splits lines into pages of at most `per_page` lines and PAGE_BUDGET characters."""
    pages: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = line if len(line) <= PAGE_BUDGET else line[: PAGE_BUDGET - 1] + "…"
        if pages[-1] and (len(pages[-1]) >= per_page or size + len(line) + 1 > PAGE_BUDGET):
            pages.append([])
            size = 0
        pages[-1].append(line)
        size += len(line) + 1
    number = max(0, min(number, len(pages) - 1))
    return Page("\n".join(pages[number]), number, len(pages))


def clip(text: str) -> str:
    """A last guard for replies that could still grow past Telegram's limit."""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
