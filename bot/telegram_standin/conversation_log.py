"""Everything that happened in the chats, in order, and waiting for something to happen.

Waiters sleep on one asyncio.Condition that every change notifies, so a test wakes the moment
the bot's message lands instead of polling.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.telegram_standin.directory import TgChat, TgUser
from bot.telegram_standin.messages import MessageContent, RecordedMessage

T = TypeVar("T")

USER_MESSAGE = "user_message"
BUTTON_PRESS = "button_press"
BOT_MESSAGE = "bot_message"
BOT_EDIT = "bot_edit"
BOT_DELETE = "bot_delete"
CALLBACK_ANSWER = "callback_answer"
CHAT_ACTION = "chat_action"
MEMBERSHIP = "membership"
BOT_KINDS = frozenset({BOT_MESSAGE, BOT_EDIT, BOT_DELETE, CALLBACK_ANSWER, CHAT_ACTION})
REPLY_KINDS = frozenset({BOT_MESSAGE, BOT_EDIT})


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one button press."""

    query_id: str
    chat_id: int
    message_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``content`` is the message as it was at that moment (edits
    change the RecordedMessage later on); ``detail`` holds callback data, a chat action or a
    membership change."""

    seq: int
    kind: str
    chat: TgChat
    user: TgUser | None = None
    message: RecordedMessage | None = None
    content: MessageContent | None = None
    answer: CallbackAnswer | None = None
    detail: str | None = None

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.kind in BOT_KINDS


class ConversationLog:
    """The chats' messages and the ordered event log."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.callback_answers: list[CallbackAnswer] = []
        self._messages: dict[int, dict[int, RecordedMessage]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._changed = asyncio.Condition()

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest event; later events have greater numbers."""
        return self._last_seq

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def store(self, message: RecordedMessage) -> None:
        self._messages.setdefault(message.chat_id, {})[message.message_id] = message

    def message(self, chat_id: int, message_id: int) -> RecordedMessage | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def chat_messages(self, chat_id: int) -> list[RecordedMessage]:
        return list(self._messages.get(chat_id, {}).values())

    async def add_event(
        self,
        kind: str,
        chat: TgChat,
        *,
        user: TgUser | None = None,
        message: RecordedMessage | None = None,
        answer: CallbackAnswer | None = None,
        detail: str | None = None,
    ) -> Event:
        self._last_seq = next(self._seq)
        event = Event(
            self._last_seq,
            kind,
            chat,
            user=user,
            message=message,
            content=message.content if message is not None else None,
            answer=answer,
            detail=detail,
        )
        self.events.append(event)
        if answer is not None:
            self.callback_answers.append(answer)
        await self.notify()
        return event

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[], T | None], seconds: float, describe: str | None = None
    ) -> T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError otherwise."""
        async with self._changed:
            try:
                async with asyncio.timeout(seconds):
                    while not (result := predicate()):
                        await self._changed.wait()
                    return result
            except TimeoutError:
                raise TimeoutError(
                    f"waited {seconds}s for {describe or 'a condition'}; {self._tail()}"
                ) from None

    def _tail(self, count: int = 5) -> str:
        # The latest events make a timeout in a test self-explanatory.
        recent = self.events[-count:]
        if not recent:
            return "nothing happened in any chat"
        lines = []
        for event in recent:
            text = event.content.plain_text if event.content else event.detail
            lines.append(f"#{event.seq} {event.kind} in {event.chat_id}: {text!r}")
        return "latest events: " + "; ".join(lines)
