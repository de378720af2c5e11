"""Webhook mode: setWebhook with a secret; updates arrive on POST /telegram/webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.telegram.application import TelegramSide
from bot.telegram_standin import TelegramStandIn
from core.services import Services
from storage import team_chats
from tests.bot.conftest import bot_settings
from tests.support.waiting import eventually

SECRET = "s3cret_token-for-tests"


@pytest.fixture
async def server() -> AsyncIterator[tuple[dict[str, object], str]]:
    """A stand-in for the service's HTTP server; the route is filled in by the test."""
    app = web.Application()
    handlers: dict[str, object] = {}

    async def route(request: web.Request) -> web.Response:
        return await handlers["webhook"](request)  # type: ignore[operator]

    app.router.add_post("/telegram/webhook", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield handlers, f"http://127.0.0.1:{port}/telegram/webhook"
    await runner.cleanup()


async def test_updates_arrive_by_webhook_and_need_the_secret(
    services: Services, standin: TelegramStandIn, server: tuple[dict[str, object], str]
) -> None:
    handlers, url = server
    settings = bot_settings(webhook_url=url, webhook_secret=SECRET)
    side = TelegramSide(
        services,
        settings,
        token=standin.token,
        base_url=standin.base_url,
        base_file_url=standin.base_file_url,
    )
    assert side.application.updater is None
    handlers["webhook"] = side.webhook_handler
    await side.start()
    try:
        assert standin.webhook is not None and standin.webhook.url == url
        user = standin.user(4004, "Wendy")
        reply = await standin.ask(user, "/start")
        assert "Hi!" in reply.content.plain_text
        # Issue 25: my_chat_member is asked for and arrives by webhook too.
        allowed = standin.state.updates.allowed_updates
        assert allowed is not None and "my_chat_member" in allowed
        await standin.block_bot(user)

        async def blocked() -> bool:
            async with services.db.read() as session:
                return await team_chats.is_blocked(session, 4004)

        await eventually(blocked, "the block, delivered by webhook")
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"update_id": 1}) as response:
                assert response.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, json={"update_id": 1}, headers=headers) as response:
                assert response.status == 403
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data=b"{not json", headers=headers) as response:
                assert response.status == 400
    finally:
        await side.stop()
