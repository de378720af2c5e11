"""setMyCommands / getMyCommands / deleteMyCommands: command lists per scope and language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.telegram_standin.errors import bad_request

SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
COMMANDS_MAX = 100

ScopeKey = tuple[str, Any, Any, str]


@dataclass(frozen=True)
class CommandsCall:
    """One setMyCommands call, as the bot made it."""

    commands: list[tuple[str, str]]  # (command, description)
    scope: dict[str, Any]
    language_code: str | None

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.commands]


def _scope(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {"type": "default"}
    if not isinstance(raw, dict) or raw.get("type") not in SCOPE_TYPES:
        raise bad_request("unsupported bot command scope type")
    if raw["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in raw:
        raise bad_request("chat_id is empty")
    if raw["type"] == "chat_member" and "user_id" not in raw:
        raise bad_request("user_id is empty")
    return dict(raw)


def _key(scope: dict[str, Any], language_code: str | None) -> ScopeKey:
    chat_id = scope.get("chat_id")
    user_id = scope.get("user_id")
    return (
        scope["type"],
        str(chat_id) if chat_id is not None else None,
        str(user_id) if user_id is not None else None,
        language_code or "",
    )


def _commands(raw: Any) -> list[tuple[str, str]]:
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > COMMANDS_MAX:
        raise bad_request("too many commands specified")
    commands: list[tuple[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = str(item.get("command", "")), str(item.get("description", ""))
        if not _COMMAND_NAME.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append((name, description))
    return commands


class CommandRegistry:
    """The bot's command lists, and the setMyCommands calls in order."""

    def __init__(self) -> None:
        self.calls: list[CommandsCall] = []
        self._lists: dict[ScopeKey, list[tuple[str, str]]] = {}

    def set(self, raw_commands: Any, raw_scope: Any, language_code: str | None) -> None:
        commands, scope = _commands(raw_commands), _scope(raw_scope)
        self.calls.append(CommandsCall(commands, scope, language_code))
        key = _key(scope, language_code)
        if commands:
            self._lists[key] = commands
        else:
            self._lists.pop(key, None)  # an empty list deletes, as deleteMyCommands does

    def get(self, raw_scope: Any, language_code: str | None) -> list[tuple[str, str]]:
        return list(self._lists.get(_key(_scope(raw_scope), language_code), []))

    def delete(self, raw_scope: Any, language_code: str | None) -> None:
        self._lists.pop(_key(_scope(raw_scope), language_code), None)
