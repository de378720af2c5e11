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
    usage: str  # shown in /help, e.g. "/addqty <id> <n>"
    description: str  # the menu's short text
    audience: Audience


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
    return [BotCommand(c.name, c.description[:256]) for c in commands]


async def publish_defaults(bot: Bot, commands: list[CommandInfo]) -> None:
    """setMyCommands at start-up: newcomers' menu by default, the group menu in groups."""
    await bot.set_my_commands(_menu(visible_to(commands, None)), scope=BotCommandScopeDefault())
    group = [c for c in commands if c.audience == Audience.GROUP or c.name == "help"]
    await bot.set_my_commands(_menu(group), scope=BotCommandScopeAllGroupChats())


async def publish_for_user(
    bot: Bot, commands: list[CommandInfo], user_id: int, role: str | None
) -> None:
    """A user's private-chat menu follows their role; a refused update is not worth failing for."""
    try:
        if role is None:
            await bot.delete_my_commands(scope=BotCommandScopeChat(user_id))
        else:
            private = [c for c in visible_to(commands, role) if c.audience != Audience.GROUP]
            await bot.set_my_commands(_menu(private), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        _LOGGER.warning("could not set the command menu of user %s: %s", user_id, exc)


def help_text(commands: list[CommandInfo], role: str | None, *, group: bool = False) -> str:
    from html import escape

    if group:
        shown = [c for c in commands if c.audience == Audience.GROUP or c.name == "help"]
        title = "In a group I only take these commands:"
    else:
        shown = [c for c in visible_to(commands, role) if c.audience != Audience.GROUP]
        title = {
            None: "You're not in a shop yet. You can:",
            Role.SELLER: "You're the seller: you can do everything.",
        }.get(role, f"You're a linked {role} account. You can:")  # type: ignore[call-overload]
    lines = [f"<b>{escape(title)}</b>"]
    lines += [f"{escape(c.usage)} — {escape(c.description)}" for c in shown]
    if not group and role == Role.SELLER:
        lines.append("/setup — your shop's currency and time zone")
    if not group and role == Role.SELLER:
        lines.append("/team — in your team group: send notifications there")
    lines.append("Commands with arguments also work without them: I'll show buttons.")
    return "\n".join(lines)
