"""A readable transcript of the conversations the stand-in saw, for the demo and for debugging.

── Ann · private chat 1 ──
Ann> /start
bot> Welcome! Pick one:
     [1] New voucher   [2] Help
Ann> [pressed "New voucher"]
bot (answer)> Let's go
bot (edits message 2)> Which kind?
── Team · group -100123 ──
bot> Voucher "Spring" (#4) was created with a low maximum discount.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bot.telegram_standin.conversation_log import (
    BOT_DELETE,
    BOT_EDIT,
    BOT_MESSAGE,
    BUTTON_PRESS,
    CALLBACK_ANSWER,
    MEMBERSHIP,
    USER_MESSAGE,
    Event,
)
from bot.telegram_standin.directory import TgChat
from bot.telegram_standin.files import StoredFile
from bot.telegram_standin.messages import MessageContent
from bot.telegram_standin.rendering import render_buttons, render_text

if TYPE_CHECKING:
    from bot.telegram_standin.standin import TelegramStandIn

FileNote = Callable[[StoredFile, Event], str]


def describe_file(stored: StoredFile, event: Event) -> str:
    if stored.url is not None:
        return f"[{stored.kind}: {stored.url}]"
    return f"[{stored.kind}: {stored.filename}, {stored.size} bytes]"


def chat_heading(chat: TgChat) -> str:
    kind = "private chat" if chat.is_private else chat.type
    return f"── {chat.label} · {kind} {chat.id} ──"


def _with_prefix(prefix: str, body: list[str]) -> list[str]:
    if not body:
        return [prefix.rstrip()]
    indent = " " * len(prefix)
    return [prefix + body[0], *(indent + line for line in body[1:])]


def _content_lines(content: MessageContent, event: Event, ansi: bool, note: FileNote) -> list[str]:
    lines: list[str] = []
    text = render_text(content.plain_text or "", content.entities, ansi=ansi)
    if content.file is not None:
        head = note(content.file, event)
        text = f"{head} {text}".rstrip() if "\n" not in text else f"{head}\n{text}"
    lines.extend(text.split("\n") if text else [])
    if content.markup is not None and content.markup.keyboard:
        lines.append("keyboard: " + " | ".join(" / ".join(row) for row in content.markup.keyboard))
    lines.extend(render_buttons(content.buttons))
    return lines


def format_event(
    event: Event, *, ansi: bool = False, file_note: FileNote = describe_file
) -> list[str]:
    """The lines for one event; chat actions and silent callback answers give none."""
    user_name = event.user.display_name if event.user else "someone"
    if event.kind == USER_MESSAGE and event.message is not None and event.content is not None:
        if event.message.service.get("new_chat_members"):
            return [f"* {user_name} added the bot to {event.chat.label}"]
        body = _content_lines(event.content, event, ansi, file_note)
        return _with_prefix(f"{user_name}> ", body)
    if event.kind == BUTTON_PRESS:
        label = event.detail
        if event.content is not None:
            for row in event.content.buttons:
                for button in row:
                    if button.callback_data == event.detail:
                        label = button.text
        return [f'{user_name}> [pressed "{label}"]']
    if event.kind == BOT_MESSAGE and event.content is not None:
        return _with_prefix("bot> ", _content_lines(event.content, event, ansi, file_note))
    if event.kind == BOT_EDIT and event.content is not None and event.message is not None:
        prefix = f"bot (edits message {event.message.message_id})> "
        return _with_prefix(prefix, _content_lines(event.content, event, ansi, file_note))
    if event.kind == BOT_DELETE and event.message is not None:
        return [f"bot (deletes message {event.message.message_id})"]
    if event.kind == CALLBACK_ANSWER and event.answer is not None and event.answer.text:
        kind = "alert" if event.answer.show_alert else "answer"
        return [f"bot ({kind})> {event.answer.text}"]
    if event.kind == MEMBERSHIP:
        return [f"* {event.detail} by {user_name} in {event.chat.label}"]
    return []


def format_transcript(
    standin: TelegramStandIn,
    chat_ids: Iterable[int] | None = None,
    *,
    since: int = 0,
    ansi: bool = False,
) -> str:
    """Every conversation (or those of ``chat_ids``) in order, with a heading whenever the chat
    changes: user messages and button presses, the bot's messages, edits, answers, buttons."""
    wanted = set(chat_ids) if chat_ids is not None else None
    lines: list[str] = []
    current: int | None = None
    for event in standin.events[since:]:
        if wanted is not None and event.chat_id not in wanted:
            continue
        body = format_event(event, ansi=ansi)
        if not body:
            continue
        if event.chat_id != current:
            lines.append(chat_heading(event.chat))
            current = event.chat_id
        lines.extend(body)
    return "\n".join(lines) + ("\n" if lines else "")
