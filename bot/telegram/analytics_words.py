"""What /stats, /export and /advice say (R-a1…R-a7, R-adv1…R-adv3): figures, promotion rows,
a voucher's or a session's stats, the sell-out forecast, the advice and the CSV headers, and
the periods and sorts a /stats page offers. The handlers are in analytics.py."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup

from bot.i18n import N_, _, babel_locale, ngettext, number
from bot.i18n import current as current_language
from bot.i18n import percent as fmt_percent
from bot.telegram.keyboards import button, markup, pager
from bot.telegram.render import (
    STATUS_LABELS,
    clip,
    esc,
    kind_short,
    local,
    money,
    role_label,
    warning_text,
)
from bot.telegram.voucher_draft import tier_text
from core.analytics_views import AccountStats, Figures, PromotionRow, Summary, Trend
from core.reading import read_count
from core.rules.advice import LOW_REDEMPTION, MIN_ORDERS_FOR_TIERS, Advice, Cause
from core.rules.targeting import Segment
from core.services.advice import ShopAdvice
from core.services.forecast import SelloutForecast
from core.views import ShopView, VoucherView

# period key → (label, length; None = all time)
PERIODS: dict[str, tuple[str, timedelta | None]] = {
    "7": (N_("Last 7 days"), timedelta(days=7)),
    "30": (N_("Last 30 days"), timedelta(days=30)),
    "all": (N_("All time"), None),
}
DEFAULT_PERIOD = "7"
SORTS = {"r": N_("revenue"), "roi": N_("ROI")}
SORT_ARG = {"r": "revenue", "roi": "roi"}
TOP_ROWS = 5  # promotion rows per /stats page (every page the same size, R-b4)
TOP_HOSTS = 5
# R-a7 split by segment (R-seg): how a segment heads its line of /stats.
SEGMENT_HEADINGS = {
    Segment.ALL: N_("All buyers"),
    Segment.NEW_CUSTOMERS: N_("New customers"),
    Segment.REPEAT_CUSTOMERS: N_("Repeat customers"),
    Segment.LAPSED_CUSTOMERS: N_("Lapsed customers"),
    Segment.NEW_FOLLOWERS: N_("New followers"),
}
ADD_CHOICES = (10, 50, 100)
ADVICE_BUDGET = 3800  # characters, leaving room under Telegram's 4096
OPEN = ("upcoming", "ongoing")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
STATS_USAGE = N_(
    "Use <code>/stats</code> (last 7 days), <code>/stats 30d</code>, <code>/stats all</code>, "
    "<code>/stats &lt;voucher id&gt;</code> or <code>/stats session &lt;id&gt;</code>."
)


# --- how figures read ---------------------------------------------------------------------


def percent(rate: float | None) -> str:
    return "—" if rate is None else fmt_percent(rate)


def roi_text(roi: float | None) -> str:
    return "—" if roi is None else format_decimal(roi, "0.00", locale=babel_locale())


def claims_text(n: int) -> str:
    return ngettext("{n} claim", "{n} claims", n).format(n=number(n))


def _used(n: int, rate: float | None) -> str:
    return _("{n} used ({rate})").format(n=number(n), rate=percent(rate))


def figures_line(f: Figures, shop: ShopView) -> str:
    """R-a1…R-a5 on one line."""
    return " · ".join(
        (
            claims_text(f.claims),
            _used(f.usage, f.redemption_rate),
            _("revenue {amount}").format(amount=money(f.revenue, shop)),
            ngettext("{n} order", "{n} orders", f.orders).format(n=number(f.orders)),
            ngettext("{n} buyer", "{n} buyers", f.buyers).format(n=number(f.buyers)),
            _("discount cost {amount}").format(amount=money(f.discount_cost, shop)),
            _("ROI {roi}").format(roi=roi_text(f.roi)),
        )
    )


def _status(status: str) -> str:
    if status == "sold_out":  # as /quota says it
        return _("🔴 Sold out")
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else esc(status)


def segment_lines(split: Mapping[Segment, Figures], shop: ShopView) -> list[str]:
    """R-a7 by segment (R-seg): a line per segment with claims, orders and revenue; none when
    no targeted voucher had a claim or an order (the split would repeat "All vouchers")."""
    active = [(s, f) for s, f in split.items() if f.claims or f.orders]
    if all(s == Segment.ALL for s, _f in active):
        return []
    lines = ["", _("<b>By buyer segment</b>")]
    for segment, f in active:
        figures = " · ".join(
            (
                claims_text(f.claims),
                ngettext("{n} order", "{n} orders", f.orders).format(n=number(f.orders)),
                _("revenue {amount}").format(amount=money(f.revenue, shop)),
            )
        )
        lines.append(f"{_(SEGMENT_HEADINGS[segment])}: {figures}")
    return lines


def promotion_line(rank: int, r: PromotionRow, shop: ShopView) -> str:
    f = r.figures
    return (
        f"{rank}. /v_{r.voucher_id} <b>{esc(r.name)}</b> · {kind_short(r.kind)} · "
        f"{_status(r.shown_status)} — "
        + " · ".join(
            (
                _("revenue {amount}").format(amount=money(f.revenue, shop)),
                _("ROI {roi}").format(roi=roi_text(f.roi)),
                claims_text(f.claims) + ", " + _used(f.usage, f.redemption_rate),
            )
        )
    )


def period_bounds(key: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    length = PERIODS[key][1]
    return (None, None) if length is None else (now - length, now)


def chart_span(trend: Trend, shop: ShopView, now: datetime) -> str:
    """The chart's period as /stats states its own: its first edge up to now at the latest."""
    end = min(trend.end, now)
    return f"{local(trend.start, shop)} – {local(end, shop)} ({esc(shop.timezone)})"


