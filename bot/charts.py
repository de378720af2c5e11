"""The `/stats` trend chart (R-a7): claims and usage as bars per day or hour, revenue as a
line on a second axis, rendered with matplotlib's Agg backend to PNG bytes.

The PNG is deterministic for the same trend (no timestamp or software metadata) and carries
the plotted series as JSON in its `Description` text chunk, so a test or a support engineer
can check what was drawn without reading pixels.

Its labels are in the reader's language (R-l10n1; the chart is drawn in a worker thread, which
inherits the update's language). Thai script needs a font with Thai glyphs on the host
(`fonts-noto-core` or `fonts-thai-tlwg`): the font list below prefers one when installed and
falls back to DejaVu Sans, which has Latin, Vietnamese and Malay but no Thai.
"""

from __future__ import annotations

import io
import json
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.i18n import N_, _, babel_locale, clock
from bot.i18n import money as format_money_here
from core.analytics_views import Trend

SIZE_INCHES = (8.0, 4.5)
DPI = 100
CLAIMS_COLOR = "#4C78A8"
USAGE_COLOR = "#F58518"
REVENUE_COLOR = "#54A24B"
FONTS = ["Noto Sans", "Noto Sans Thai", "Loma", "Garuda", "DejaVu Sans"]
DEFAULT_TITLE = N_("Vouchers")


def _labels(trend: Trend) -> list[str]:
    # Day buckets read like the bot's dates (`8 Jun`), hour buckets as times.
    if trend.bucket == "day":
        from babel.dates import format_date

        return [format_date(p.start, "d MMM", locale=babel_locale()) for p in trend.points]
    return [clock(p.start) for p in trend.points]


def chart_data(trend: Trend) -> dict[str, Any]:
    """The series the chart plots (revenue in minor units)."""
    return {
        "bucket": trend.bucket,
        "timezone": trend.timezone,
        "labels": _labels(trend),
        "claims": [p.claims for p in trend.points],
        "usage": [p.usage for p in trend.points],
        "revenue": [p.revenue for p in trend.points],
    }


def trend_figure(trend: Trend, title: str) -> Figure:
    data = chart_data(trend)
    fig = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(fig)  # no pyplot: no global state, safe in a server
    ax = fig.add_subplot()
    fonts = _fonts()
    x = list(range(len(trend.points)))
    width = 0.4
    ax.bar([i - width / 2 for i in x], data["claims"], width, label=_("Claims"), color=CLAIMS_COLOR)
    ax.bar([i + width / 2 for i in x], data["usage"], width, label=_("Usage"), color=USAGE_COLOR)
    ax.set_ylabel(_("Claims / usage"), family=fonts)
    step = max(1, len(x) // 12)  # at most ~12 readable tick labels
    ax.set_xticks(x[::step], data["labels"][::step], rotation=45, ha="right", fontsize=8)
    money = ax.twinx()
    money.plot(
        x, data["revenue"], color=REVENUE_COLOR, marker="o", markersize=3, label=_("Revenue")
    )
    money.set_ylabel(_("Revenue ({currency})").format(currency=trend.currency), family=fonts)
    money.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: format_money_here(int(v), trend.currency))
    )
    money.set_ylim(bottom=0)
    ax.set_ylim(bottom=0)
    # Claims and uses are counts: whole-number ticks only (no 0.5, 1.5 on a quiet day).
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if max([*data["claims"], *data["usage"], 0]) < 1:
        ax.set_ylim(0, 1)
    handles = ax.get_legend_handles_labels()[0] + money.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", prop={"family": fonts, "size": 8})
    for tick in ax.get_xticklabels():
        tick.set_fontfamily(fonts)
    heading = (
        _("{title} — per day ({timezone})")
        if trend.bucket == "day"
        else _("{title} — per hour ({timezone})")
    )
    ax.set_title(heading.format(title=title, timezone=trend.timezone), fontsize=10, family=fonts)
    fig.tight_layout()
    return fig


def _fonts() -> list[str]:
    """The installed fonts of FONTS, in order (matplotlib falls back glyph by glyph)."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    found = [f for f in FONTS if f in names]
    return found or ["DejaVu Sans"]


def trend_png(trend: Trend, title: str | None = None) -> bytes:
    """PNG bytes of the chart, ready for `send_photo`."""
    fig = trend_figure(trend, title if title is not None else _(DEFAULT_TITLE))
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        metadata={"Software": None, "Description": json.dumps(chart_data(trend))},
    )
    return buffer.getvalue()
