"""The command catalog: what each role sees in /help and in Telegram's command menu."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, _, speaking
from bot.telegram.menu_button import publish as publish_menu_button
from core.rules.roles import Role

_LOGGER = logging.getLogger(__name__)


class Audience(StrEnum):
    ANYONE = "anyone"  # also people not in a shop yet
    LINKED = "linked"  # the seller and the linked host accounts
    SELLER = "seller"
    GROUP = "group"  # used inside the team group


@dataclass(frozen=True)
class CommandInfo:
    name: str
    usage: str  # shown in /help, e.g. "/addqty <id> <n>" (English; translated when shown)
    description: str  # the menu's short text (English; translated when shown)
    audience: Audience

    @property
    def shown_usage(self) -> str:
        # A bare command has nothing to translate (and is not a catalog entry).
        return _(self.usage) if " " in self.usage else self.usage


def visible_to(commands: list[CommandInfo], role: str | None) -> list[CommandInfo]:
    if role is None:
        allowed = {Audience.ANYONE}
    elif role == Role.SELLER:
        allowed = {Audience.ANYONE, Audience.LINKED, Audience.SELLER, Audience.GROUP}
    else:
        allowed = {Audience.ANYONE, Audience.LINKED}
    # `/setup <shop name>` creates a shop: only for people not in one (the seller's settings
    # line is added by help_text).
    return [c for c in commands if c.audience in allowed and (role is None or c.name != "setup")]


def _menu(commands: list[CommandInfo]) -> list[BotCommand]:
    """In the language in force (R-l10n1)."""
    return [BotCommand(c.name, _(c.description)[:256]) for c in commands]


async def publish_defaults(bot: Bot, commands: list[CommandInfo]) -> None:
    """setMyCommands at start-up: newcomers' menu by default, the group menu in groups; once
    without a language (English, for everyone else) and once per `language_code` we speak,
    which Telegram shows to people whose app is set to that language (R-l10n1)."""
    group = [c for c in commands if c.audience == Audience.GROUP or c.name == "help"]
    newcomers = visible_to(commands, None)
    for language in (None, *LANGUAGES):
        with speaking(language):
            await bot.set_my_commands(
                _menu(newcomers), scope=BotCommandScopeDefault(), language_code=language
            )
            await bot.set_my_commands(
                _menu(group), scope=BotCommandScopeAllGroupChats(), language_code=language
            )


async def publish_for_user(
    bot: Bot, commands: list[CommandInfo], user_id: int, role: str | None
) -> None:
    """A user's private-chat menu follows their role, in the language in force (their own
    `/language` choice, which Telegram's `language_code` could not express: the chat scope
    then gets it without a language code); a refused update is not worth failing for."""
    try:
        if role is None:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
        else:
            private = [c for c in visible_to(commands, role) if c.audience != Audience.GROUP]
            await bot.set_my_commands(_menu(private), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        _LOGGER.warning("could not set the command menu of user %s: %s", user_id, exc)
    await publish_menu_button(bot, user_id, role)  # R-app1: the dashboard's button


def help_text(commands: list[CommandInfo], role: str | None, *, group: bool = False) -> str:
    from html import escape

    if group:
        shown = [c for c in commands if c.audience == Audience.GROUP or c.name == "help"]
        title = _("In a group I only take these commands:")
    else:
        shown = [c for c in visible_to(commands, role) if c.audience != Audience.GROUP]
        if role is None:
            title = _("You're not in a shop yet. You can:")
        elif role == Role.SELLER:
            title = _("You're the seller: you can do everything.")
        elif role == Role.OFFICIAL:
            title = _("You're a linked official account. You can:")
        else:
            title = _("You're a linked marketing account. You can:")
    lines = [f"<b>{escape(title)}</b>"]
    lines += [f"{escape(c.shown_usage)} — {escape(_(c.description))}" for c in shown]
    if not group and role == Role.SELLER:
        lines.append("/setup — " + escape(_("your shop's currency and time zone")))
    if not group and role == Role.SELLER:
        lines.append("/team — " + escape(_("in your team group: send notifications there")))
    lines.append(_("Commands with arguments also work without them: I'll show buttons."))
    return "\n".join(lines)
