"""R-app1: the menu button that opens the dashboard (the Mini App at PUBLIC_BASE_URL/app/),
set per private chat for sellers and hosts — nobody else gets one.

`configure(bot, public_base_url)` records where the page is for that bot (build_application);
`publish(bot, user_id, role)` is called wherever a person's place in a shop becomes known or
changes — next to their command menu (`commands.publish_for_user`: /start, /setup, an accepted
invite, an unlink, /language) — and sets the chat's button with setChatMenuButton: a
WebApp button for a linked account, Telegram's default for anyone else. Without
PUBLIC_BASE_URL nothing is set. A refusal from Telegram is logged, never fatal."""

from __future__ import annotations

import logging

from telegram import Bot, MenuButtonDefault, MenuButtonWebApp, WebAppInfo
from telegram.error import TelegramError

from bot.i18n import _

_LOGGER = logging.getLogger(__name__)
_URLS: dict[str, str] = {}  # bot token → the page's URL


def page_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + "/app/"


def configure(bot: Bot, public_base_url: str | None) -> None:
    if public_base_url:
        _URLS[bot.token] = page_url(public_base_url)
    else:
        _URLS.pop(bot.token, None)


async def publish(bot: Bot, user_id: int, role: str | None) -> None:
    url = _URLS.get(bot.token)
    if url is None:
        return
    button = (
        MenuButtonWebApp(_("Dashboard"), WebAppInfo(url))
        if role is not None
        else MenuButtonDefault()
    )
    try:
        await bot.set_chat_menu_button(chat_id=user_id, menu_button=button)
    except TelegramError as exc:
        _LOGGER.warning("could not set the menu button of user %s: %s", user_id, exc)
