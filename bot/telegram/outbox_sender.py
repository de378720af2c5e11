"""Delivers the team-notification outbox (R-n1, R-n2) to Telegram, within its flood limits.

Core writes each notification to the `notification` table in the transaction of the change
that caused it; this sender, running in the leader process only, delivers them afterwards:

- **Once.** Before sending a message the sender *leases* its row with one conditional UPDATE
  (`storage.outbox.lease`); only whoever won that update sends it, so two senders (or a pass
  overlapping the background loop) never send one row twice. On success `sent_at` is written
  at once. The one remaining window is a crash (or a lost database) after Telegram accepted the
  message and before `sent_at` is written: the lease then expires and the message is sent a
  second time. The Bot API has no idempotency key, so this window can be made small but not
  closed; a `sent_at` write that fails is retried in memory until it succeeds, so only a
  process crash opens it. A timeout is the same situation seen from outside: Telegram may have
  delivered a message whose answer was lost, and retrying it is what R-n2 ("retried when
  Telegram fails") asks for.
- **In order.** Only the oldest pending message of a chat is due (`storage.outbox`), so a
  message waiting for its retry holds back the later ones of its chat, and only those.
- **Within Telegram's limits** (`TelegramLimits`): about 30 messages/s overall, 1 message/s per
  chat and 20 messages/min per group (negative chat id). Each chat is served by its own task,
  which waits for its chat's next free slot and then for an overall slot, so a chat that is
  rate limited (or told to wait by a 429) does not delay the others.
- **Retried**: a 429 waits the `retry_after` Telegram asked for (for that chat); 5xx, network
  errors and timeouts back off exponentially with jitter (`backoff_base` × 2^n, capped) and
  give up after `max_attempts`; 400 and 403 (chat not found, bot removed from the group or
  blocked) are permanent and marked failed at once. A group that became a supergroup (its
  400 names the new id) has its pending messages moved to the new id.

- **In the reader's language** (R-l10n1): a row that carries a message (core/notifications.py)
  is rendered when it is sent: in the shop's language for the team chat (as the seller chose
  it, even after the row was written), in the person's language for a private chat; button
  labels are translated too. A plain text row is sent as it is.

`OutboxSender.start()` / `stop()` run the background loop; `deliver_pending()` is one pass
(tests, the demo); `wake()` nudges the loop after a commit; `pending()` is the queue depth,
also reported to `on_pending` (by default the Prometheus gauge `OUTBOX_PENDING`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot.i18n import _, person_language, speaking, words
from core.clock import Clock, SystemClock
from core.notifications import unpack
from storage import outbox
from storage import repositories as repo
from storage.db import Database
from storage.outbox import OutboxMessage

LOGGER = logging.getLogger(__name__)
Monotonic = Callable[[], float]


# -- Telegram's flood limits ----------------------------------------------------------------


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's published limits for bots (core.telegram.org/bots/faq)."""

    overall_per_second: float = 30.0
    chat_interval: float = 1.0  # seconds between two messages to one chat
    group_per_window: int = 20  # messages to one group ...
    group_window: float = 60.0  # ... per this many seconds


class RateLimiter:
    """When the next message may go out, as a schedule rather than a loop that retries.

    Per chat: a next-allowed instant (the 1 s spacing, pushed further by a 429) and, for groups,
    the instants of the last `group_per_window` messages. Overall: evenly spaced slots, reserved
    only once a chat is ready, so a chat that must wait never holds an overall slot.
    Callers serve one message per chat at a time (the sender runs one task per chat).
    """

    def __init__(self, limits: TelegramLimits, monotonic: Monotonic = time.monotonic) -> None:
        self._limits = limits
        self._now = monotonic
        self._chat_next: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = {}
        self._overall_next = 0.0

    def chat_delay(self, chat_id: int) -> float:
        """Seconds until `chat_id` may receive its next message (0 when it may now)."""
        now = self._now()
        ready = self._chat_next.get(chat_id, now)
        sent = self._group_sent.get(chat_id)
        if sent is not None and len(sent) >= self._limits.group_per_window:
            ready = max(ready, sent[0] + self._limits.group_window)
        return max(0.0, ready - now)

    def reserve_overall(self) -> float:
        """Takes the next overall slot; returns the seconds until it starts."""
        now = self._now()
        slot = max(now, self._overall_next)
        self._overall_next = slot + 1.0 / self._limits.overall_per_second
        return slot - now

    def record(self, chat_id: int) -> None:
        """A message is going to `chat_id` now."""
        now = self._now()
        self._chat_next[chat_id] = max(
            self._chat_next.get(chat_id, now), now + self._limits.chat_interval
        )
        if chat_id < 0:  # groups, supergroups and channels have negative ids
            sent = self._group_sent.setdefault(chat_id, deque(maxlen=self._limits.group_per_window))
            sent.append(now)

    def pause(self, chat_id: int, seconds: float) -> None:
        """Telegram asked (429) not to write to this chat for `seconds`."""
        now = self._now()
        self._chat_next[chat_id] = max(self._chat_next.get(chat_id, now), now + seconds)

    def forget_idle(self) -> None:
        """Drops the state of chats whose limits no longer constrain anything."""
        now = self._now()
        for chat_id in [c for c, ready in self._chat_next.items() if ready <= now]:
            del self._chat_next[chat_id]
        for chat_id in [
            c for c, sent in self._group_sent.items() if sent[-1] + self._limits.group_window <= now
        ]:
            del self._group_sent[chat_id]


