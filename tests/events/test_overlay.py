"""R-ev4 the stream overlay: the page (self-contained, translated, transparent), the /overlay
command and its PUBLIC_BASE_URL line, and the page in a real browser (headless Chromium)."""

from __future__ import annotations

import re

from bot.http.routes_overlay import render_page
from bot.telegram.overlay import overlay_url


async def test_r_ev4_the_page_is_self_contained_and_in_the_shops_language(api) -> None:  # type: ignore[no-untyped-def]
    token = await api.services.streams.overlay_token(api.seller)
    response = await api.client.get(f"/overlay/{token}")
    assert response.status == 200
    html = await response.text()
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing external
    assert "background: transparent" in html and "orientation: portrait" in html
    assert f"/public/live/{token}/stream" in html and "Claim now" in html
    assert (await api.client.get("/overlay/not-a-token")).status == 404
    thai = render_page("t", "th")
    assert '<html lang="th">' in thai and "Claim now" not in thai


def test_r_ev4_the_link_is_built_from_public_base_url() -> None:
    assert overlay_url("https://v.example.com/", "abc") == "https://v.example.com/overlay/abc"
