"""R-app1: the Mini App's routes. `GET /app/` is the page (static: it holds no data), its
script and style come from `/app/static/`, and every view and action is a call under
`/app/v/` (fragments) and `/app/a/` (actions, POST) that carries the signed `initData`.

Each call is checked the way the bot checks an update (`bot/telegram/access.py`): the caller
must be a member of a shop (else the bot's "not part of a shop" sentence, code `not_member`),
their role must allow the view's action (`core.rules.roles.Action`; else the bot's polite
refusal, code `forbidden`), and the services check again and refuse with their own codes,
worded by the bot's wording (bot/telegram/wording.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.i18n import N_, _, activate
from bot.telegram.access import NOT_MEMBER, refusal
from bot.telegram.wording import refusal_text
from bot.webapp import views_live, views_new, views_stats, views_vouchers
from bot.webapp.html import esc, fragment, nav, notice
from bot.webapp.initdata import InitDataError, InitDataRefusal
from bot.webapp.visitor import Visitor, visitor
from core.errors import NotFound, PermissionDenied, ValidationFailed, VoucherbotError
from core.refusal_codes import AccountCode, GeneralCode
from core.rules.roles import Action
from core.services.accounts import Membership

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
View = Callable[[web.Request, Visitor, Membership], Awaitable[str]]

# What the page says when initData is refused (the person's language is unknown then: the
# page shows the sentence for the Telegram app's language it sends, else English).
INIT_DATA_WORDS = {
    InitDataRefusal.MISSING: N_("Open this page from the bot's menu button in Telegram."),
    InitDataRefusal.MALFORMED: N_("Open this page from the bot's menu button in Telegram."),
    InitDataRefusal.FORGED: N_(
        "This page could not prove who you are. Open it again from the bot's menu button."
    ),
    InitDataRefusal.STALE: N_(
        "This page has been open too long. Close it and open it again from the bot's menu button."
    ),
}


def _answer(html: str, status: int = 200) -> web.Response:
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def _status_of(exc: VoucherbotError) -> int:
    if isinstance(exc, ValidationFailed):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    return 409


def view(action: Action, name: str, fn: View) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A call of the page: initData checked, the caller's membership and role checked for
    `action`, then `fn` renders with the services; core refusals become a worded notice."""

    async def handler(request: web.Request) -> web.Response:
        try:
            v = await visitor(request)
        except InitDataError as exc:
            activate(None)
            words = _(INIT_DATA_WORDS[exc.refusal])
            body = notice(esc(words), "error")
            return _answer(fragment(body, view=name, code=exc.refusal.value), 401)
        activate(v.language, v.region)
        member = v.member
        if member is None:
            body = notice(_(NOT_MEMBER), "error")
            return _answer(fragment(body, view=name, code=AccountCode.NOT_MEMBER), 403)
        seller = member.actor.may(Action.MANAGE_VOUCHERS)
        if not member.actor.may(action):
            body = nav(name, seller=seller) + notice(esc(refusal(action)), "error")
            return _answer(fragment(body, view=name, code=GeneralCode.FORBIDDEN), 403)
        try:
            return _answer(await fn(request, v, member))
        except VoucherbotError as exc:
            log.info("mini app refused %s: %s", request.path, exc.code)
            text = "⚠️ " + refusal_text(exc, member.shop.currency)
            body = nav(name, seller=seller) + notice(text, "error")
            return _answer(fragment(body, view=name, code=exc.code), _status_of(exc))

    return handler


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)


_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    # Nothing from elsewhere, no inline script or style (R-app2: no external resources).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors https://web.telegram.org https://*.telegram.org "
        "'self'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


def routes() -> list[web.AbstractRouteDef]:
    M, R, L = Action.MANAGE_VOUCHERS, Action.READ, Action.RUN_LIVE
    return [
        web.get("/app/", page),
        web.static("/app/static", STATIC, append_version=False),
        web.get("/app/v/vouchers", view(R, "vouchers", views_vouchers.vouchers)),
        web.get("/app/v/voucher/{id:\\d{1,9}}", view(R, "voucher", views_vouchers.voucher)),
        web.post(
            "/app/a/voucher/{id:\\d{1,9}}/add", view(M, "voucher", views_vouchers.add_quantity)
        ),
        web.post(
            "/app/a/voucher/{id:\\d{1,9}}/budget", view(M, "voucher", views_vouchers.raise_budget)
        ),
        web.post(
            "/app/a/voucher/{id:\\d{1,9}}/deactivate", view(M, "voucher", views_vouchers.deactivate)
        ),
        web.get("/app/v/new", view(M, "new", views_new.new_form)),
        web.post("/app/a/new", view(M, "new", views_new.submit)),
        web.get("/app/v/live", view(R, "live", views_live.live)),
        web.post("/app/a/issue", view(L, "live", views_live.issue)),
        web.post("/app/a/stop/{id:\\d{1,9}}", view(L, "live", views_live.stop)),
        web.get("/app/v/stats", view(R, "stats", views_stats.stats)),
        web.get("/app/v/stats/{id:\\d{1,9}}", view(R, "voucher-stats", views_stats.voucher_stats)),
    ]
