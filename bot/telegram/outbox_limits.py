"""The sender's pure parts: Telegram's flood limits as a schedule (`RateLimiter`), the backoff
of transient failures (`RetryPolicy`), and the inline keyboard of an outbox row."""

from __future__ import annotations

import json
import logging
import random
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

LOGGER = logging.getLogger("bot.telegram.outbox_sender")
Monotonic = Callable[[], float]
CAPACITY_CAP = 10_000  # "more than any queue": a chat with no pacing at all


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

    def capacity(self, chat_id: int, horizon: float) -> int:
        """How many messages `chat_id` may receive from now until `horizon` seconds later (the
        1 s spacing and, for a group, the per-minute window)."""
        now = self._now()
        limits = self._limits
        at = max(now, self._chat_next.get(chat_id, now))
        window = list(self._group_sent.get(chat_id, ())) if chat_id < 0 else []
        count = 0
        while True:
            if chat_id < 0 and len(window) >= limits.group_per_window:
                at = max(at, window[-limits.group_per_window] + limits.group_window)
            if at > now + horizon or count >= CAPACITY_CAP:
                return count
            count += 1
            window.append(at)
            at += limits.chat_interval

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
        nominal: float = self.base * 2 ** max(0, attempts - 1)
        return min(self.cap, nominal * (1.0 + self.jitter * rand()))


def retry_after_seconds(error: RetryAfter) -> float:
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
