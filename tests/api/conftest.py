"""An API client against the real app (real services, real migrations) on a local port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.http import create_app
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import NOW


def iso(delta: timedelta = timedelta()) -> str:
    return (NOW + delta).isoformat()


def voucher_body(**overrides: Any) -> dict[str, Any]:
    """A valid Regular $5-off shop-wide voucher claimable now (as JSON)."""
    body: dict[str, Any] = {
        "name": "Spring $5 off",
        "kind": "regular",
        "discount": {"type": "amount", "amount": 500},
        "min_spend": 2000,
        "scope": {"type": "shop"},
        "total_quantity": 100,
        "per_customer_limit": 1,
        "starts_at": iso(),
        "ends_at": iso(timedelta(days=7)),
    }
    body.update(overrides)
    return body


@dataclass
class Api:
    client: TestClient
    key: str
    shop_id: int
    seller: Actor
    services: Services
    clock: FrozenClock

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    async def call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        response = await self.client.request(
            method, path, json=json, headers={**self.auth, **(headers or {})}
        )
        body = await response.json(content_type=None) if response.content_length != 0 else None
        return response.status, body

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        got, body = await self.call(method, path, **kwargs)
        assert got == status, (got, body)
        return body

    async def voucher(self, **overrides: Any) -> dict[str, Any]:
        return await self.ok("POST", "/v1/vouchers", 201, json=voucher_body(**overrides))


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///unused.db", metrics_enabled=True)


@pytest.fixture
async def api(
    services: Services, seller: Actor, clock: FrozenClock, settings: Settings
) -> AsyncIterator[Api]:
    key = await services.api_keys.create_for_shop(seller.shop_id)
    client = TestClient(TestServer(create_app(services, settings)))
    await client.start_server()
    try:
        yield Api(client, key.secret, seller.shop_id, seller, services, clock)
    finally:
        await client.close()


@pytest.fixture
async def other_shop(services: Services) -> tuple[int, str]:
    """Another shop and its API key."""
    shop, _ = await services.shops.create("Other", owner_telegram_user_id=2002)
    key = await services.api_keys.create_for_shop(shop.id)
    return shop.id, key.secret
