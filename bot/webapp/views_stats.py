"""R-app2: analytics — a period, the core figures (R-a1…R-a5), the promotion list sorted by
revenue or ROI (R-a7), the figures by host account and the trend chart drawn in the page —
from `AnalyticsService`, as /stats reads them: the same periods (bot/telegram/analytics_words),
the figures cut at the chart's first edge as /stats cuts them, and a voucher's own figures and
sell-out forecast as `/stats <id>` shows them."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import N_, _, ngettext, number
from bot.telegram.analytics_words import (
    DEFAULT_PERIOD,
    PERIODS,
    TOP_HOSTS,
    claims_text,
    figures_line,
    forecast_text,
    host_figures,
    host_label,
    percent,
    period_bounds,
    period_text,
    roi_text,
    voucher_text,
)
from bot.telegram.render import esc, kind_short, money, status_name
from bot.webapp.chart import trend_svg
from bot.webapp.html import card, fragment, get_button, nav, notice
from bot.webapp.html import esc as attr
from bot.webapp.visitor import Visitor, services_of
from core.analytics_views import Figures, PromotionRow
from core.rules.roles import Action
from core.services.accounts import Membership
from core.views import ShopView

SORTS = {"revenue": N_("By revenue"), "roi": N_("By ROI")}


def _tiles(f: Figures, shop: ShopView) -> str:
    tiles = (
        (_("Claims"), number(f.claims)),
        (
            _("Usage"),
            _("{n} used ({rate})").format(n=number(f.usage), rate=percent(f.redemption_rate)),
        ),
        (_("Revenue"), money(f.revenue, shop)),
        (_("ROI"), roi_text(f.roi)),
    )
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{v}</dd></div>" for k, v in tiles)
    extra = " · ".join(
        (
            ngettext("{n} order", "{n} orders", f.orders).format(n=number(f.orders)),
            ngettext("{n} buyer", "{n} buyers", f.buyers).format(n=number(f.buyers)),
            _("discount cost {amount}").format(amount=money(f.discount_cost, shop)),
        )
    )
    return f'<dl class="tiles">{cells}</dl><p class="meta">{extra}</p>'


def _row(r: PromotionRow, shop: ShopView) -> str:
    f = r.figures
    figures = " · ".join(
        (
            _("revenue {amount}").format(amount=money(f.revenue, shop)),
            esc(_("ROI {roi}").format(roi=roi_text(f.roi))),
            esc(claims_text(f.claims)),
        )
    )
    return (
        f'<li><button type="button" class="row" data-get="/app/v/voucher/{r.voucher_id}">'
        f'<span class="title">{esc(r.name)}</span>'
        f'<span class="meta">{kind_short(r.kind)} · {status_name(r.status)}</span>'
        f'<span class="meta">{figures}</span></button></li>'
    )


def _chips(label: str, options: dict[str, str], chosen: str, url: str) -> str:
    out = [
        f'<button type="button" class="chip" aria-pressed="{"true" if k == chosen else "false"}" '
        f'data-get="{attr(url.format(k))}">{esc(_(v))}</button>'
        for k, v in options.items()
    ]
    return f'<div class="chips" role="group" aria-label="{attr(label)}">{"".join(out)}</div>'


async def stats(request: web.Request, v: Visitor, member: Membership) -> str:
    key = request.query.get("period", DEFAULT_PERIOD)
    key = key if key in PERIODS else DEFAULT_PERIOD
    sort = request.query.get("sort", "revenue")
    sort = sort if sort in SORTS else "revenue"
    services = services_of(request)
    now = services.clock.now()
    start, end = period_bounds(key, now)
    actor, shop = member.actor, member.shop
    trend = await services.analytics.trend(actor, start=start, end=end)
    if start is not None:
        # As /stats: the figures cover exactly what the chart draws (whole buckets in the
        # shop's zone from the chart's first edge up to now).
        start, end = trend.start, min(trend.end, now)
    summary = await services.analytics.summary(actor, start, end)
    rows = await services.analytics.promotions(actor, sort, start, end)
    hosts = host_figures(await services.analytics.accounts(actor, start, end))
    regular = _short(summary.regular, shop)
    periods = {k: label for k, (label, _len) in PERIODS.items()}
    body = [
        nav("stats", seller=actor.may(Action.MANAGE_VOUCHERS)),
        "<h1>" + _("📊 <b>Vouchers — core data</b>") + "</h1>",
        _chips(_("Period"), periods, key, f"/app/v/stats?period={{}}&sort={sort}"),
        f'<p class="meta">{period_text(key, summary.start, summary.end, shop)}</p>',
        _tiles(summary.total, shop),
        "<p>" + _("<b>Regular vouchers</b>: {figures}").format(figures=regular) + "</p>",
        "<p>" + _("<b>LIVE vouchers</b>: {figures}").format(figures=_short(summary.live, shop)),
        "</p>",
        trend_svg(trend),
        _chips(_("Sort by"), SORTS, sort, f"/app/v/stats?period={key}&sort={{}}"),
    ]
    if rows:
        body.append(f'<ol class="list">{"".join(_row(r, shop) for r in rows)}</ol>')
    else:
        body.append(notice(esc(_("No vouchers yet."))))
    if hosts:
        lines = "".join(
            f"<li>{host_label(label)}: {figures_line(f, shop)}</li>"
            for label, f in hosts[:TOP_HOSTS]
        )
        title = _("<b>By host account</b>")
        body.append(f'<h2>{title}</h2><ul class="hosts">{lines}</ul>')
    return fragment("".join(body), view="stats")


async def voucher_stats(request: web.Request, v: Visitor, member: Membership) -> str:
    """`/stats <id>`: a voucher's figures, its sell-out forecast (R-adv3) and its trend."""
    voucher_id = int(request.match_info["id"])
    services, actor = services_of(request), member.actor
    row = await services.analytics.voucher(actor, voucher_id)
    found = await services.vouchers.get(actor, voucher_id)
    forecast = await services.forecast.forecast(actor, voucher_id)
    trend = await services.analytics.trend(actor, voucher_id=voucher_id)
    now = services.clock.now()
    body = [
        nav("stats", seller=actor.may(Action.MANAGE_VOUCHERS)),
        card(voucher_text(row, found, forecast_text(forecast, now), member.shop)),
        trend_svg(trend),
        get_button(_("Back to the voucher"), f"/app/v/voucher/{voucher_id}", cls="secondary"),
    ]
    return fragment("".join(body), view="voucher-stats")


def _short(f: Figures, shop: ShopView) -> str:
    return " · ".join(
        (
            esc(claims_text(f.claims)),
            _("revenue {amount}").format(amount=money(f.revenue, shop)),
            esc(_("ROI {roi}").format(roi=roi_text(f.roi))),
        )
    )
