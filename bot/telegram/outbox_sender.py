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
  give up after `max_attempts`; 400 (chat not found, malformed) is permanent and marked failed
  at once. A group that became a supergroup (its 400 names the new id): the shop's team chat
  and every pending message move to the new id at once (core/team_chat.py). 403: a person who
  blocked the bot has all their notices stopped (one attempt, never a retry storm); a team chat
  the bot was removed from is paused (notices kept, the seller told in private); another
  group's message fails for good.
- **Urgent first under load** (issue 17): when a chat's queue would hold a notice longer than
  `max_hold` (30 s; a group takes about 20 messages a minute), the first urgent notice
  (core/notice_kinds.URGENT: sell-outs, failed drops, draw results, budgets spent) is sent
  ahead of its turn, and routine notices are merged into one message per kind (a translated
  heading with the right plural, then each notice). Merged rows are leased and recorded
  together, so nothing is lost or sent twice.
- **In the team's topic**: a team notice carries the forum topic /team was sent in.

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
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.i18n import _, person_language, speaking, words
from bot.telegram.outbox_limits import (
    Monotonic,
    RateLimiter,
    RetryPolicy,
    TelegramLimits,
    build_keyboard,
    retry_after_seconds,
)
from core import team_chat
from core.clock import Clock, SystemClock
from core.notice_kinds import NoticeKind, is_urgent, merged_heading
from core.notifications import unpack
from storage import outbox, team_chats
from storage import repositories as repo
from storage.db import Database
from storage.outbox import OutboxMessage

LOGGER = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
QUEUE_LOOKAHEAD = 500  # rows of one chat looked at when its queue is long
MERGED_TEXT_LIMIT = 3_500  # characters of one merged message (Telegram's limit is 4,096)


