"""Opening the Mini App outside Telegram: a stand-in for `window.Telegram.WebApp` handing the
page a signed `initData` and a theme, and Debian's Chromium as Playwright drives it. Used by
the browser tests (tests/webapp/test_browser.py) and the screenshot command."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 360, "height": 740}  # one-handed on a small phone (R-app2)

# Telegram's own light and dark palettes (themeParams as the apps send them).
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
        "destructive_text_color": "#df3f40",
        "accent_text_color": "#3390ec",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#0f0f0f",
        "destructive_text_color": "#ff595a",
        "accent_text_color": "#8774e1",
    },
}


def telegram_stub(init_data: str, scheme: str = "light") -> str:
    """A script for `page.add_init_script`: the part of Telegram's WebApp object the page uses."""
    web_app: dict[str, Any] = {
        "initData": init_data,
        "colorScheme": scheme,
        "themeParams": THEMES[scheme],
        "version": "8.0",
        "platform": "tdesktop",
    }
    return (
        "window.Telegram = {WebApp: Object.assign("
        + json.dumps(web_app)
        + ", {ready: function () { window.__tgReady = true; }, expand: function () {},"
        " onEvent: function () {}})};"
    )
