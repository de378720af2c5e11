"""Fixtures: a running stand-in, the tiny PTB bot polling it, and a bare PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.ext import Application

from bot.telegram_standin import TelegramStandIn
from tests.standin.tiny_bot import build_tiny_bot


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn(webhook_retry_delay=0.05) as running:
        yield running
        assert not running.internal_errors, running.internal_errors


@pytest.fixture
async def tiny_app(standin: TelegramStandIn) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real PTB Application, polling the stand-in."""
    app = build_tiny_bot(standin)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=5)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


@pytest.fixture
async def raw_bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    """A PTB Bot without an Application, for calling methods directly."""
    async with Bot(
        standin.token, base_url=standin.base_url, base_file_url=standin.base_file_url
    ) as bot:
        yield bot
