"""TelegramStandIn: a local Bot API server plus the controls to act as Telegram users."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from bot.telegram_standin.bot_commands import CommandsCall
from bot.telegram_standin.conversation_log import (
    REPLY_KINDS,
    CallbackAnswer,
    Event,
)
from bot.telegram_standin.directory import TgUser
from bot.telegram_standin.errors import chat_upgraded
from bot.telegram_standin.failures import FailureRule, injected_error
from bot.telegram_standin.files import StoredFile
from bot.telegram_standin.http_app import build_app
from bot.telegram_standin.messages import MessageContent, RecordedMessage
from bot.telegram_standin.simulated_users import ChatRef, SimulatedUsers, UserRef
from bot.telegram_standin.state import ApiCall, StandInState
from bot.telegram_standin.update_queue import WebhookConfig
from bot.telegram_standin.user_actions import UserUpdate

T = TypeVar("T")
DEFAULT_TOKEN = "7000000001:STANDIN-local-test-token"


class TelegramStandIn(SimulatedUsers):
    """A stand-in for the Telegram Bot API on 127.0.0.1, and Telegram's users around it.

    ``await start()`` (or ``async with``) serves the Bot API on an ephemeral port: point
    python-telegram-bot at ``base_url`` / ``base_file_url`` with ``token``. Then act as users
    (``send_text``, ``press_button``), read what the bot did (``messages``, ``last_message``,
    ``events``, ``calls``), and wait for it (``wait_for_message``, ``next_reply``, ``wait_for``).

    Like Telegram: the bot may write to a user only after that user wrote to it (or was created
    with ``started=True``), not after the user blocked it; groups are created with the bot in
    them; with ``privacy_mode`` (Telegram's default) the bot sees only commands, replies to it
    and mentions of it in groups, unless it is an administrator there.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "voucherbot_standin_bot",
        bot_name: str = "Voucherbot",
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        prefix = token.partition(":")[0]
        bot = TgUser(
            int(prefix) if prefix.isdigit() else 7_000_000_001,
            bot_name,
            username=bot_username,
            is_bot=True,
            language_code=None,
        )
        self._state = StandInState(
            token,
            bot,
            privacy_mode=privacy_mode,
            webhook_retry_delay=webhook_retry_delay,
            clock=clock,
        )
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._query_ids = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        # handler_cancellation: a long poll whose client went away (PTB stopping) ends at once.
        self._runner = web.AppRunner(
            build_app(self._state), handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._state.webhook.start()

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._state.closing.set()
        await self._state.updates.close()
        await self._state.webhook.stop()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> TelegramStandIn:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the stand-in is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    @property
    def token(self) -> str:
        return self._state.token

    @property
    def state(self) -> StandInState:
        """The raw state, for what the helpers below do not cover."""
        return self._state

    # -- acting as users (more in SimulatedUsers) --------------------------------------------

    async def ask(
        self,
        user: UserRef,
        text: str,
        chat: ChatRef | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedMessage:
        """Send ``text`` and return the bot's next message (or edit) in that chat."""
        sent = await self.send_text(user, text, chat)
        return await self.next_reply(sent.chat_id, timeout, since=sent.seq)

    # -- what the bot did --------------------------------------------------------------------

    def messages(self, chat: ChatRef, *, include_deleted: bool = False) -> list[RecordedMessage]:
        """The bot's messages in a chat, oldest first, as they are now (after edits)."""
        chat_id = self._chat_id(chat)
        return [
            message
            for message in self._state.log.chat_messages(chat_id)
            if message.from_bot and (include_deleted or not message.deleted)
        ]

    def last_message(self, chat: ChatRef) -> RecordedMessage | None:
        messages = self.messages(chat)
        return messages[-1] if messages else None

    def last_message_with_buttons(self, chat: ChatRef) -> RecordedMessage | None:
        return next((m for m in reversed(self.messages(chat)) if m.buttons), None)

    def message(self, chat: ChatRef, message_id: int) -> RecordedMessage | None:
        """Any message of a chat, the bot's or a user's."""
        return self._state.log.message(self._chat_id(chat), message_id)

    @property
    def events(self) -> list[Event]:
        """Everything that happened, in order: user messages and presses, the bot's messages,
        edits, deletions, callback answers, chat actions and membership changes."""
        return self._state.log.events

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self._state.log.callback_answers

    @property
    def calls(self) -> Counter[str]:
        """Bot API calls per method (canonical names such as ``sendMessage``)."""
        return self._state.calls

    @property
    def call_log(self) -> list[ApiCall]:
        return self._state.call_log

    @property
    def internal_errors(self) -> list[BaseException]:
        """Bugs in the stand-in itself (answered as 500); tests should expect none."""
        return self._state.internal_errors

    @property
    def commands_calls(self) -> list[CommandsCall]:
        """Every setMyCommands call, in order."""
        return self._state.commands.calls

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str | None = None
    ) -> list[tuple[str, str]]:
        """The command list currently set for a scope (default scope when None)."""
        return self._state.commands.get(scope, language_code)

    @property
    def webhook(self) -> WebhookConfig | None:
        return self._state.updates.webhook

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Updates the webhook receiver accepted, in order."""
        return self._state.webhook.deliveries

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self._state.updates.pending

    def file(self, file_id: str) -> StoredFile | None:
        return self._state.files.get(file_id)

    def mark(self) -> int:
        """The current position in the event log, for ``since=`` arguments."""
        return self._state.log.last_seq

    # -- waiting -----------------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        describe: str | None = None,
    ) -> T:
        """Wait until ``predicate()`` returns something truthy (re-checked whenever the stand-in
        records anything) and return it; TimeoutError, naming the latest events, otherwise."""
        return await self._state.log.wait_for(predicate, timeout, describe)

    async def wait_for_event(
        self,
        predicate: Callable[[Event], bool],
        *,
        since: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Event:
        """The first event after ``since`` for which ``predicate`` holds."""
        events = self._state.log.events

        def find() -> Event | None:
            return next((event for event in events[since:] if predicate(event)), None)

        found = await self.wait_for(find, timeout, describe="an event")
        assert found is not None
        return found

    async def wait_for_message(
        self,
        chat: ChatRef,
        contains: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: UserUpdate | int | None = None,
    ) -> RecordedMessage:
        """A bot message in ``chat`` containing ``contains``: the latest such message already
        there, or the next one; with ``since``, only messages sent or edited after that mark."""
        chat_id = self._chat_id(chat)

        def matches(content: MessageContent) -> bool:
            return contains is None or content.contains(contains)

        def find() -> RecordedMessage | None:
            if since is None:
                return next(
                    (m for m in reversed(self.messages(chat_id)) if matches(m.content)), None
                )
            start = since.seq if isinstance(since, UserUpdate) else since
            for event in self._state.log.events[start:]:
                if (
                    event.kind in REPLY_KINDS
                    and event.chat_id == chat_id
                    and event.content is not None
                    and matches(event.content)
                ):
                    return event.message
            return None

        what = f"a bot message in chat {chat_id}"
        if contains:
            what += f" containing {contains!r}"
        return await self.wait_for(find, timeout, describe=what)

    async def next_reply(
        self,
        chat: ChatRef,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: UserUpdate | int | None = None,
    ) -> RecordedMessage:
        """The next message the bot sends or edits in ``chat`` after ``since`` (default: now)."""
        mark = self.mark() if since is None else since
        return await self.wait_for_message(chat, None, timeout, since=mark)

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> int:
        """Wait until the bot has called ``method`` at least ``count`` times."""
        return await self.wait_for(
            lambda: self.calls[method] if self.calls[method] >= count else 0,
            timeout,
            describe=f"{count} call(s) of {method}",
        )

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        times: int = 1,
        description: str | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status``: 429 carries
        ``parameters.retry_after`` (1 unless given; PTB raises RetryAfter), 502 an HTML page
        like Telegram's front end, others a JSON error with ``description``;
        ``migrate_to_chat_id``: Telegram's 400 for a group upgraded to that supergroup."""
        if migrate_to_chat_id is not None:
            error = chat_upgraded(migrate_to_chat_id)
        else:
            error = injected_error(status, retry_after=retry_after, description=description)
        self._state.failures.add(method, FailureRule(error=error), times)

    def hang_next(
        self,
        method: str,
        seconds: float,
        *,
        times: int = 1,
        apply_first: bool = False,
        then_status: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` wait ``seconds`` before answering (a client
        with a shorter timeout sees TimedOut). ``apply_first``: the call takes effect before the
        wait, as when Telegram sent a message but the answer got lost. ``then_status``: answer
        that error after the wait instead of the real result."""
        error = injected_error(then_status) if then_status is not None else None
        rule = FailureRule(error=error, delay=seconds, apply_first=apply_first)
        self._state.failures.add(method, rule, times)

    def clear_failures(self) -> None:
        self._state.failures.clear()


# A short alias for tests and the demo.
StandIn = TelegramStandIn

__all__ = ["DEFAULT_TOKEN", "StandIn", "TelegramStandIn"]
