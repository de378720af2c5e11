"""R-app2: the analytics trend drawn in the page as a small inline SVG — claims as bars,
revenue as a line on its own scale — with no library and no script. Colours come from the
page's CSS (classes), so the chart follows Telegram's light and dark themes."""

from __future__ import annotations

from babel.dates import format_date

from bot.i18n import _, babel_locale, money, number
from bot.webapp.html import esc
from core.analytics_views import Trend

WIDTH, HEIGHT = 340, 150
PAD_X, PAD_TOP, PAD_BOTTOM = 6, 10, 22


def _label(trend: Trend, index: int) -> str:
    at = trend.points[index].start
    if trend.bucket == "day":
        return format_date(at, "d MMM", locale=babel_locale())
    return at.strftime("%H:%M")


def trend_svg(trend: Trend) -> str:
    points = trend.points
    claims, _usage, revenue = trend.totals
    summary = f"{_('Claims')}: {number(claims)} · {_('Revenue')}: {money(revenue, trend.currency)}"
    if not points:
        return f'<p class="meta">{esc(summary)}</p>'
    n = len(points)
    plot_w, plot_h = WIDTH - 2 * PAD_X, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / n
    top_claims = max((p.claims for p in points), default=0) or 1
    top_revenue = max((p.revenue for p in points), default=0) or 1
    bars = []
    line = []
    for i, p in enumerate(points):
        h = plot_h * p.claims / top_claims
        x = PAD_X + i * step
        if p.claims:
            bars.append(
                f'<rect class="bar" x="{x + step * 0.15:.1f}" y="{PAD_TOP + plot_h - h:.1f}" '
                f'width="{max(step * 0.7, 1):.1f}" height="{h:.1f}"/>'
            )
        y = PAD_TOP + plot_h - plot_h * p.revenue / top_revenue
        line.append(f"{x + step / 2:.1f},{y:.1f}")
    baseline = PAD_TOP + plot_h
    labels = (
        f'<text class="axis" x="{PAD_X}" y="{HEIGHT - 6}">{esc(_label(trend, 0))}</text>'
        f'<text class="axis" x="{WIDTH - PAD_X}" y="{HEIGHT - 6}" text-anchor="end">'
        f"{esc(_label(trend, n - 1))}</text>"
    )
    return (
        f'<figure class="chart"><svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{esc(summary)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{esc(summary)}</title>"
        f'<line class="base" x1="{PAD_X}" y1="{baseline}" x2="{WIDTH - PAD_X}" y2="{baseline}"/>'
        + "".join(bars)
        + f'<polyline class="line" points="{" ".join(line)}"/>'
        + labels
        + "</svg>"
        f'<figcaption><span class="key bar-key"></span>{esc(_("Claims"))} '
        f'<span class="key line-key"></span>{esc(_("Revenue"))}</figcaption></figure>'
    )
