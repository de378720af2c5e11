"""The terminal chat of `voucherbot run`: a pasted invite link opens it, as tapping it in
Telegram would, and the banner shows the HTTP API's address."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from telegram.ext import Application

from bot.telegram_standin import TelegramStandIn, run_terminal_chat
from tests.standin.tiny_bot import build_tiny_bot

App = Application  # type: ignore[type-arg]


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as running:
        yield running


@pytest.fixture
async def tiny_app(standin: TelegramStandIn) -> AsyncIterator[App]:
    app = build_tiny_bot(standin)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=5)
    yield app
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def test_pasted_invite_link_opens_it(standin: TelegramStandIn, tiny_app: App) -> None:
    output = io.StringIO()
    script = "https://t.me/voucherbot_standin_bot?start=inv-Abc_123\nt.me/x_bot?start=zz9\n/quit\n"
    await run_terminal_chat(
        standin,
        input_stream=io.StringIO(script),
        output=output,
        api_url="http://127.0.0.1:8080",
    )
    printed = output.getvalue()
    assert "The HTTP API is at http://127.0.0.1:8080" in printed
    assert "* opening the link: /start inv-Abc_123" in printed
    assert "payload=inv-Abc_123" in printed
    assert "payload=zz9" in printed
