"""R-run1: Telegram unreachable or the token refused: the API keeps serving, and the bot
retries, logging ONE line per attempt with the URL it tried (token masked)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.telegram_standin import TelegramStandIn
from tests.run.support import free_port
from tests.support.waiting import eventually

SECRET = "AAHsecretpartofthetoken"
DEADLINE = 20.0


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = Runtime(settings, interactive=False, telegram_retry=(0.05, 0.2))
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.run(stop))
    try:
        yield runtime
    finally:
        stop.set()
        await asyncio.wait_for(task, DEADLINE)


async def retry_lines(caplog: pytest.LogCaptureFixture, n: int) -> list[logging.LogRecord]:
    """Bounded polling until `n` retry lines were logged."""

    def found() -> list[logging.LogRecord]:
        lines = [r for r in caplog.records if "retrying in" in r.getMessage()]
        return lines if len(lines) >= n else []

    return await eventually(found, f"{n} retry lines", within=DEADLINE)


async def assert_api_serves(runtime: Runtime) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{runtime.http_port}/healthz") as response,
    ):
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


def assert_one_line_each(records: list[logging.LogRecord], url: str, setting: str) -> None:
    for record in records:
        message = record.getMessage()
        assert record.exc_info is None  # no traceback
        assert "\n" not in message
        assert url in message
        assert setting in message
        assert SECRET not in message


def settings_for(tmp_path: Path, base_url: str) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'voucherbot.db'}",
        http_port=0,
        telegram_bot_token=f"123456:{SECRET}",
        telegram_api_base_url=base_url,
        metrics_enabled=False,
    )


async def test_r_run1_telegram_unreachable_api_serves_and_one_line_per_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    base = f"http://127.0.0.1:{free_port()}/bot"  # nobody listens there
    async with running(settings_for(tmp_path, base)) as runtime:
        records = await retry_lines(caplog, 3)
        await assert_api_serves(runtime)
    assert_one_line_each(records, f"{base}123456:***/getMe", "TELEGRAM_API_BASE_URL")
    assert all("unreachable" in r.getMessage() for r in records)


async def test_r_run1_token_refused_api_serves_and_one_line_per_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with TelegramStandIn() as standin:  # a Bot API that knows another token
        base = standin.base_url
        async with running(settings_for(tmp_path, base)) as runtime:
            records = await retry_lines(caplog, 2)
            await assert_api_serves(runtime)
    assert_one_line_each(records, f"{base}123456:***/getMe", "TELEGRAM_BOT_TOKEN")
    assert all("refused the bot token" in r.getMessage() for r in records)


async def test_r_run1_telegram_gone_while_polling_one_line_per_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram fails after the bot started: PTB's own retries log one line each, with the
    getUpdates URL (token masked), instead of a traceback each time."""
    caplog.set_level(logging.INFO)
    settings = settings_for(tmp_path, "unused")
    settings.telegram_bot_token = None  # the built-in stand-in, whose token is its own
    async with running(settings) as runtime:
        await eventually(
            lambda: "Telegram side and notification sender running" in caplog.text,
            "the Telegram side to run",
            within=DEADLINE,
        )
        standin = runtime.standin
        standin.fail_next("getUpdates", 502, times=2)
        # An update ends the long poll in flight, so the next getUpdates meets the failures.
        await standin.send_text(standin.user(1001, "Ann"), "/help")
        await eventually(
            lambda: len([r for r in caplog.records if "did not answer" in r.getMessage()]) >= 2,
            "two failed polls logged",
            within=DEADLINE,
        )
        await assert_api_serves(runtime)
    failures = [r for r in caplog.records if "did not answer" in r.getMessage()]
    token = standin.token
    for record in failures:
        message = record.getMessage()
        assert record.exc_info is None and "\n" not in message
        assert f"{token.partition(':')[0]}:***/getUpdates" in message
        assert token not in message
    assert "Traceback" not in caplog.text
