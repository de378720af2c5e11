"""The sender's background loop on the real clock: pacing measured at the stand-in, two
senders racing over one database, waking, and a graceful stop."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable

import pytest

from bot.telegram.outbox_sender import OutboxSender, TelegramLimits
from bot.telegram_standin import TelegramStandIn
from core.clock import SystemClock
from storage.db import Database
from tests.sender.conftest import (
    OTHER_GROUP,
    PRIVATE_CHAT,
    TEAM_GROUP,
    Arrival,
    Outbox,
    make_bot,
    texts,
)

Build = Callable[..., OutboxSender]
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
REAL = SystemClock()


@pytest.fixture
def outbox_now(db: Database, shop_id: int) -> Outbox:
    return Outbox(db, shop_id, REAL)


async def test_r_n2_one_message_per_second_per_chat_without_blocking_other_chats(
    standin: TelegramStandIn, outbox_now: Outbox, make_sender: Build, arrivals: list[Arrival]
) -> None:
    for n in range(3):
        await outbox_now.add(PRIVATE_CHAT, f"private {n}")
    await outbox_now.add(TEAM_GROUP, "team")
    sender = make_sender(clock=REAL, limits=TelegramLimits(), poll_interval=0.05)
    await sender.start()
    try:
        await standin.wait_for(lambda: len(arrivals) == 4, timeout=10, describe="4 messages")
    finally:
        await sender.stop()

    private = [a for a in arrivals if a.chat_id == PRIVATE_CHAT]
    [team] = [a for a in arrivals if a.chat_id == TEAM_GROUP]
    assert [a.text for a in private] == ["private 0", "private 1", "private 2"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(private)]
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert team.at - private[0].at < 0.5  # the group did not queue behind the private chat


async def test_flood_control_on_one_chat_does_not_delay_another(
    standin: TelegramStandIn, outbox_now: Outbox, make_sender: Build, arrivals: list[Arrival]
) -> None:
    await outbox_now.add(TEAM_GROUP, "team")
    standin.fail_next("sendMessage", 429, retry_after=2)
    sender = make_sender(clock=REAL, poll_interval=0.05)
    await sender.start()
    try:
        await standin.wait_for_calls("sendMessage", 1)
        flooded = standin.mark()
        await outbox_now.add(OTHER_GROUP, "hosts")
        sender.wake()
        await standin.wait_for_message(OTHER_GROUP, "hosts", timeout=1.0)
        assert texts(standin, TEAM_GROUP) == []
        await standin.wait_for_message(TEAM_GROUP, "team", timeout=5.0, since=flooded)
    finally:
        await sender.stop()
    [team] = [a for a in arrivals if a.chat_id == TEAM_GROUP]
    [hosts] = [a for a in arrivals if a.chat_id == OTHER_GROUP]
    assert team.at - hosts.at > 1.5  # retry_after=2 was honoured for the flooded chat only


async def test_r_n2_two_senders_on_one_database_never_send_a_message_twice(
    standin: TelegramStandIn, db: Database, outbox_now: Outbox, make_sender: Build
) -> None:
    chats = [PRIVATE_CHAT, TEAM_GROUP, OTHER_GROUP] + [-100700 - n for n in range(9)]
    for chat in chats[3:]:
        standin.group(chat, f"group {chat}")
    expected: dict[int, list[str]] = {chat: [] for chat in chats}
    for n in range(5):
        for chat in chats:
            text = f"{chat} #{n}"
            expected[chat].append(text)
            await outbox_now.add(chat, text)

    # A second process: its own engine and its own bot, racing for the same rows.
    other_db = Database(db.url.render_as_string(hide_password=False))
    total = sum(len(v) for v in expected.values())
    async with make_bot(standin) as other_bot:
        first = make_sender(clock=REAL, poll_interval=0.02)
        second = make_sender(clock=REAL, poll_interval=0.02, db=other_db, bot=other_bot)
        await asyncio.gather(first.start(), second.start())
        try:
            await standin.wait_for_calls("sendMessage", total, timeout=20)
        finally:
            await asyncio.gather(first.stop(), second.stop())
            await other_db.dispose()

    sent = Counter(text for chat in chats for text in texts(standin, chat))
    assert [text for text, count in sent.items() if count > 1] == []
    assert sum(sent.values()) == total == standin.calls["sendMessage"]
    for chat in chats:
        assert texts(standin, chat) == expected[chat]  # in order, whoever sent them
    rows = await outbox_now.rows()
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert first.sent_count + second.sent_count == total


async def test_wake_delivers_without_waiting_for_the_poll(
    standin: TelegramStandIn, outbox_now: Outbox, make_sender: Build
) -> None:
    sender = make_sender(clock=REAL, poll_interval=30.0)
    await sender.start()
    try:
        await outbox_now.add(TEAM_GROUP, "Voucher #3 deactivated")
        sender.wake()
        await standin.wait_for_message(TEAM_GROUP, "deactivated", timeout=2.0)
    finally:
        await sender.stop()


async def test_stop_finishes_the_message_in_flight(
    standin: TelegramStandIn, outbox_now: Outbox, make_sender: Build
) -> None:
    row_id = await outbox_now.add(TEAM_GROUP, "Live session ended")
    standin.hang_next("sendMessage", 0.5)  # Telegram is slow to answer
    sender = make_sender(clock=REAL, poll_interval=0.05)
    await sender.start()
    await standin.wait_for_calls("sendMessage", 1)
    await sender.stop()
    assert texts(standin, TEAM_GROUP) == ["Live session ended"]
    assert (await outbox_now.row(row_id)).sent_at is not None
    assert await sender.deliver_pending() == 0  # stopped: takes nothing new


async def test_stop_does_not_wait_for_rate_limits(
    standin: TelegramStandIn, outbox_now: Outbox, make_sender: Build
) -> None:
    for n in range(3):
        await outbox_now.add(PRIVATE_CHAT, f"private {n}")
    # max_hold: the queue is short enough that nothing is merged (a minute between messages).
    sender = make_sender(
        clock=REAL, limits=TelegramLimits(chat_interval=60), poll_interval=0.05, max_hold=600
    )
    await sender.start()
    await standin.wait_for_message(PRIVATE_CHAT, "private 0")
    async with asyncio.timeout(2):
        await sender.stop()  # the next message would wait a minute for its slot
    assert texts(standin, PRIVATE_CHAT) == ["private 0"]
    rows = await outbox_now.rows()
    assert [row.sent_at is not None for row in rows] == [True, False, False]
    assert [row.attempts for row in rows] == [1, 0, 0]  # the others were never leased