# -- retry policy -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient failures (5xx, network, timeouts)."""

    base: float = 1.0  # seconds before the first retry
    cap: float = 300.0
    jitter: float = 0.2  # up to this fraction is added, so retries of many messages spread
    max_attempts: int = 12  # with the defaults, about 23 minutes of trying

    def delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after the `attempts`-th attempt failed (attempts ≥ 1)."""
        nominal = self.base * 2 ** max(0, attempts - 1)
        return min(self.cap, nominal * (1.0 + self.jitter * rand()))


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"  # put back with a next attempt time
    FAILED = "failed"  # given up for good
    SKIPPED = "skipped"  # not attempted: stopping, or another sender holds the row


def _retry_after_seconds(error: RetryAfter) -> float:
    # PTB 22 warns when `retry_after` is read as a number; it may also be a timedelta.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_keyboard(
    buttons_json: str | None, translate: Callable[[str], str] = str
) -> InlineKeyboardMarkup | None:
    """The inline keyboard of `[[[text, callback_data], ...], ...]`; None when there is none.

    Malformed JSON is a bug upstream; the team should still get the news, so it is logged and
    the message goes out without buttons.
    """
    if not buttons_json:
        return None
    try:
        rows = json.loads(buttons_json)
        keyboard = [
            [
                InlineKeyboardButton(translate(str(text)), callback_data=str(data))
                for text, data in row
            ]
            for row in rows
        ]
    except (ValueError, TypeError) as error:
        LOGGER.warning("notification buttons are malformed (%s): %r", error, buttons_json)
        return None
    return InlineKeyboardMarkup(keyboard) if any(keyboard) else None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _default_pending_reporter() -> Callable[[int], None] | None:
    from bot.metrics import OUTBOX_PENDING

    return OUTBOX_PENDING.set


# -- the sender -------------------------------------------------------------------------------


class OutboxSender:
    """Delivers due outbox rows; see the module docstring for the guarantees."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        clock: Clock | None = None,
        poll_interval: float = 0.5,
        limits: TelegramLimits | None = None,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 100,
        on_pending: Callable[[int], None] | None = None,
        pending_interval: float = 5.0,
        monotonic: Monotonic = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """`lease` must outlast one sendMessage call (PTB's timeouts are a few seconds): a row
        whose lease ran out may be taken by another sender. `on_pending` receives the queue
        depth at most every `pending_interval` seconds while the loop runs (default: the
        Prometheus gauge of `bot.metrics`)."""
        self._db = db
        self._bot = bot
        self._clock = clock or SystemClock()
        self._poll_interval = poll_interval
        self._limiter = RateLimiter(limits or TelegramLimits(), monotonic)
        self._retry = retry or RetryPolicy()
        self._lease = lease
        self._batch_size = batch_size
        self._on_pending = on_pending or _default_pending_reporter()
        self._pending_interval = pending_interval
        self._monotonic = monotonic
        self._rand = rand
        self._busy_chats: set[int] = set()
        self._chat_tasks: set[asyncio.Task[Outcome]] = set()
        # Sent, but `sent_at` could not be written yet: never lease these again.
        self._unrecorded: dict[int, datetime] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._last_report = float("-inf")
        self.sent_count = 0

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        if self._loop_task is not None:
            return
        self._stopping = asyncio.Event()
        self._loop_task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stops taking new messages, lets the ones in flight finish and records them."""
        self._stopping.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._chat_tasks:
            await asyncio.gather(*self._chat_tasks, return_exceptions=True)
        await self._flush_unrecorded()

    def wake(self) -> None:
        """Look for new messages now instead of at the next poll (call from the event loop)."""
        self._wake.set()

    async def pending(self) -> int:
        """Messages written but neither delivered nor given up; also sent to `on_pending`."""
        async with self._db.read() as session:
            count = await outbox.count_pending(session)
        if self._on_pending is not None:
            self._on_pending(count)
        return count

    # -- one pass -------------------------------------------------------------------------

    async def deliver_pending(self) -> int:
        """Delivers every message that is due now, respecting the limits; returns how many were
        sent. Messages that fail are scheduled for their retry and not waited for."""
        sent = 0
        while not self._stopping.is_set():
            await self._flush_unrecorded()
            heads = await self._due_heads()
            if not heads:
                break
            outcomes = await asyncio.gather(*(self._serve(message) for message in heads))
            sent += outcomes.count(Outcome.SENT)
            if all(outcome is Outcome.SKIPPED for outcome in outcomes):
                break  # another sender holds them
        return sent

    # -- the background loop --------------------------------------------------------------

    async def _run(self) -> None:
        LOGGER.info("outbox sender started")
        while not self._stopping.is_set():
            self._wake.clear()  # before the pass, so a wake() during it is not lost
            try:
                await self._dispatch()
                await self._report_pending()
            except Exception:
                LOGGER.exception("outbox sender pass failed; trying again")
            await self._idle(self._poll_interval)
        LOGGER.info("outbox sender stopped")

    async def _dispatch(self) -> None:
        await self._flush_unrecorded()
        self._limiter.forget_idle()
        for message in await self._due_heads():
            task = asyncio.create_task(self._serve(message), name=f"outbox-{message.chat_id}")
            self._chat_tasks.add(task)
            task.add_done_callback(self._chat_task_done)

    def _chat_task_done(self, task: asyncio.Task[Outcome]) -> None:
        self._chat_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("outbox chat task failed", exc_info=task.exception())
        self._wake.set()  # its chat may have a next message

    async def _idle(self, seconds: float) -> None:
        waits = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _report_pending(self) -> None:
        if self._on_pending is None:
            return
        now = self._monotonic()
        if now - self._last_report >= self._pending_interval:
            self._last_report = now
            await self.pending()

    async def _due_heads(self) -> list[OutboxMessage]:
        async with self._db.read() as session:
            return await outbox.due_heads(
                session,
                self._clock.now(),
                limit=self._batch_size,
                exclude_chats=set(self._busy_chats),
                exclude_ids=set(self._unrecorded),
            )

    # -- one message ----------------------------------------------------------------------

    async def _serve(self, message: OutboxMessage) -> Outcome:
        """Delivers one chat's head message; one task per chat at a time."""
        if message.chat_id in self._busy_chats:
            return Outcome.SKIPPED
        self._busy_chats.add(message.chat_id)
        try:
            if not await self._wait_for_slot(message.chat_id):
                return Outcome.SKIPPED
            return await self._attempt(message)
        finally:
            self._busy_chats.discard(message.chat_id)

    async def _wait_for_slot(self, chat_id: int) -> bool:
        """Waits until the chat and then the overall limit allow a message; False if the
        sender is stopping meanwhile."""
        while (delay := self._limiter.chat_delay(chat_id)) > 0:
            if await self._stopped_within(delay):
                return False
        delay = self._limiter.reserve_overall()
        if delay > 0 and await self._stopped_within(delay):
            return False
        return not self._stopping.is_set()

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        return self._stopping.is_set()

    async def _attempt(self, message: OutboxMessage) -> Outcome:
        now = self._clock.now()
        async with self._db.write() as session:
            won = await outbox.lease(session, message.id, now, now + self._lease)
        if not won:
            return Outcome.SKIPPED
        attempts = message.attempts + 1
        text, keyboard = await self._localized(message)
        self._limiter.record(message.chat_id)
        try:
            await self._bot.send_message(
                chat_id=message.chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        except RetryAfter as error:
            return await self._after_flood_control(message, error)
        except ChatMigrated as error:
            return await self._after_migration(message, error.new_chat_id)
        except (Forbidden, BadRequest) as error:
            # The chat is gone, the bot was removed or blocked, or the message is malformed:
            # sending it again cannot succeed.
            LOGGER.warning(
                "notification %s to chat %s failed for good: %s",
                message.id,
                message.chat_id,
                error,
            )
            await self._record(message.id, outbox.mark_failed, self._clock.now(), _describe(error))
            return Outcome.FAILED
        except (TelegramError, OSError) as error:
            # 5xx, network errors, timeouts, and anything else Telegram may get over.
            return await self._after_transient(message, attempts, error)
        await self._record_sent(message.id)
        return Outcome.SENT

    async def _localized(self, message: OutboxMessage) -> tuple[str, InlineKeyboardMarkup | None]:
        """The row's text and buttons in the language of the chat they go to (R-l10n1)."""
        english, envelope = unpack(message.text)
        if envelope is None:
            return english, build_keyboard(message.buttons)
        language = await self._language_of(message.chat_id, envelope)
        try:
            with speaking(language):
                return words().render(envelope["msg"]), build_keyboard(message.buttons, _)
        except (KeyError, ValueError, TypeError, IndexError) as error:
            # A translation whose placeholders don't match: the English still informs the team.
            LOGGER.warning("notification %s in %s: %s", message.id, language, error)
            return english, build_keyboard(message.buttons)

    async def _language_of(self, chat_id: int, envelope: dict[str, object]) -> str:
        """A group is the team chat: the shop's language now. A person: their own."""
        shop_language = envelope.get("lang")
        if chat_id > 0:
            own = person_language(chat_id)
            if own is None:
                async with self._db.read() as session:
                    own = await repo.user_language(session, chat_id)
            if own is not None:
                return own
        shop_id = envelope.get("shop")
        if isinstance(shop_id, int):
            async with self._db.read() as session:
                shop = await repo.get_shop(session, shop_id)
            if shop is not None:
                shop_language = shop.language
        return str(shop_language or "en")

    async def _after_flood_control(self, message: OutboxMessage, error: RetryAfter) -> Outcome:
        wait = _retry_after_seconds(error)
        self._limiter.pause(message.chat_id, wait)
        LOGGER.info("Telegram asked to wait %ss before writing to chat %s", wait, message.chat_id)
        at = self._clock.now() + timedelta(seconds=wait)
        await self._record(message.id, outbox.retry_at, at, _describe(error))
        return Outcome.RETRY

    async def _after_migration(self, message: OutboxMessage, new_chat_id: int) -> Outcome:
        LOGGER.warning(
            "chat %s became supergroup %s: moving its notifications (the shop's team chat "
            "should be updated too)",
            message.chat_id,
            new_chat_id,
        )
        now = self._clock.now()
        async with self._db.write() as session:
            await outbox.move_chat(session, message.chat_id, new_chat_id)
            await outbox.retry_at(session, message.id, now, "ChatMigrated")
        return Outcome.RETRY

    async def _after_transient(
        self, message: OutboxMessage, attempts: int, error: BaseException
    ) -> Outcome:
        now = self._clock.now()
        if attempts >= self._retry.max_attempts:
            LOGGER.error(
                "notification %s to chat %s given up after %s attempts: %s",
                message.id,
                message.chat_id,
                attempts,
                error,
            )
            await self._record(message.id, outbox.mark_failed, now, _describe(error))
            return Outcome.FAILED
        delay = self._retry.delay(attempts, self._rand)
        LOGGER.info(
            "notification %s to chat %s failed (%s); retrying in %.1fs",
            message.id,
            message.chat_id,
            error,
            delay,
        )
        await self._record(
            message.id, outbox.retry_at, now + timedelta(seconds=delay), _describe(error)
        )
        return Outcome.RETRY

    # -- recording outcomes -----------------------------------------------------------------

    async def _record_sent(self, message_id: int) -> None:
        self.sent_count += 1
        sent_at = self._clock.now()
        if not await self._write_sent(message_id, sent_at):
            self._unrecorded[message_id] = sent_at

    async def _flush_unrecorded(self) -> None:
        """Retries the `sent_at` writes that failed; until one succeeds its message stays
        remembered here and is never leased again by this process."""
        for message_id, sent_at in list(self._unrecorded.items()):
            if not await self._write_sent(message_id, sent_at):
                return
            self._unrecorded.pop(message_id, None)

    async def _write_sent(self, message_id: int, sent_at: datetime) -> bool:
        try:
            async with self._db.write() as session:
                await outbox.mark_sent(session, message_id, sent_at)
        except Exception:
            LOGGER.exception("could not record notification %s as sent; will retry", message_id)
            return False
        return True

    async def _record(
        self,
        message_id: int,
        write: Callable[..., Awaitable[None]],
        *args: object,
    ) -> None:
        """Records a retry or a failure. If that write fails the lease simply runs out and the
        message is tried again later: nothing was delivered, so nothing can be duplicated."""
        try:
            async with self._db.write() as session:
                await write(session, message_id, *args)
        except Exception:
            LOGGER.exception("could not record the outcome of notification %s", message_id)


__all__ = [
    "OutboxSender",
    "RateLimiter",
    "RetryPolicy",
    "TelegramLimits",
    "build_keyboard",
]