def period_text(key: str, start: datetime | None, end: datetime | None, shop: ShopView) -> str:
    label = _(PERIODS[key][0])
    if start is None or end is None:
        return f"<b>{label}</b>"
    span = f"{local(start, shop)} – {local(end, shop)} ({esc(shop.timezone)})"
    return f"<b>{label}</b>: {span}"


def summary_text(
    summary: Summary,
    rows: list[PromotionRow],
    hosts: list[tuple[str, Figures]],
    key: str,
    sort: str,
    shop: ShopView,
    page: int = 0,
    segments: Mapping[Segment, Figures] | None = None,
) -> str:
    """One page of /stats: the heading, period and totals on every page, then TOP_ROWS rows
    of the promotion list (no voucher is cut off: the list is paged), the hosts' figures and
    the split by buyer segment."""
    pages = max(1, -(-len(rows) // TOP_ROWS))
    page = max(0, min(page, pages - 1))
    of = " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages) if pages > 1 else ""
    lines = [
        _("📊 <b>Vouchers — core data</b>") + of,
        period_text(key, summary.start, summary.end, shop),
        "",
        _("<b>All vouchers</b>: {figures}").format(figures=figures_line(summary.total, shop)),
        _("<b>Regular vouchers</b>: {figures}").format(figures=figures_line(summary.regular, shop)),
        _("<b>LIVE vouchers</b>: {figures}").format(figures=figures_line(summary.live, shop)),
        "",
        (
            _("<b>Promotion list by revenue</b>")
            if sort == "r"
            else _("<b>Promotion list by ROI</b>")
        ),
    ]
    if rows:
        first = page * TOP_ROWS
        chosen = rows[first : first + TOP_ROWS]
        lines += [promotion_line(first + i, r, shop) for i, r in enumerate(chosen, 1)]
    else:
        lines.append(_("No vouchers yet."))
    if hosts:
        lines += ["", _("<b>By host account</b>")]
        lines += [f"{host_label(label)}: {figures_line(f, shop)}" for label, f in hosts[:TOP_HOSTS]]
    lines += segment_lines(segments or {}, shop)
    lines += ["", _("Tap a /v_ number for a voucher, or use /stats &lt;id&gt; for its figures.")]
    return clip("\n".join(lines))


def summary_keyboard(
    key: str, sort: str, page: int = 0, pages: int = 1
) -> InlineKeyboardMarkup | None:
    def mark(label: str, chosen: bool) -> str:
        return f"• {label}" if chosen else label

    periods = [
        button(mark(label, k == key), "st", k, sort, "c")
        for k, label in (("7", _("7 days")), ("30", _("30 days")), ("all", _("All time")))
    ]
    sorts = [
        button(mark(_("By revenue"), sort == "r"), "st", key, "r"),
        button(mark(_("By ROI"), sort == "roi"), "st", key, "roi"),
    ]
    return markup(pager(page, pages, "st", key, sort), periods, sorts)


def forecast_text(f: SelloutForecast | None, now: datetime) -> str | None:
    """R-adv3 while a distribution is active."""
    if f is None:
        return None
    if f.remaining == 0:
        return _("⏳ Sold out: add quantity to keep the live distribution going.")
    if f.claims_per_minute is None:
        return _("⏳ Sell-out forecast: too early to tell (the distribution just started).")
    rate = _("{rate} claims a minute").format(
        rate=format_decimal(f.claims_per_minute, "0.0", locale=babel_locale())
    )
    if f.claims_per_minute <= 0:
        return _("⏳ Sell-out forecast: not in sight: no claims lately, {remaining} left.").format(
            remaining=number(f.remaining)
        )
    # The same arithmetic as the rate shown, so the two always agree.
    if f.sellout_at is not None:
        minutes = max(0, round((f.sellout_at - now).total_seconds() / 60))
    else:
        minutes = round(f.remaining / f.claims_per_minute)
    when = (
        _("in under a minute")
        if minutes < 1
        else ngettext("in about {n} minute", "in about {n} minutes", minutes).format(
            n=number(minutes)
        )
    )
    return _("⏳ Sell-out forecast: {when} at {rate}, {remaining} left.").format(
        when=when, rate=rate, remaining=number(f.remaining)
    )


def voucher_text(r: PromotionRow, v: VoucherView, forecast: str | None, shop: ShopView) -> str:
    f = r.figures
    lines = [
        f"📊 <b>{esc(r.name)}</b> (#{r.voucher_id}) · {kind_short(r.kind)} · "
        f"{_status(r.shown_status)}",
        _("Claims: {claims} · Usage: {usage} · Redemption rate: {rate}").format(
            claims=number(f.claims), usage=number(f.usage), rate=percent(f.redemption_rate)
        ),
        _("Revenue: {amount} from {orders} and {buyers}").format(
            amount=money(f.revenue, shop),
            orders=ngettext("{n} order", "{n} orders", f.orders).format(n=number(f.orders)),
            buyers=ngettext("{n} buyer", "{n} buyers", f.buyers).format(n=number(f.buyers)),
        ),
        _("Discount cost: {amount} · ROI: {roi}").format(
            amount=money(f.discount_cost, shop), roi=roi_text(f.roi)
        ),
        _("Quota: {remaining} of {total} left").format(
            remaining=number(v.remaining), total=number(v.total_quantity)
        ),
    ]
    if forecast:
        lines.append(forecast)
    return "\n".join(lines)


def session_text(session_id: int, rows: list[PromotionRow], shop: ShopView) -> str:
    lines = [_("📊 <b>Live session #{session}</b> — per voucher").format(session=session_id)]
    if not rows:
        lines.append(_("No claims or orders in this session yet."))
    for r in rows[:20]:
        lines.append(f"#{r.voucher_id} <b>{esc(r.name)}</b>: {figures_line(r.figures, shop)}")
    return clip("\n".join(lines))


def advice_text(a: ShopAdvice, shop: ShopView) -> str:
    lines = [_("💡 <b>Advice</b>"), "", _("<b>Minimum spend tiers</b>")]
    if a.tiers and a.aov:
        lines.append(
            ngettext(
                "Your average order value over the last 30 days is {aov} ({n} order). Seller "
                "Center suggests a minimum spend 1.2–1.5× higher, with deeper discounts for "
                "higher tiers:",
                "Your average order value over the last 30 days is {aov} ({n} orders). Seller "
                "Center suggests a minimum spend 1.2–1.5× higher, with deeper discounts for "
                "higher tiers:",
                a.orders_30d,
            ).format(aov=money(a.aov, shop), n=number(a.orders_30d))
        )
        lines += [f"• {tier_text(t, shop.currency)}" for t in a.tiers]
    else:
        lines.append(esc(history_note(a)))
    lines += ["", _("<b>Warnings</b>")]
    if not a.warnings:
        lines.append(_("✅ Nothing to warn about right now."))
    for shown, w in enumerate(a.warnings):
        block = [f"⚠️ #{w.voucher_id} {advice_warning(w, shop)}"]
        if w.causes:
            block.append(
                _("Likely causes: {causes}.").format(
                    causes="; ".join(cause_text(c) for c in w.causes)
                )
            )
        if sum(len(x) + 1 for x in lines + block) > ADVICE_BUDGET:
            more = len(a.warnings) - shown
            lines.append(
                ngettext("…and {n} more warning.", "…and {n} more warnings.", more).format(
                    n=number(more)
                )
            )
            break
        lines += block
    return clip("\n".join(lines))


_HOST = re.compile(r"^(.*) \((seller|official|marketing|platform)\)$")


def host_label(label: str) -> str:
    """Core's `name (role)` with the role in the reader's language."""
    found = _HOST.match(label)
    return f"{esc(found[1])} ({role_label(found[2])})" if found else esc(label)


def history_note(a: ShopAdvice) -> str:
    """Why R-adv1 has no tiers yet."""
    return ngettext(
        "Not enough order history yet: tiers need at least {needed} orders in the last 30 days "
        "to estimate the average order value, and the shop has {n}.",
        "Not enough order history yet: tiers need at least {needed} orders in the last 30 days "
        "to estimate the average order value, and the shop has {n}.",
        a.orders_30d,
    ).format(needed=MIN_ORDERS_FOR_TIERS, n=number(a.orders_30d))


def advice_warning(w: Advice, shop: ShopView) -> str:
    """An R-adv2 warning worded from its code and values, after the voucher's name."""
    if w.code == LOW_REDEMPTION:
        claims = int(w.data.get("claims", 0))
        sentence = ngettext(
            "Only {rate}% of its {n} claim was used (below 20%).",
            "Only {rate}% of its {n} claims were used (below 20%).",
            claims,
        ).format(rate=int(w.data.get("rate", 0)), n=number(claims))
    else:
        sentence = warning_text(w.code, dict(w.data), shop)
    return f"{esc(w.voucher_name)}: {sentence}"


def cause_text(cause: Cause) -> str:
    """A likely cause of a low redemption rate (R-adv2), worded from its code."""
    if cause.code == "min_spend_above_aov":
        return _("the minimum spend is more than 1.5× the average order")
    if cause.code == "min_spend_above_price":
        if cause.data.get("scope") == "products":
            return _("the minimum spend is above the average selling price of its products")
        return _("the minimum spend is above the average selling price of the shop's products")
    # The remaining code of the closed set (core.rules.advice): "product_selection".
    return _("the selected products may not be what buyers order")


def host_figures(stats: list[AccountStats]) -> list[tuple[str, Figures]]:
    return [(a.label, a.figures) for a in stats if a.figures.claims or a.figures.orders]


def voucher_id_of(text: str) -> int:
    value = read_count(text.lstrip("#"), current_language())
    if not 1 <= value <= MAX_ID:
        raise ValueError("not an id")
    return value


def parse_period(args: list[str]) -> tuple[str, str] | None:
    """`7d`, `30d`, `all` and `roi`/`revenue` in any order; None when something else."""
    key, sort = DEFAULT_PERIOD, "r"
    for arg in (a.lower() for a in args):
        if arg.removesuffix("d") in PERIODS:
            key = arg.removesuffix("d")
        elif arg in ("roi", "revenue"):
            sort = "roi" if arg == "roi" else "r"
        else:
            return None
    return key, sort
