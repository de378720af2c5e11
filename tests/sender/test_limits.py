"""The sender's pure parts: Telegram's flood limits as a schedule, backoff, keyboards."""

from __future__ import annotations

import pytest

from bot.telegram.outbox_sender import RateLimiter, RetryPolicy, TelegramLimits, build_keyboard


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tick() -> FakeMonotonic:
    return FakeMonotonic()


def test_one_message_per_second_per_chat(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    assert limiter.chat_delay(42) == 0
    limiter.record(42)
    assert limiter.chat_delay(42) == pytest.approx(1.0)
    assert limiter.chat_delay(43) == 0  # another chat is not held back
    tick.now += 0.4
    assert limiter.chat_delay(42) == pytest.approx(0.6)
    tick.now += 0.6
    assert limiter.chat_delay(42) == 0


def test_twenty_messages_per_minute_per_group(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    for _ in range(20):
        assert limiter.chat_delay(-100) == 0
        limiter.record(-100)
        tick.now += 1.0
    # 20 messages went out at t = 0..19 s: the 21st waits until the first leaves the window.
    assert limiter.chat_delay(-100) == pytest.approx(40.0)
    tick.now += 40.0
    assert limiter.chat_delay(-100) == 0


def test_private_chats_have_no_per_minute_cap(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    for _ in range(30):
        assert limiter.chat_delay(7) == 0
        limiter.record(7)
        tick.now += 1.0
    assert limiter.chat_delay(7) == 0


def test_overall_slots_are_spaced_for_thirty_per_second(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    delays = [limiter.reserve_overall() for _ in range(31)]
    assert delays[0] == 0
    assert delays[30] == pytest.approx(1.0)  # the 31st message starts a second after the 1st
    tick.now += 5.0
    assert limiter.reserve_overall() == 0  # unused slots are not saved up


def test_flood_control_pauses_only_that_chat(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    limiter.record(5)
    limiter.pause(5, 7.0)
    assert limiter.chat_delay(5) == pytest.approx(7.0)
    assert limiter.chat_delay(6) == 0
    limiter.pause(5, 2.0)  # a shorter wait never shortens a longer one
    assert limiter.chat_delay(5) == pytest.approx(7.0)


def test_idle_chats_are_forgotten(tick: FakeMonotonic) -> None:
    limiter = RateLimiter(TelegramLimits(), tick)
    limiter.record(-1)
    limiter.record(2)
    tick.now += 61.0
    limiter.forget_idle()
    assert limiter._chat_next == {}
    assert limiter._group_sent == {}


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=300.0, jitter=0.2)
    assert [policy.delay(n, lambda: 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert policy.delay(1, lambda: 1.0) == pytest.approx(1.2)
    assert policy.delay(20, lambda: 1.0) == 300.0


def test_keyboard_from_the_outbox_json() -> None:
    markup = build_keyboard(
        '[[["Stats", "v:stats:7"], ["Stop", "d:stop:3"]], [["Add", "v:add:7"]]]'
    )
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [[("Stats", "v:stats:7"), ("Stop", "d:stop:3")], [("Add", "v:add:7")]]
    assert build_keyboard(None) is None
    assert build_keyboard("[]") is None


def test_malformed_buttons_are_dropped_not_fatal() -> None:
    assert build_keyboard("{not json") is None
    assert build_keyboard('[["just text"]]') is None
