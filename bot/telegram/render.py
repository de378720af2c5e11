"""How the bot shows things: HTML-escaped text, money in the shop's currency, times in the
shop's zone, Seller Center wording, and pages that stay under Telegram's 4096 characters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from core.errors import VoucherbotError
from core.money import format_money
from core.rules.live import Task
from core.views import ShopView, VoucherView

MESSAGE_LIMIT = 4096
PAGE_BUDGET = 3500  # room left for a header and a footer around a page of lines
# One date format everywhere (R-b5), the same as the team's notices (core/services/schedule.py
# local_time): `8 Jun 2026 14:00`.
TIME_FORMAT = "%b %Y %H:%M"
KIND_LABELS = {"regular": "Regular Voucher", "live": "LIVE Interactive Voucher"}
STATUS_LABELS = {
    "ongoing": "🟢 Ongoing",
    "upcoming": "🕒 Upcoming",
    "ended": "⚪ Ended",
    "deactivated": "⛔ Deactivated",
}
STATUS_ORDER = ("ongoing", "upcoming", "ended", "deactivated")


def esc(text: object) -> str:
    return escape(str(text), quote=False)


def money(minor: int, shop: ShopView) -> str:
    return esc(format_money(minor, shop.currency))


def local(at: datetime, shop: ShopView) -> str:
    moment = at.astimezone(ZoneInfo(shop.timezone))
    return f"{moment.day} {moment.strftime(TIME_FORMAT)}"


def period(starts: datetime, ends: datetime, shop: ShopView) -> str:
    return f"{local(starts, shop)} – {local(ends, shop)} ({esc(shop.timezone)})"


def discount(v: VoucherView, shop: ShopView) -> str:
    if v.discount_type == "amount":
        return f"{money(v.amount or 0, shop)} off"
    return f"{v.percent}% off, max {money(v.max_discount or 0, shop)} per order"


def min_spend(minor: int, shop: ShopView) -> str:
    return f"min. spend {money(minor, shop)}" if minor else "no minimum spend"


def task(t: Task) -> str:
    return esc(t.describe())


def kind_short(kind: str) -> str:
    return "LIVE" if kind == "live" else "Regular"


def status_label(v: VoucherView) -> str:
    """The status a person expects: an ongoing voucher with nothing left reads as sold out."""
    if v.status == "ongoing" and v.remaining <= 0:
        return "🔴 Sold out"
    return STATUS_LABELS.get(v.status, esc(v.status))


def voucher_line(v: VoucherView, shop: ShopView) -> str:
    """One tappable line: `/v_12` opens the voucher's details (R-b6)."""
    left = "sold out" if v.remaining <= 0 else f"{v.remaining:,}/{v.total_quantity:,} left"
    return f"/v_{v.id} <b>{esc(v.name)}</b> · {kind_short(v.kind)} · {discount(v, shop)} · {left}"


def voucher_details(v: VoucherView, shop: ShopView) -> str:
    scope = (
        "Entire shop"
        if v.scope == "shop"
        else f"Specific products: {esc(', '.join(v.product_ids))}"
    )
    use_until = (
        f"{v.valid_days} days after claiming"
        if v.valid_days is not None
        else local(v.effective_redeem_until or v.ends_at, shop)
    )
    lines = [
        f"🎟 <b>{esc(v.name)}</b> (#{v.id})",
        f"{KIND_LABELS.get(v.kind, v.kind)} · {status_label(v)}",
        f"Discount: {discount(v, shop)}",
        f"Minimum spend: {money(v.min_spend, shop) if v.min_spend else 'none'}",
        f"Applies to: {scope}",
        f"Quantity: {v.claimed:,} claimed, {v.redeemed:,} used, "
        f"<b>{v.remaining:,}</b> of {v.total_quantity:,} left",
        f"Claims per customer: {v.per_customer_limit}",
        f"Claim period: {period(v.starts_at, v.ends_at, shop)}",
        f"Use until: {use_until}",
        f"Estimated spend: {money(v.estimated_spend, shop)}",
    ]
    lines += [f"⚠️ {esc(w.message)}" for w in v.warnings]
    return "\n".join(lines)


def low_discount_warning(data: dict[str, int], percent: int, shop: ShopView) -> str:
    """R-v8 as Seller Center words it: the nominal and capped discount and the final price."""
    return (
        "⚠️ <b>Maximum Discount Per Order is Low</b>\n"
        f"On a {money(data['basket'], shop)} order, {percent}% off would be "
        f"{money(data['nominal'], shop)}, but the maximum discount per order caps it at "
        f"{money(data['capped'], shop)}: the buyer pays {money(data['final_price'], shop)}.\n"
        "Continue to create it exactly as configured, or Edit to change it."
    )


def error_text(exc: VoucherbotError, currency: str = "USD") -> str:
    """A core refusal in the user's words (R-b5): see bot/telegram/wording.py."""
    from bot.telegram.wording import refusal_text  # wording imports nothing from here

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
