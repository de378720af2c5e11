"""/stats, /export and /advice (R-a1…R-a7, R-adv1…R-adv3), the 📊 Stats button under a
voucher's details, and the "Add quantity" button of a sell-out forecast.

Buttons: `st:<period>:<sort>[:c]` a /stats page (`c`: the period changed, so its chart is
sent again), `sv:<id>` a voucher's stats, `v:<id>:addq` the forecast's button (written by
`core.services.forecast`) and `v:<id>:addq:<n>` its one-tap amounts; "Other amount…" enters
the /addqty flow of `vouchers.py` (`v:<id>:add`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler

from bot.charts import trend_png
from bot.exports import send_export
from bot.i18n import N_, _, number
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.analytics_words import (
    ADD_CHOICES,
    OPEN,
    PERIODS,
    SORT_ARG,
    SORTS,
    STATS_USAGE,
    TOP_ROWS,
    advice_text,
    chart_span,
    claims_text,
    forecast_text,
    host_figures,
    parse_period,
    period_bounds,
    session_text,
    summary_keyboard,
    summary_text,
    voucher_id_of,
    voucher_text,
)
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.features import Wiring, command
from bot.telegram.keyboards import button, markup
from bot.telegram.render import (
    esc,
    money,
)
from bot.telegram.replies import ack, notice, say, show, stale
from bot.telegram.wording import status_word
from core.analytics_views import Trend
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.views import ShopView, VoucherView

COMMANDS = [
    CommandInfo("stats", N_("/stats [<id>]"), N_("analytics with a trend chart"), Audience.LINKED),
    CommandInfo("export", "/export", N_("the promotion list as a CSV file"), Audience.SELLER),
    CommandInfo("advice", "/advice", N_("minimum-spend tiers and warnings"), Audience.SELLER),
]


class AnalyticsHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    # --- /stats ------------------------------------------------------------------------------

    @member_only(Action.READ)
    async def stats(self, update: Update, context: Ctx, member: Membership) -> None:
        args = context.args or []
        try:
            if len(args) == 2 and args[0].lower() == "session":
                await self._session(update, member, voucher_id_of(args[1]))
                return
            if len(args) == 1 and args[0].lstrip("#").isdigit():
                await self._voucher(update, member, voucher_id_of(args[0]))
                return
        except ValueError:
            pass
        parsed = parse_period(args)
        if parsed is None:
            await say(update, _(STATS_USAGE))
            return
        await self._summary(update, member, *parsed, chart=True)

    @member_only(Action.READ)
    async def stats_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        parts = (update.callback_query.data or "").split(":")
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
        hosts = host_figures(await analytics.accounts(actor, start, end))
        segments = await self.services.segments.by_segment(actor, start, end)
        text = summary_text(summary, rows, hosts, key, sort, member.shop, page, segments)
        pages = max(1, -(-len(rows) // TOP_ROWS))
        await show(update, text, summary_keyboard(key, sort, min(page, pages - 1), pages))
        if chart:
            title = _("{shop} — all vouchers").format(shop=member.shop.name)
            await self._chart(update, trend, title, member.shop, now)

    @member_only(Action.READ)
    async def voucher_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        voucher_id = int((update.callback_query.data or "").split(":")[1])
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
            claims=claims_text(claims),
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
        parsed = parse_period(context.args or [])
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
        chat = update.effective_chat
        if chat is not None:  # R-l10n4: the .xlsx beside the CSV, in the seller's language
            await send_export(
                chat,
                self.services,
                member,
                sort=SORT_ARG[sort],
                start=start,
                end=end,
                period_words=_(PERIODS[key][0]),
                sort_words=_(SORTS[sort]),
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
        assert update.callback_query is not None, "registered for buttons only"
        voucher_id = int((update.callback_query.data or "").split(":")[1])
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
        assert update.callback_query is not None, "registered for buttons only"
        _v, raw_id, _addq, raw_n = (update.callback_query.data or "").split(":")
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


# Offered under a voucher's details (gathered by application.register_features).
DETAIL_BUTTONS = (stats_button,)


def register(application: App, wiring: Wiring) -> None:
    h = AnalyticsHandlers(wiring.services)
    application.add_handler(command("stats", h.stats))
    application.add_handler(command("export", h.export))
    application.add_handler(command("advice", h.advice))
    application.add_handler(
        CallbackQueryHandler(h.stats_button, pattern=r"^st:\w+:\w+(:\d+)?(:c)?$")
    )
    application.add_handler(CallbackQueryHandler(h.voucher_button, pattern=r"^sv:\d+$"))
    application.add_handler(CallbackQueryHandler(h.add_offer, pattern=r"^v:\d+:addq$"))
    application.add_handler(CallbackQueryHandler(h.add_amount, pattern=r"^v:\d+:addq:\d+$"))
