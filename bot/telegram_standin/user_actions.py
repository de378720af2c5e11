"""What the control API hands back when a simulated user acts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_standin.conversation_log import CallbackAnswer
from bot.telegram_standin.messages import RecordedMessage


@dataclass(frozen=True)
class UserUpdate:
    """A user's action: ``update`` is the Bot API Update queued for the bot (None when Telegram
    would not deliver it, e.g. a plain group message under privacy mode); ``seq`` marks the
    moment, for ``next_reply(chat, since=...)``."""

    update: dict[str, Any] | None
    message: RecordedMessage
    seq: int

    @property
    def chat_id(self) -> int:
        return self.message.chat_id

    @property
    def update_id(self) -> int | None:
        return self.update["update_id"] if self.update else None


@dataclass(frozen=True)
class ButtonPress(UserUpdate):
    """A pressed inline button; ``await press.answer()`` waits for answerCallbackQuery."""

    query_id: str = ""
    data: str | None = None
    _wait_answer: Callable[[str, float], Awaitable[CallbackAnswer]] | None = field(
        default=None, repr=False, compare=False
    )

    async def answer(self, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        assert self._wait_answer is not None
        return await self._wait_answer(self.query_id, timeout)
