"""Failure injection, as PTB experiences it."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.telegram_standin import TelegramStandIn

# PTB itself warns about RetryAfter.retry_after becoming a timedelta in v23; not our concern.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def ann(standin: TelegramStandIn) -> int:
    return standin.user(1, "Ann", started=True).id


async def test_429_reaches_ptb_as_retry_after(
    standin: TelegramStandIn, raw_bot: Bot, ann: int
) -> None:
    standin.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await raw_bot.send_message(ann, "hi")
    await raw_bot.send_message(ann, "hi")  # only the next call failed
    assert standin.calls["sendMessage"] == 2
    assert [message.plain_text for message in standin.messages(ann)] == ["hi"]


async def test_5xx_reach_ptb_as_network_errors(
    standin: TelegramStandIn, raw_bot: Bot, ann: int
) -> None:
    standin.fail_next("SENDMESSAGE", 500, times=2)  # method names are case-insensitive
    standin.fail_next("sendMessage", 502)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await raw_bot.send_message(ann, "hi")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await raw_bot.send_message(ann, "hi")  # an HTML page, as Telegram's nginx sends
    standin.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await raw_bot.send_message(ann, "hi")
    assert standin.messages(ann) == []


async def test_a_hang_makes_ptb_time_out(standin: TelegramStandIn, raw_bot: Bot, ann: int) -> None:
    standin.hang_next("sendMessage", 2.0)
    with pytest.raises(TimedOut):
        await raw_bot.send_message(ann, "lost", read_timeout=0.1)
    assert standin.messages(ann) == []  # the request never took effect

    standin.hang_next("sendMessage", 2.0, apply_first=True)
    with pytest.raises(TimedOut):
        await raw_bot.send_message(ann, "delivered anyway", read_timeout=0.1)
    # The message arrived although the bot saw a timeout: a retry would send it twice.
    assert (await standin.wait_for_message(ann, "delivered anyway")).plain_text


async def test_hang_then_error(standin: TelegramStandIn, raw_bot: Bot, ann: int) -> None:
    standin.hang_next("sendMessage", 0.05, then_status=429)
    with pytest.raises(RetryAfter):
        await raw_bot.send_message(ann, "hi")
