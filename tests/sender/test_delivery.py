"""One pass of the sender (`deliver_pending`) against the Telegram stand-in, on SQLite and
PostgreSQL, with a frozen clock: retries become due only when the test moves time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.telegram.outbox_sender import OutboxSender, RetryPolicy
from bot.telegram_standin import TelegramStandIn
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from tests.conftest import percent_draft
from tests.sender.conftest import (
    OTHER_GROUP,
    PRIVATE_CHAT,
    TEAM_GROUP,
    Outbox,
    make_bot,
    texts,
)

Build = Callable[..., OutboxSender]
# PTB 22 itself reads RetryAfter.retry_after as a number when building the error.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_r_n2_delivers_once_with_html_and_buttons(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    buttons = '[[["Stats", "v:stats:7"], ["Deactivate", "v:off:7"]]]'
    row_id = await outbox_rows.add(TEAM_GROUP, "<b>Spring</b> (#7) is sold out", buttons=buttons)
    sender = make_sender()

    assert await sender.deliver_pending() == 1
    assert await sender.deliver_pending() == 0

    [message] = standin.messages(TEAM_GROUP)
    assert message.parse_mode == "HTML"
    assert message.plain_text == "Spring (#7) is sold out"
    assert message.button_rows == [[("Stats", "v:stats:7"), ("Deactivate", "v:off:7")]]
    assert standin.calls["sendMessage"] == 1
    row = await outbox_rows.row(row_id)
    assert row.sent_at == clock.now()
    assert (row.attempts, row.failed_at, row.last_error) == (1, None, None)
    assert await sender.pending() == 0


async def test_r_n2_flood_control_429_waits_retry_after_then_delivers_once(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    row_id = await outbox_rows.add(TEAM_GROUP, "Claim period opened")
    standin.fail_next("sendMessage", 429, retry_after=1)
    sender = make_sender()

    assert await sender.deliver_pending() == 0
    row = await outbox_rows.row(row_id)
    assert row.sent_at is None and row.failed_at is None
    assert row.next_attempt_at == clock.now() + timedelta(seconds=1)  # Telegram's retry_after
    assert "RetryAfter" in (row.last_error or "")

    assert await sender.deliver_pending() == 0  # not before retry_after has passed
    assert standin.calls["sendMessage"] == 1

    clock.advance(seconds=1)
    assert await sender.deliver_pending() == 1
    assert texts(standin, TEAM_GROUP) == ["Claim period opened"]
    assert standin.calls["sendMessage"] == 2
    assert (await outbox_rows.row(row_id)).sent_at == clock.now()


async def test_r_n2_server_errors_back_off_exponentially_then_deliver_once(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    row_id = await outbox_rows.add(PRIVATE_CHAT, "Quota 80% claimed")
    standin.fail_next("sendMessage", 500, retry_after=None)
    standin.fail_next(
        "sendMessage", 502, retry_after=None
    )  # Telegram's nginx answers HTML, not JSON
    sender = make_sender(retry=RetryPolicy(base=10.0, jitter=0.0, max_attempts=5))
    start = clock.now()

    assert await sender.deliver_pending() == 0
    row = await outbox_rows.row(row_id)
    assert row.next_attempt_at == start + timedelta(seconds=10)
    assert row.attempts == 1 and "NetworkError" in (row.last_error or "")

    clock.advance(seconds=9)
    assert await sender.deliver_pending() == 0  # backing off
    clock.advance(seconds=1)
    assert await sender.deliver_pending() == 0  # the 502
    row = await outbox_rows.row(row_id)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=20)  # doubled
    assert row.attempts == 2

    clock.advance(seconds=20)
    assert await sender.deliver_pending() == 1
    assert texts(standin, PRIVATE_CHAT) == ["Quota 80% claimed"]
    assert standin.calls["sendMessage"] == 3
    row = await outbox_rows.row(row_id)
    assert row.sent_at == clock.now() and row.attempts == 3


async def test_timeout_is_retried(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    row_id = await outbox_rows.add(TEAM_GROUP, "Distribution started")
    standin.hang_next("sendMessage", 2.0)
    async with make_bot(standin, read_timeout=0.2) as impatient:
        sender = make_sender(bot=impatient)
        assert await sender.deliver_pending() == 0
        assert "TimedOut" in ((await outbox_rows.row(row_id)).last_error or "")
        clock.advance(seconds=10)
        assert await sender.deliver_pending() == 1
    assert texts(standin, TEAM_GROUP) == ["Distribution started"]


async def test_gives_up_after_max_attempts(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    row_id = await outbox_rows.add(TEAM_GROUP, "Never arrives")
    standin.fail_next("sendMessage", 500, retry_after=None, times=3)
    sender = make_sender(retry=RetryPolicy(base=1.0, jitter=0.0, max_attempts=3))
    for _ in range(3):
        assert await sender.deliver_pending() == 0
        clock.advance(minutes=1)
    assert await sender.deliver_pending() == 0
    row = await outbox_rows.row(row_id)
    assert row.failed_at is not None and row.sent_at is None and row.attempts == 3
    assert standin.calls["sendMessage"] == 3
    assert await sender.pending() == 0


async def test_bot_removed_from_group_fails_for_good_without_blocking_others(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    standin.group(OTHER_GROUP, bot_status="kicked")
    gone = await outbox_rows.add(OTHER_GROUP, "to a group that removed the bot")
    unknown = await outbox_rows.add(-100999, "to a chat Telegram does not know")
    fine = await outbox_rows.add(TEAM_GROUP, "to the team")
    sender = make_sender()

    assert await sender.deliver_pending() == 1
    clock.advance(hours=1)
    assert await sender.deliver_pending() == 0  # permanent: never tried again
    assert standin.calls["sendMessage"] == 3

    for row_id, error in ((gone, "Forbidden"), (unknown, "BadRequest")):
        row = await outbox_rows.row(row_id)
        assert row.failed_at is not None and row.sent_at is None
        assert (row.last_error or "").startswith(error)
    assert (await outbox_rows.row(fine)).sent_at is not None


async def test_a_message_waiting_for_retry_holds_back_its_chat_only(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build, clock: FrozenClock
) -> None:
    await outbox_rows.add(TEAM_GROUP, "team 1")
    standin.fail_next("sendMessage", 429, retry_after=1)
    sender = make_sender()
    assert await sender.deliver_pending() == 0  # "team 1" must wait a second

    await outbox_rows.add(TEAM_GROUP, "team 2")
    await outbox_rows.add(OTHER_GROUP, "hosts 1")
    assert await sender.deliver_pending() == 1  # the other chat is not blocked
    assert texts(standin, OTHER_GROUP) == ["hosts 1"]
    assert texts(standin, TEAM_GROUP) == []  # "team 2" does not overtake "team 1"

    clock.advance(seconds=1)
    assert await sender.deliver_pending() == 2
    assert texts(standin, TEAM_GROUP) == ["team 1", "team 2"]


async def test_messages_to_one_chat_go_out_in_order(
    standin: TelegramStandIn, outbox_rows: Outbox, make_sender: Build
) -> None:
    expected = [f"event {n}" for n in range(6)]
    for n, text in enumerate(expected):
        await outbox_rows.add(TEAM_GROUP if n % 2 else PRIVATE_CHAT, text)
    assert await make_sender().deliver_pending() == 6
    assert texts(standin, PRIVATE_CHAT) == expected[0::2]
    assert texts(standin, TEAM_GROUP) == expected[1::2]


async def test_pending_counts_and_reports_the_queue(
    outbox_rows: Outbox, make_sender: Build
) -> None:
    reported: list[int] = []
    await outbox_rows.add(TEAM_GROUP, "one")
    await outbox_rows.add(TEAM_GROUP, "two")
    sender = make_sender(on_pending=reported.append)
    assert await sender.pending() == 2
    await sender.deliver_pending()
    assert await sender.pending() == 0
    assert reported == [2, 0]


async def test_r_n1_core_notification_reaches_the_team_chat(
    standin: TelegramStandIn, services: Services, seller: Actor, make_sender: Build
) -> None:
    """End to end: core writes the R-v8 announcement in the voucher's transaction; the sender
    delivers it to the team group."""
    await services.shops.set_team_chat(seller, TEAM_GROUP)
    await services.vouchers.create(
        seller, percent_draft(name="Tiny cap", percent=20, max_discount=100, min_spend=10_000)
    )
    assert await make_sender().deliver_pending() == 1
    [message] = standin.messages(TEAM_GROUP)
    assert "Maximum Discount Per Order is Low" in (message.plain_text or "")
    assert "Tiny cap" in (message.plain_text or "")


async def test_two_concurrent_passes_over_one_database_send_each_message_once(
    standin: TelegramStandIn, db: Database, outbox_rows: Outbox, make_sender: Build
) -> None:
    chats = [PRIVATE_CHAT, TEAM_GROUP, OTHER_GROUP]
    for n in range(4):
        for chat in chats:
            await outbox_rows.add(chat, f"{chat} #{n}")
    other_db = Database(db.url.render_as_string(hide_password=False))
    try:
        counts = await asyncio.gather(
            make_sender().deliver_pending(), make_sender(db=other_db).deliver_pending()
        )
    finally:
        await other_db.dispose()
    assert sum(counts) == 12 == standin.calls["sendMessage"]
    for chat in chats:
        assert texts(standin, chat) == [f"{chat} #{n}" for n in range(4)]
