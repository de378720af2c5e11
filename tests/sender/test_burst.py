"""Issue 17 item 6, R-n2: a burst of team notices under Telegram's group limit (about 20
messages a minute). When the queue would hold a notice longer than 30 s, the urgent ones go
first and routine ones are merged into one message per kind, translated with the right plural;
nothing is lost or sent twice. Time is fake: the sender's waits move a fake monotonic clock and
the frozen service clock together, so the test never really waits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.telegram.outbox_sender import OutboxSender, TelegramLimits
from bot.telegram_standin import TelegramStandIn
from bot.telegram_standin.conversation_log import BOT_MESSAGE
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage import repositories as repo
from tests.sender.conftest import TEAM_GROUP, Outbox, texts

Build = Callable[..., OutboxSender]
ROUTINE = ("claim_period_opened", "distribution_started", "low_discount")
EVENT = re.compile(r"\bevent (\d+)\b")
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


class FakeTime:
    """A monotonic clock for the rate limiter and a sleep that only moves it (and the frozen
    service clock, so retry times come due)."""

    def __init__(self, clock: FrozenClock) -> None:
        self.now = 0.0
        self.clock = clock

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


@pytest.fixture
def fake_time(clock: FrozenClock) -> FakeTime:
    return FakeTime(clock)


@pytest.fixture
def arrived_at(standin: TelegramStandIn, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """(fake time, text) of each bot message, as the stand-in stores it."""
    seen: list[tuple[float, str]] = []
    log = standin.state.log
    original = log.add_event

    async def add_event(kind: str, chat: Any, **kwargs: Any) -> Any:
        message = kwargs.get("message")
        if kind == BOT_MESSAGE and message is not None:
            seen.append((fake_time.now, message.plain_text or ""))
        return await original(kind, chat, **kwargs)

    monkeypatch.setattr(log, "add_event", add_event)
    return seen


def paced_sender(make_sender: Build, fake_time: FakeTime) -> OutboxSender:
    """Telegram's real limits (1 s per chat, 20 a minute per group), on fake time."""
    return make_sender(limits=TelegramLimits(), monotonic=fake_time, sleep=fake_time.sleep)


async def test_burst_of_100_sends_urgent_first_and_merges_routine_per_kind(
    standin: TelegramStandIn,
    outbox_rows: Outbox,
    make_sender: Build,
    fake_time: FakeTime,
    arrived_at: list[tuple[float, str]],
) -> None:
    urgent = {60: ("drop_failed", "event 60: the drop failed"), 90: ("sellout_soon", "event 90")}
    ids = []
    for n in range(100):
        kind, text = urgent.get(n, (ROUTINE[n % 3], f"event {n}"))
        ids.append(await outbox_rows.add(TEAM_GROUP, text, kind=kind))
    sender = paced_sender(make_sender, fake_time)

    sent = 0
    for _ in range(10):  # passes; each sends what is due now
        sent += await sender.deliver_pending()
        if await sender.pending() == 0:
            break
    assert await sender.pending() == 0

    # The urgent notices first, at once; then one message per routine kind.
    messages = texts(standin, TEAM_GROUP)
    assert messages[0] == "event 60: the drop failed"
    assert messages[1] == "event 90"
    assert arrived_at[0][0] == 0.0 and arrived_at[1][0] <= 30.0
    assert messages[2].startswith("📋 32 claim periods opened:")
    assert messages[3].startswith("📋 33 distributions started:")
    assert messages[4].startswith("📋 33 low discount warnings:")
    assert len(messages) == 5 == sent == standin.calls["sendMessage"]
    assert arrived_at[-1][0] <= 30.0  # no notice held longer than 30 s

    # Nothing lost, nothing twice (R-n2): every event exactly once, every row sent.
    seen = [int(n) for text in messages for n in EVENT.findall(text)]
    assert sorted(seen) == list(range(100))
    rows = await outbox_rows.rows()
    assert all(row.sent_at is not None and row.failed_at is None for row in rows)


async def test_a_short_queue_is_sent_as_it_is(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, fake_time: FakeTime
) -> None:
    for n in range(20):  # 20 fit in the first 30 s of a group's minute
        await outbox_rows.add(TEAM_GROUP, f"event {n}", kind="claim_period_opened")
    assert await paced_sender(make_sender, fake_time).deliver_pending() == 20
    assert texts(standin, TEAM_GROUP) == [f"event {n}" for n in range(20)]
    assert fake_time.now <= 30.0


async def test_merged_heading_in_the_shops_language_with_its_plural(
    standin: TelegramStandIn,
    services: Services,
    seller: Actor,
    outbox_rows: Outbox,
    make_sender: Build,
    fake_time: FakeTime,
) -> None:
    async with services.db.write() as session:
        shop = await repo.get_shop(session, seller.shop_id)
        assert shop is not None
        shop.language = "es"
    for n in range(30):
        await outbox_rows.add(TEAM_GROUP, f"event {n}", kind="distribution_started")
    assert await paced_sender(make_sender, fake_time).deliver_pending() == 1
    [merged] = texts(standin, TEAM_GROUP)
    assert merged.startswith("📋 30 repartos iniciados:")


async def test_a_merged_message_that_fails_is_retried_whole_and_sent_once(
    standin: TelegramStandIn,
    outbox_rows: Outbox,
    make_sender: Build,
    fake_time: FakeTime,
    clock: FrozenClock,
) -> None:
    for n in range(30):
        await outbox_rows.add(TEAM_GROUP, f"event {n}", kind="claim_period_opened")
    standin.fail_next("sendMessage", 500, retry_after=None)
    sender = paced_sender(make_sender, fake_time)
    assert await sender.deliver_pending() == 0
    assert all(row.attempts == 1 and row.sent_at is None for row in await outbox_rows.rows())
    clock.advance(seconds=10)
    assert await sender.deliver_pending() == 1
    [merged] = texts(standin, TEAM_GROUP)
    assert sorted(int(n) for n in EVENT.findall(merged)) == list(range(30))
    assert await sender.pending() == 0
