"""R-ev4 the stream overlay page, `GET /overlay/{token}`: one self-contained HTML page (its CSS
and JavaScript inline, no external resources, no build step) in the shop's language, which
follows `GET /public/live/{token}/stream`. The files are in bot/http/overlay/."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web

from bot.http.routes_streams import TokenPath
from bot.http.routing import SERVICES, Route
from bot.i18n import _, speaking
from core.events import EVENT_TYPES
from core.rules.targeting import Segment

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


@cache
def _files() -> tuple[str, str, str]:
    folder = resources.files("bot.http") / "overlay"
    html, css, js = (
        (folder / name).read_text(encoding="utf-8")
        for name in ("overlay.html", "overlay.css", "overlay.js")
    )
    return html, css, js


def page_text() -> dict[str, Any]:
    """What the page says, in the active language (its placeholders are filled in the page)."""
    return {
        "claim_now": _("Claim now"),
        "sold_out": _("Sold out"),
        "left": _("{remaining} of {total} left"),
        "percent_off": _("{percent}% off"),
        "amount_off": _("{amount} off"),
        "up_to": _("up to {cap}"),
        "watch": _("Watch {minutes} min"),
        "follow": _("Follow the host"),
        "no_task": _("No task"),
        "draw_closes": _("Lucky draw · closes in {time}"),
        "entries": _("Entries: {n}"),
        "drawn": _("Winners: {winners}"),
        "verify": _("Verify: seed {seed}…"),
        "drop_in": _("Next voucher in {time}"),
        "waiting": _("Waiting for the live session…"),
        "reconnecting": _("Reconnecting…"),
        "budget_left": _("Budget left: {left}"),
        "only_for": _("Only for: {segment}"),
        "segments": {  # R-seg, as the bot names them after "Only for:"
            Segment.NEW_CUSTOMERS.value: _("new customers"),
            Segment.REPEAT_CUSTOMERS.value: _("repeat customers"),
            Segment.LAPSED_CUSTOMERS.value: _("lapsed customers"),
            Segment.NEW_FOLLOWERS.value: _("new followers"),
        },
    }


def render_page(token: str, language: str) -> str:
    html, css, js = _files()
    with speaking(language):
        text = page_text()
    config = {
        "lang": language,
        "stream": f"/public/live/{token}/stream",
        "types": list(EVENT_TYPES),
        "text": text,
    }
    # `</` cannot end the script element early inside JSON.
    config_json = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    return (
        html.replace("__LANG__", language)
        .replace("__CSS__", css)
        .replace("__CONFIG__", config_json)
        .replace("__JS__", js)
    )


async def overlay_page(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    streams = request.app[SERVICES].streams
    access = await streams.overlay_access(token)  # 404 for an unknown or revoked token
    snap = await streams.snapshot(streams.overlay_actor(access), None)
    return web.Response(
        text=render_page(token, str(snap.shop["language"])),
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": CSP,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [
    Route(
        "GET",
        "/overlay/{token}",
        "The stream overlay page (HTML, for a browser source)",
        "live",
        raw=overlay_page,
        params=TokenPath,
        auth=False,
        media_type="text/html",
        problems=(404,),
        description=(
            "R-ev4: a transparent page showing the account's live vouchers, drops and draw "
            "results as they happen, in the shop's language; the link comes from /overlay."
        ),
    ),
]
