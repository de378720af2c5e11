"""getUpdates long polling, webhooks, tokens and raw request shapes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.telegram_standin import TelegramStandIn


async def test_long_poll_answers_as_soon_as_an_update_arrives(
    standin: TelegramStandIn, raw_bot: Bot
) -> None:
    polling = asyncio.create_task(raw_bot.get_updates(timeout=5))
    await standin.wait_for_calls("getUpdates")
    started = time.monotonic()
    sent = await standin.send_text(standin.user(1, "Ann"), "/start")
    updates = await polling
    assert time.monotonic() - started < 1.0
    assert [update.update_id for update in updates] == [sent.update_id]
    assert updates[0].message is not None and updates[0].message.text == "/start"

    # Unconfirmed updates come again; a higher offset confirms them.
    assert len(await raw_bot.get_updates()) == 1
    assert await raw_bot.get_updates(offset=updates[0].update_id + 1) == ()
    assert standin.pending_updates == []


async def test_an_empty_long_poll_ends_at_its_timeout(raw_bot: Bot) -> None:
    started = time.monotonic()
    assert await raw_bot.get_updates(timeout=0.2) == ()
    assert 0.15 < time.monotonic() - started < 2.0


async def test_a_second_poller_ends_the_first_with_409(
    standin: TelegramStandIn, raw_bot: Bot
) -> None:
    first = asyncio.create_task(raw_bot.get_updates(timeout=5))
    await standin.wait_for_calls("getUpdates")
    # A second bot instance: PTB's own getUpdates connection pool holds one request.
    async with Bot(standin.token, base_url=standin.base_url) as second:
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_allowed_updates_filter_what_is_queued(
    standin: TelegramStandIn, raw_bot: Bot
) -> None:
    await raw_bot.get_updates(allowed_updates=["callback_query"])
    ignored = await standin.send_text(standin.user(1, "Ann"), "hello")
    assert ignored.update is None
    await raw_bot.get_updates(allowed_updates=[])  # back to Telegram's default set
    assert (await standin.send_text(1, "hello again")).update is not None


async def test_tokens_and_unknown_methods(standin: TelegramStandIn, raw_bot: Bot) -> None:
    # Its own request object: Bot.shutdown() skips a bot whose initialize() failed.
    request = HTTPXRequest()
    await request.initialize()
    try:
        with pytest.raises(InvalidToken):
            await Bot("123:wrong", base_url=standin.base_url, request=request).get_me()
    finally:
        await request.shutdown()
    with pytest.raises(EndPointNotFound):
        await raw_bot.do_api_request("sendTelepathy")
    assert await raw_bot.close() is True
    assert await raw_bot.log_out() is True
    with pytest.raises(InvalidToken):  # Telegram refuses a logged-out token
        await raw_bot.get_me()


async def test_raw_requests_like_telegram_accepts_them(standin: TelegramStandIn) -> None:
    ann = standin.user(1, "Ann", started=True)
    url = f"{standin.base_url}{standin.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/GETME") as response:  # method names are case-insensitive
            me = await response.json()
        assert me["ok"] and me["result"]["is_bot"] and me["result"]["username"]
        body = {"chat_id": ann.id, "text": "json", "reply_markup": {"inline_keyboard": []}}
        async with http.post(f"{url}/sendMessage", json=body) as response:
            assert (await response.json())["result"]["text"] == "json"
        form = {"chat_id": str(ann.id), "text": "form", "disable_notification": "true"}
        async with http.post(f"{url}/sendMessage", data=form) as response:
            assert (await response.json())["result"]["chat"]["id"] == ann.id
        async with http.post(f"{url}/nope") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.post(f"{standin.base_url}1:bad/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        standin.fail_next("getMe", 429, retry_after=3)
        async with http.post(f"{url}/getMe") as response:
            assert response.status == 429
            assert (await response.json())["parameters"] == {"retry_after": 3}
    assert [m.plain_text for m in standin.messages(ann)] == ["json", "form"]


@dataclass
class Receiver:
    """A webhook endpoint in front of a PTB Application without an Updater."""

    url: str
    secret: str
    app: Application  # type: ignore[type-arg]
    refused: list[dict[str, Any]] = field(default_factory=list)


async def _hello(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("hello from the webhook")


@pytest.fixture
async def receiver(standin: TelegramStandIn) -> AsyncIterator[Receiver]:
    app = ApplicationBuilder().token(standin.token).base_url(standin.base_url).updater(None).build()
    app.add_handler(CommandHandler("start", _hello))
    endpoint = Receiver("", "s3cret_token-1", app)

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != endpoint.secret:
            endpoint.refused.append(body)
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(body, app.bot))
        return web.Response()

    web_app = web.Application()
    web_app.router.add_post("/telegram/webhook", handle)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    endpoint.url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with app:
        await app.start()
        yield endpoint
        await app.stop()
    await runner.cleanup()


async def test_webhook_delivers_updates_with_the_secret_header(
    standin: TelegramStandIn, receiver: Receiver
) -> None:
    bot = receiver.app.bot
    assert await bot.set_webhook(receiver.url, secret_token=receiver.secret)
    ann = standin.user(1, "Ann")

    sent = await standin.send_text(ann, "/start")
    reply = await standin.next_reply(ann, since=sent)
    assert reply.plain_text == "hello from the webhook"
    assert [update["update_id"] for update in standin.webhook_deliveries] == [sent.update_id]
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()

    assert await bot.delete_webhook()
    later = await standin.send_text(ann, "/start again")
    assert [update.update_id for update in await bot.get_updates()] == [later.update_id]


async def test_webhook_retries_until_the_receiver_accepts(
    standin: TelegramStandIn, receiver: Receiver
) -> None:
    bot = receiver.app.bot
    await bot.set_webhook(receiver.url, secret_token="not-the-right-one")
    ann = standin.user(1, "Ann")
    sent = await standin.send_text(ann, "/start")

    await standin.wait_for(lambda: receiver.refused, describe="a refused delivery")
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"

    await bot.set_webhook(receiver.url, secret_token=receiver.secret)
    reply = await standin.next_reply(ann, since=sent)
    assert reply.plain_text == "hello from the webhook"
    assert (await bot.get_webhook_info()).last_error_message is None


async def test_set_webhook_validation(raw_bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await raw_bot.set_webhook("http://example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await raw_bot.set_webhook("https://example.com/hook", secret_token="no spaces")
