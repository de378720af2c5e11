"""R-app1: who is calling. Every call of the page carries Telegram's signed `initData` in the
`X-Telegram-Init-Data` header; the caller is that Telegram user, in the shop (and with the
role) the bot knows them by — `AccountService.membership`, as the bot resolves every update —
speaking the language the bot speaks with them (their /language choice, else their Telegram
app's language, else English). No API key is involved, and none reaches the page."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.http.routing import SERVICES, SETTINGS
from bot.i18n import DEFAULT, pick, regional
from bot.webapp.initdata import InitDataError, InitDataRefusal, WebAppUser, validate
from core.services import Services
from core.services.accounts import Membership

HEADER = "X-Telegram-Init-Data"


@dataclass(frozen=True)
class Visitor:
    user: WebAppUser
    member: Membership | None
    language: str
    region: str | None


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


async def visitor(request: web.Request) -> Visitor:
    """The validated caller; raises InitDataError (no token configured counts as forged:
    nothing can be signed for us then)."""
    token = request.app[SETTINGS].telegram_bot_token
    if not token:
        raise InitDataError(InitDataRefusal.FORGED)
    services = services_of(request)
    data = validate(request.headers.get(HEADER), token, services.clock.now())
    user = data.user
    member = await services.accounts.membership(user.id)
    language = await services.languages.of_user(user.id) or pick(user.language_code) or DEFAULT
    return Visitor(user, member, language, regional(user.language_code, language))
