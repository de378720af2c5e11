"""R-app2: analytics — a period, the core figures (R-a1…R-a5), the promotion list sorted by
revenue or ROI (R-a7) and the trend chart drawn in the page — from `AnalyticsService`, as
/stats reads them."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from babel.numbers import format_decimal

from bot.i18n import N_, _, babel_locale, ngettext, number
from bot.i18n import percent as fmt_percent
from bot.telegram.render import esc, kind_short, money, status_name
from bot.webapp.chart import trend_svg
from bot.webapp.html import esc as attr
from bot.webapp.html import fragment, nav, notice
from bot.webapp.visitor import Visitor, services_of
from core.analytics_views import Figures, PromotionRow
from core.rules.roles import Action
from core.services.accounts import Membership
from core.views import ShopView

PERIODS: dict[str, tuple[str, timedelta | None]] = {
    "7": (N_("Last 7 days"), timedelta(days=7)),
    "30": (N_("Last 30 days"), timedelta(days=30)),
    "all": (N_("All time"), None),
}
SORTS = {"revenue": N_("By revenue"), "roi": N_("By ROI")}


def _rate(rate: float | None) -> str:
    return "—" if rate is None else fmt_percent(rate)


def _roi(roi: float | None) -> str:
    return "—" if roi is None else format_decimal(roi, "0.00", locale=babel_locale())


def _tiles(f: Figures, shop: ShopView) -> str:
    tiles = (
        (_("Claims"), number(f.claims)),
        (
            _("Usage"),
            _("{n} used ({rate})").format(n=number(f.usage), rate=_rate(f.redemption_rate)),
        ),
        (_("Revenue"), money(f.revenue, shop)),
        (_("ROI"), _roi(f.roi)),
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
            esc(_("ROI {roi}").format(roi=_roi(f.roi))),
            esc(ngettext("{n} claim", "{n} claims", f.claims).format(n=number(f.claims))),
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
    key = request.query.get("period", "7")
    key = key if key in PERIODS else "7"
    sort = request.query.get("sort", "revenue")
    sort = sort if sort in SORTS else "revenue"
    services = services_of(request)
    now = services.clock.now()
    length = PERIODS[key][1]
    start, end = (None, None) if length is None else (now - length, now)
    actor, shop = member.actor, member.shop
    summary = await services.analytics.summary(actor, start, end)
    rows = await services.analytics.promotions(actor, sort, start, end)
    trend = await services.analytics.trend(actor, start=start, end=end)
    regular = _short(summary.regular, shop)
    periods = {k: label for k, (label, _len) in PERIODS.items()}
    body = [
        nav("stats", seller=actor.may(Action.MANAGE_VOUCHERS)),
        "<h1>" + _("📊 <b>Vouchers — core data</b>") + "</h1>",
        _chips(_("Period"), periods, key, f"/app/v/stats?period={{}}&sort={sort}"),
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
    return fragment("".join(body), view="stats")


def _short(f: Figures, shop: ShopView) -> str:
    return " · ".join(
        (
            esc(ngettext("{n} claim", "{n} claims", f.claims).format(n=number(f.claims))),
            _("revenue {amount}").format(amount=money(f.revenue, shop)),
            esc(_("ROI {roi}").format(roi=_roi(f.roi))),
        )
    )
