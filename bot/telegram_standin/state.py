"""The stand-in's state, shared by the Bot API handlers and the control API."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.telegram_standin.bot_commands import CommandRegistry
from bot.telegram_standin.conversation_log import ConversationLog
from bot.telegram_standin.directory import Directory, TgChat, TgUser
from bot.telegram_standin.failures import FailureInjector
from bot.telegram_standin.files import FileStore
from bot.telegram_standin.params import ApiParams
from bot.telegram_standin.update_queue import UpdateQueue
from bot.telegram_standin.webhook_delivery import WebhookDelivery


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request as the stand-in answered it."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None = None


@dataclass(frozen=True)
class OpenQuery:
    """A callback query the bot has not answered yet."""

    chat: TgChat
    message_id: int
    data: str | None


@dataclass(frozen=True)
class Described:
    """A successful result that Telegram accompanies with a description ("Webhook was set")."""

    result: Any
    description: str


class StandInState:
    """Everything the Bot API methods read and change."""

    def __init__(
        self,
        token: str,
        bot: TgUser,
        *,
        privacy_mode: bool = True,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.directory = Directory(bot)
        self.log = ConversationLog()
        self.updates = UpdateQueue()
        self.webhook = WebhookDelivery(
            self.updates, retry_delay=webhook_retry_delay, on_change=self.log.notify
        )
        self.files = FileStore()
        self.commands = CommandRegistry()
        self.failures = FailureInjector()
        self.calls: Counter[str] = Counter()
        self.call_log: list[ApiCall] = []
        self.internal_errors: list[BaseException] = []
        self.open_queries: dict[str, OpenQuery] = {}
        self.privacy_mode = privacy_mode
        self.logged_out = False
        self.clock = clock
        self.closing = asyncio.Event()

    @property
    def bot(self) -> TgUser:
        return self.directory.bot

    def now(self) -> int:
        return int(self.clock())

    async def pause(self, seconds: float) -> None:
        """A simulated hang that ends early when the stand-in stops."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.closing.wait()


ApiMethod = Callable[[StandInState, ApiParams], Awaitable[Any]]