@dataclass(frozen=True)
class Batch:
    """What one sendMessage carries: one outbox row, or several of one kind merged."""

    rows: tuple[OutboxMessage, ...]
    text: str
    keyboard: InlineKeyboardMarkup | None

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows]


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"  # put back with a next attempt time
    FAILED = "failed"  # given up for good
    SKIPPED = "skipped"  # not attempted: stopping, or another sender holds the row


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
        max_hold: float = 30.0,
        sleep: Sleep | None = None,
    ) -> None:
        """`lease` must outlast one sendMessage call (PTB's timeouts are a few seconds): a row
        whose lease ran out may be taken by another sender. `on_pending` receives the queue
        depth at most every `pending_interval` seconds while the loop runs (default: the
        Prometheus gauge of `bot.metrics`). `max_hold`: when a chat's queue would hold a
        notice longer than this, urgent ones go first and routine ones are merged. `sleep`
        replaces the real waits for the limits (tests with a fake clock)."""
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
        self._max_hold = max_hold
        self._sleep = sleep
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
            batch = await self._choose(message)
            if batch is None:
                return await self._attempt(message)
            return await self._attempt_batch(batch)
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
        if self._sleep is not None:
            await self._sleep(seconds)
            return self._stopping.is_set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        return self._stopping.is_set()

    async def _choose(self, head: OutboxMessage) -> Batch | None:
        """None: send the chat's head as usual. When the chat's queue would hold a notice longer
        than `max_hold` (issue 17): the first urgent notice ahead of its turn, else the head's
        kind merged into one message."""
        capacity = self._limiter.capacity(head.chat_id, self._max_hold)
        if capacity >= QUEUE_LOOKAHEAD:
            return None
        async with self._db.read() as session:
            queue = await outbox.chat_queue(
                session, head.chat_id, self._clock.now(), limit=QUEUE_LOOKAHEAD
            )
        if len(queue) <= capacity:
            return None
        urgent = next((m for m in queue if is_urgent(m.kind)), None)
        if urgent is not None:
            return None if urgent.id == head.id else await self._single(urgent)
        same = [m for m in queue if m.kind == head.kind]
        if head.kind == NoticeKind.SUMMARY or len(same) < 2:
            return None
        return await self._merged(same)

    async def _single(self, message: OutboxMessage) -> Batch:
        text, keyboard = await self._localized(message)
        return Batch((message,), text, keyboard)

    async def _merged(self, rows: list[OutboxMessage]) -> Batch:
        """Notices of one kind as one message: a heading with their number, then each one, as
        many as fit in one message (the rest wait for the next)."""
        _english, envelope = unpack(rows[0].text)
        language = await self._language_of(rows[0].chat_id, envelope or {"shop": rows[0].shop_id})
        items: list[str] = []
        taken: list[OutboxMessage] = []
        size = 0
        for row in rows:
            text, _keyboard = await self._localized(row, language)
            if taken and size + len(text) + 4 > MERGED_TEXT_LIMIT:
                break
            items.append(f"• {text}")
            taken.append(row)
            size += len(text) + 4
        with speaking(language):
            heading = words().render(merged_heading(rows[0].kind, len(taken)))
        return Batch(tuple(taken), "\n\n".join([heading, *items]), None)

    async def _attempt(self, message: OutboxMessage) -> Outcome:
        now = self._clock.now()
        async with self._db.write() as session:
            won = await outbox.lease(session, message.id, now, now + self._lease)
        if not won:
            return Outcome.SKIPPED
        text, keyboard = await self._localized(message)
        return await self._send(Batch((message,), text, keyboard))

    async def _attempt_batch(self, batch: Batch) -> Outcome:
        now = self._clock.now()
        try:
            async with self._db.write() as session:
                await outbox.lease_many(session, batch.ids, now, now + self._lease)
        except outbox.LeaseLost:
            return Outcome.SKIPPED
        return await self._send(batch)

    async def _send(self, batch: Batch) -> Outcome:
        """Sends a leased batch (one row, or rows merged into one message) and records it."""
        first = batch.rows[0]
        self._limiter.record(first.chat_id)
        try:
            await self._bot.send_message(
                chat_id=first.chat_id,
                text=batch.text,
                parse_mode=ParseMode.HTML,
                reply_markup=batch.keyboard,
                message_thread_id=first.thread_id,
            )
        except RetryAfter as error:
            return await self._after_flood_control(batch, error)
        except ChatMigrated as error:
            return await self._after_migration(batch, error.new_chat_id)
        except Forbidden as error:
            return await self._after_forbidden(batch, error)
        except BadRequest as error:
            if first.thread_id is not None and "thread not found" in str(error).lower():
                return await self._after_topic_gone(batch, error)
            # The chat is gone or the message is malformed: sending it again cannot succeed.
            LOGGER.warning(
                "notification %s to chat %s failed for good: %s", first.id, first.chat_id, error
            )
            await self._record(batch.ids, outbox.mark_failed, self._clock.now(), _describe(error))
            return Outcome.FAILED
        except (TelegramError, OSError) as error:
            # 5xx, network errors, timeouts, and anything else Telegram may get over.
            return await self._after_transient(batch, first.attempts + 1, error)
        await self._record_sent(batch.ids)
        return Outcome.SENT

    async def _after_topic_gone(self, batch: Batch, error: BadRequest) -> Outcome:
        """The team chat's topic was deleted: the team chat is the group's General from now
        on, and this notice is tried again there."""
        chat_id, now = batch.rows[0].chat_id, self._clock.now()
        LOGGER.warning("the team topic of chat %s is gone; posting to General", chat_id)
        async with self._db.write() as session:
            await team_chats.forget_topic(session, chat_id)
            await outbox.retry_at(session, batch.ids, now, _describe(error))
        return Outcome.RETRY

    async def _after_forbidden(self, batch: Batch, error: Forbidden) -> Outcome:
        """A person who blocked the bot: their notices stop (one attempt, no retry storm). A
        team chat the bot is out of: paused, its notices kept, the seller told (issue 25).
        Another chat (a group, a person who never opened the bot): given up for good."""
        first, now = batch.rows[0], self._clock.now()
        LOGGER.warning("chat %s refuses the bot: %s", first.chat_id, error)
        try:
            async with self._db.write() as session:
                if first.chat_id > 0 and "blocked" in str(error).lower():
                    await team_chat.person_blocked(session, first.chat_id, now)
                    return Outcome.FAILED
                if await team_chats.is_team_chat(session, first.chat_id):
                    await team_chat.bot_out_of_chat(session, first.chat_id, now)
                    await outbox.retry_at(session, batch.ids, now, _describe(error))
                    return Outcome.RETRY
                await outbox.mark_failed(session, batch.ids, now, _describe(error))
        except Exception:
            LOGGER.exception("could not record the refusal of chat %s", first.chat_id)
        return Outcome.FAILED

    async def _localized(
        self, message: OutboxMessage, language: str | None = None
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        """The row's text and buttons in the language of the chat they go to (R-l10n1)."""
        english, envelope = unpack(message.text)
        if envelope is None:
            return english, build_keyboard(message.buttons)
        language = language or await self._language_of(message.chat_id, envelope)
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

    async def _after_flood_control(self, batch: Batch, error: RetryAfter) -> Outcome:
        wait = retry_after_seconds(error)
        chat_id = batch.rows[0].chat_id
        self._limiter.pause(chat_id, wait)
        LOGGER.info("Telegram asked to wait %ss before writing to chat %s", wait, chat_id)
        at = self._clock.now() + timedelta(seconds=wait)
        await self._record(batch.ids, outbox.retry_at, at, _describe(error))
        return Outcome.RETRY

    async def _after_migration(self, batch: Batch, new_chat_id: int) -> Outcome:
        """The group became a supergroup: the shop's team chat and every pending notice move to
        the new id at once, and this one is tried again there."""
        old_chat_id = batch.rows[0].chat_id
        LOGGER.info("chat %s became supergroup %s: moving the team chat", old_chat_id, new_chat_id)
        now = self._clock.now()
        async with self._db.write() as session:
            await team_chat.chat_migrated(session, old_chat_id, new_chat_id)
            await outbox.retry_at(session, batch.ids, now, "ChatMigrated")
        return Outcome.RETRY

    async def _after_transient(self, batch: Batch, attempts: int, error: BaseException) -> Outcome:
        message = batch.rows[0]
        now = self._clock.now()
        if attempts >= self._retry.max_attempts:
            LOGGER.error(
                "notification %s to chat %s given up after %s attempts: %s",
                message.id,
                message.chat_id,
                attempts,
                error,
            )
            await self._record(batch.ids, outbox.mark_failed, now, _describe(error))
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
            batch.ids, outbox.retry_at, now + timedelta(seconds=delay), _describe(error)
        )
        return Outcome.RETRY

    # -- recording outcomes -----------------------------------------------------------------

    async def _record_sent(self, message_ids: list[int]) -> None:
        self.sent_count += 1
        sent_at = self._clock.now()
        if not await self._write_sent(message_ids, sent_at):
            for message_id in message_ids:
                self._unrecorded[message_id] = sent_at

    async def _flush_unrecorded(self) -> None:
        """Retries the `sent_at` writes that failed; until one succeeds its message stays
        remembered here and is never leased again by this process."""
        for message_id, sent_at in list(self._unrecorded.items()):
            if not await self._write_sent([message_id], sent_at):
                return
            self._unrecorded.pop(message_id, None)

    async def _write_sent(self, message_ids: list[int], sent_at: datetime) -> bool:
        try:
            async with self._db.write() as session:
                await outbox.mark_sent(session, message_ids, sent_at)
        except Exception:
            LOGGER.exception("could not record notifications %s as sent; will retry", message_ids)
            return False
        return True

    async def _record(
        self,
        message_id: int | list[int],
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
