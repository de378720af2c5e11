"""The Mini App over the test database: the service's aiohttp app (bot/http/app.py, which
mounts bot/webapp) and signed initData for the people of the `seller` fixture's shop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.http.app import create_app
from bot.webapp.initdata import sign
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import rig, sally, standin  # noqa: F401  (the bot's fixtures)

BOT_TOKEN = "123456:TEST-token-for-the-mini-app"
SELLER_ID = 1001
HOST_ID = 2002
STRANGER_ID = 3003


def webapp_settings(token: str = BOT_TOKEN, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "telegram_bot_token": token,
        "webhook_url": None,
        "webhook_secret": None,
        "public_base_url": "https://shop.example.test",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]


def init_data(
    user_id: int,
    at: datetime,
    *,
    token: str = BOT_TOKEN,
    language: str | None = "en",
    name: str = "Sally",
) -> str:
    user: dict[str, object] = {"id": user_id, "first_name": name}
    if language:
        user["language_code"] = language
    return sign(user, token, at, query_id="AAH-test")


@pytest.fixture
async def host(services: Services, seller: Actor) -> Actor:
    """A linked marketing account (Telegram user 2002) of the seller's shop."""
    invite = await services.accounts.create_invite(seller, "marketing")
    member = await services.accounts.accept_invite(invite.token, HOST_ID, "Hana")
    return member.actor


@pytest.fixture
async def client(services: Services) -> AsyncIterator[TestClient]:
    app = create_app(services, webapp_settings())
    async with TestClient(TestServer(app)) as c:
        yield c


Signer = Callable[..., dict[str, str]]


@pytest.fixture
def as_user(services: Services) -> Signer:
    """Headers a page call of `user_id` carries (signed now, by the service clock)."""

    def headers(user_id: int, **kwargs: object) -> dict[str, str]:
        return {"X-Telegram-Init-Data": init_data(user_id, services.clock.now(), **kwargs)}  # type: ignore[arg-type]

    return headers
