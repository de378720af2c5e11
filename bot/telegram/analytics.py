"""/stats, /export and /advice (R-a1…R-a7, R-adv1…R-adv3), the 📊 Stats button under a
voucher's details, and the "Add quantity" button of a sell-out forecast.

Buttons: `st:<period>:<sort>[:c]` a /stats page (`c`: the period changed, so its chart is
sent again), `sv:<id>` a voucher's stats, `v:<id>:addq` the forecast's button (written by
`core.services.forecast`) and `v:<id>:addq:<n>` its one-tap amounts; "Other amount…" enters
the /addqty flow of `vouchers.py` (`v:<id>:add`).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.charts import trend_png
from bot.i18n import N_, _, babel_locale, ngettext, number
from bot.i18n import current as current_language
from bot.i18n import percent as fmt_percent
from bot.telegram.access import Ctx, member_only
from bot.telegram.commands import Audience, CommandInfo
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
from bot.telegram.replies import ack, notice, say, show, stale
from bot.telegram.voucher_draft import tier_text
from bot.telegram.vouchers import DETAIL_BUTTONS
from bot.telegram.wording import status_word
from core.reading import read_count
from core.rules.advice import LOW_REDEMPTION, MIN_ORDERS_FOR_TIERS, Advice, Cause
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.services.advice import ShopAdvice
from core.services.analytics import AccountStats, Figures, PromotionRow, Summary, Trend
from core.services.forecast import SelloutForecast
from core.views import ShopView, VoucherView

COMMANDS = [
    CommandInfo("stats", N_("/stats [<id>]"), N_("analytics with a trend chart"), Audience.LINKED),
    CommandInfo("export", "/export", N_("the promotion list as a CSV file"), Audience.SELLER),
    CommandInfo("advice", "/advice", N_("minimum-spend tiers and warnings"), Audience.SELLER),
]
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


def _claims(n: int) -> str:
    return ngettext("{n} claim", "{n} claims", n).format(n=number(n))


def _used(n: int, rate: float | None) -> str:
    return _("{n} used ({rate})").format(n=number(n), rate=percent(rate))


def figures_line(f: Figures, shop: ShopView) -> str:
    """R-a1…R-a5 on one line."""
    return " · ".join(
        (
            _claims(f.claims),
            _used(f.usage, f.redemption_rate),
            _("revenue {amount}").format(amount=money(f.revenue, shop)),
            ngettext("{n} order", "{n} orders", f.orders).format(n=number(f.orders)),
            ngettext("{n} buyer", "{n} buyers", f.buyers).format(n=number(f.buyers)),
            _("discount cost {amount}").format(amount=money(f.discount_cost, shop)),
            _("ROI {roi}").format(roi=roi_text(f.roi)),
        )
    )


def _status(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else esc(status)


def promotion_line(rank: int, r: PromotionRow, shop: ShopView) -> str:
    f = r.figures
    return (
        f"{rank}. /v_{r.voucher_id} <b>{esc(r.name)}</b> · {kind_short(r.kind)} · "
        f"{_status(r.status)} — "
        + " · ".join(
            (
                _("revenue {amount}").format(amount=money(f.revenue, shop)),
                _("ROI {roi}").format(roi=roi_text(f.roi)),
                _claims(f.claims) + ", " + _used(f.usage, f.redemption_rate),
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
) -> str:
    """One page of /stats: the heading, period and totals on every page, then TOP_ROWS rows
    of the promotion list (no voucher is cut off: the list is paged)."""
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
        f"📊 <b>{esc(r.name)}</b> (#{r.voucher_id}) · {kind_short(r.kind)} · {_status(r.status)}",
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


def csv_headers() -> list[str]:
    """/export's header row in the reader's language, column for column (core's HEADER)."""
    return [
        _("Voucher ID"),
        _("Voucher name"),
        _("Kind"),
        _("Status"),
        _("Claims"),
        _("Usage"),
        _("Redemption rate"),
        _("Revenue (minor units)"),
        _("Orders"),
        _("Buyers"),
        _("Discount cost (minor units)"),
        _("ROI"),
        _("Currency"),
    ]


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


def _hosts(stats: list[AccountStats]) -> list[tuple[str, Figures]]:
    return [(a.label, a.figures) for a in stats if a.figures.claims or a.figures.orders]


def _id(text: str) -> int:
    value = read_count(text.lstrip("#"), current_language())
    if not 1 <= value <= MAX_ID:
        raise ValueError("not an id")
    return value


def _parse_period(args: list[str]) -> tuple[str, str] | None:
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


class AnalyticsHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    # --- /stats ------------------------------------------------------------------------------

    @member_only(Action.READ)
    async def stats(self, update: Update, context: Ctx, member: Membership) -> None:
        args = context.args or []
        try:
            if len(args) == 2 and args[0].lower() == "session":
                await self._session(update, member, _id(args[1]))
                return
            if len(args) == 1 and args[0].lstrip("#").isdigit():
                await self._voucher(update, member, _id(args[0]))
                return
        except ValueError:
            pass
        parsed = _parse_period(args)
        if parsed is None:
            await say(update, _(STATS_USAGE))
            return
        await self._summary(update, member, *parsed, chart=True)

    @member_only(Action.READ)
    async def stats_button(self, update: Update, context: Ctx, member: Membership) -> None:
        parts = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
        key, sort = parts[1], parts[2]
        if key not in PERIODS or sort not in SORTS:
            await stale(update)
            return
        await ack(update)
        page = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
        await self._summary(update, member, key, sort, chart="c" in parts[3:], page=page)

    async def _summary(
        self,
        update: Update,
        member: Membership,
        key: str,
        sort: str,
        *,
        chart: bool,
        page: int = 0,
    ) -> None:
        analytics, actor = self.services.analytics, member.actor
        now = self.services.clock.now()
        start, end = period_bounds(key, now)
        trend = await analytics.trend(actor, start=start, end=end)
        if start is not None:
            # The figures cover exactly what the chart draws: whole buckets in the shop's zone
            # from the chart's first edge up to now (nothing later can have happened).
            start, end = trend.start, min(trend.end, now)
        summary = await analytics.summary(actor, start, end)
        rows = await analytics.promotions(actor, SORT_ARG[sort], start, end)
        hosts = _hosts(await analytics.accounts(actor, start, end))
        text = summary_text(summary, rows, hosts, key, sort, member.shop, page)
        pages = max(1, -(-len(rows) // TOP_ROWS))
        await show(update, text, summary_keyboard(key, sort, min(page, pages - 1), pages))
        if chart:
            title = _("{shop} — all vouchers").format(shop=member.shop.name)
            await self._chart(update, trend, title, member.shop, now)

    @member_only(Action.READ)
    async def voucher_button(self, update: Update, context: Ctx, member: Membership) -> None:
        voucher_id = int((update.callback_query.data or "").split(":")[1])  # type: ignore[union-attr]
        await ack(update)
        await self._voucher(update, member, voucher_id)

    async def _voucher(self, update: Update, member: Membership, voucher_id: int) -> None:
        actor = member.actor
        row = await self.services.analytics.voucher(actor, voucher_id)
        v = await self.services.vouchers.get(actor, voucher_id)
        forecast = await self.services.forecast.forecast(actor, voucher_id)
        now = self.services.clock.now()
        await say(update, voucher_text(row, v, forecast_text(forecast, now), member.shop))
        trend = await self.services.analytics.trend(actor, voucher_id=voucher_id)
        await self._chart(update, trend, f"#{voucher_id} {row.name}", member.shop)

    async def _session(self, update: Update, member: Membership, session_id: int) -> None:
        rows = await self.services.analytics.session_vouchers(member.actor, session_id)
        await say(update, session_text(session_id, rows, member.shop))
        trend = await self.services.analytics.trend(member.actor, session_id=session_id)
        await self._chart(
            update, trend, _("Live session #{session}").format(session=session_id), member.shop
        )

    async def _chart(
        self,
        update: Update,
        trend: Trend,
        title: str,
        shop: ShopView,
        now: datetime | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        # Drawing takes a moment of CPU: keep the event loop free for other chats.
        png = await asyncio.to_thread(trend_png, trend, title)
        claims, usage, revenue = trend.totals
        span = chart_span(trend, shop, now or self.services.clock.now())
        caption = (
            _(
                "📈 {title} — claims and usage per day with revenue, {span}: {claims}, {used} "
                "used, {revenue}."
            )
            if trend.bucket == "day"
            else _(
                "📈 {title} — claims and usage per hour with revenue, {span}: {claims}, {used} "
                "used, {revenue}."
            )
        ).format(
            title=esc(title),
            span=span,
            claims=_claims(claims),
            used=number(usage),
            revenue=money(revenue, shop),
        )
        await chat.send_photo(png, caption=caption[:1024], filename="stats.png")

    # --- /export ------------------------------------------------------------------------------

    @member_only(Action.READ)
    async def export(self, update: Update, context: Ctx, member: Membership) -> None:
        if not member.actor.may(Action.MANAGE_VOUCHERS):
            await notice(
                update, _("🙏 Sorry, only the shop's seller can export the promotion list.")
            )
            return
        parsed = _parse_period(context.args or [])
        if parsed is None:
            await say(
                update,
                _(
                    "Use <code>/export</code>, <code>/export 30d</code> or "
                    "<code>/export all roi</code> (all time by default)."
                ),
            )
            return
        key, sort = parsed if context.args else ("all", "r")
        now = self.services.clock.now()
        start, end = period_bounds(key, now)
        text = await self.services.analytics.export_csv(
            member.actor, SORT_ARG[sort], start, end, headers=csv_headers()
        )
        chat = update.effective_chat
        if chat is None:
            return
        day = now.astimezone(ZoneInfo(member.shop.timezone)).date().isoformat()
        rows = max(0, len(text.splitlines()) - 1)
        caption = _(
            "📄 Promotion list — {period}, by {sort}: {vouchers}. Money columns are in minor "
            "units of {currency}."
        ).format(
            period=_(PERIODS[key][0]),
            sort=_(SORTS[sort]),
            vouchers=ngettext("{n} voucher", "{n} vouchers", rows).format(n=number(rows)),
            currency=esc(member.shop.currency),
        )
        await chat.send_document(
            text.encode("utf-8"), caption=caption, filename=f"promotions-{day}.csv"
        )

    # --- /advice ------------------------------------------------------------------------------

    @member_only(Action.READ)
    async def advice(self, update: Update, context: Ctx, member: Membership) -> None:
        if not member.actor.may(Action.MANAGE_VOUCHERS):
            await notice(update, _("🙏 Sorry, only the shop's seller can see the shop's advice."))
            return
        advice = await self.services.advice.advice(member.actor)
        await say(update, advice_text(advice, member.shop))

    # --- the sell-out forecast's "Add quantity" ------------------------------------------------

    @member_only(Action.MANAGE_VOUCHERS)
    async def add_offer(self, update: Update, context: Ctx, member: Membership) -> None:
        """Offers one-tap amounts in a new message: the forecast notice stays readable."""
        voucher_id = int((update.callback_query.data or "").split(":")[1])  # type: ignore[union-attr]
        v = await self.services.vouchers.get(member.actor, voucher_id)
        if v.status not in OPEN:
            await stale(
                update,
                _("Voucher #{id} is {status}: its quantity can't change now.").format(
                    id=v.id, status=status_word(v.status)
                ),
            )
            return
        await ack(update)
        amounts = [button(f"+{number(n)}", "v", v.id, "addq", n) for n in ADD_CHOICES]
        other = [button(_("Other amount…"), "v", v.id, "add")]
        await say(
            update,
            _("➕ <b>{name}</b> (#{id}): <b>{remaining}</b> of {total} left. Add how many?").format(
                name=esc(v.name),
                id=v.id,
                remaining=number(v.remaining),
                total=number(v.total_quantity),
            ),
            markup(amounts, other),
        )

    @member_only(Action.MANAGE_VOUCHERS)
    async def add_amount(self, update: Update, context: Ctx, member: Membership) -> None:
        _v, raw_id, _addq, raw_n = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
        voucher_id, amount = int(raw_id), int(raw_n)
        before = await self.services.vouchers.get(member.actor, voucher_id)
        if before.status not in OPEN:
            await stale(
                update,
                _("Voucher #{id} is {status}: nothing was added.").format(
                    id=voucher_id, status=status_word(before.status)
                ),
            )
            return
        v = await self.services.vouchers.add_quantity(member.actor, voucher_id, amount)
        await ack(update, _("Added {amount}.").format(amount=number(amount)))
        await show(
            update,
            _(
                "✅ Added {amount} to <b>{name}</b> (#{id}): {total} in total, {remaining} left."
            ).format(
                amount=number(amount),
                name=esc(v.name),
                id=v.id,
                total=number(v.total_quantity),
                remaining=number(v.remaining),
            ),
        )


def stats_button(v: VoucherView, member: Membership) -> list[InlineKeyboardButton]:
    """ "📊 Stats" under a voucher's details (every linked account may read analytics)."""
    return [button(_("📊 Stats"), "sv", v.id)] if member.actor.may(Action.READ) else []


def register(application: Application, services: Services) -> AnalyticsHandlers:
    if stats_button not in DETAIL_BUTTONS:  # one process may build several Applications
        DETAIL_BUTTONS.append(stats_button)
    h = AnalyticsHandlers(services)
    application.add_handler(CommandHandler("stats", h.stats))
    application.add_handler(CommandHandler("export", h.export))
    application.add_handler(CommandHandler("advice", h.advice))
    application.add_handler(
        CallbackQueryHandler(h.stats_button, pattern=r"^st:\w+:\w+(:\d+)?(:c)?$")
    )
    application.add_handler(CallbackQueryHandler(h.voucher_button, pattern=r"^sv:\d+$"))
    application.add_handler(CallbackQueryHandler(h.add_offer, pattern=r"^v:\d+:addq$"))
    application.add_handler(CallbackQueryHandler(h.add_amount, pattern=r"^v:\d+:addq:\d+$"))
    return h
