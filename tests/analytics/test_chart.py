"""The /stats chart: a PNG that decodes, whose plotted data match the trend's figures."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bot.charts import trend_figure, trend_png
from core.services import Services
from tests.analytics.conftest import Shop


async def test_chart_png_decodes_and_carries_the_figures(services: Services, shop: Shop) -> None:
    trend = await services.analytics.trend(shop.seller, session_id=shop.session_id)
    png = trend_png(trend, "Session")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (800, 450)
    data = json.loads(image.text["Description"])
    assert data["claims"] == [p.claims for p in trend.points] == [2, 0, 0]
    assert data["usage"] == [0, 0, 2]
    assert data["revenue"] == [0, 0, 6300]
    assert trend_png(trend, "Session") == png  # deterministic


async def test_chart_bars_and_line_are_the_figures(services: Services, shop: Shop) -> None:
    trend = await services.analytics.trend(shop.seller, session_id=shop.session_id)
    fig = trend_figure(trend, "Session")
    bars, money = fig.axes
    heights = [p.get_height() for p in bars.patches]
    assert heights == [2, 0, 0, 0, 0, 2]  # claims bars, then usage bars
    assert list(money.lines[0].get_ydata()) == [0, 0, 6300]


async def test_r_l10n1_a_thai_chart_has_every_glyph(services: Services, shop: Shop) -> None:
    """Thai labels need a font with Thai glyphs (`fonts-thai-tlwg`, installed by `.ci/run`):
    without one, matplotlib draws boxes and warns. Skipped loudly where none is installed,
    a failure in CI."""
    import os
    import warnings

    from matplotlib import font_manager

    from bot.charts import FONTS
    from bot.i18n import speaking

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & {"Noto Sans Thai", "Loma", "Garuda"}:
        message = "no font with Thai glyphs installed (apt-get install fonts-thai-tlwg)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert "Loma" in FONTS
    trend = await services.analytics.trend(shop.seller, session_id=shop.session_id)
    with speaking("th"), warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" is a UserWarning
        png = trend_png(trend)
    assert png.startswith(b"\x89PNG")
