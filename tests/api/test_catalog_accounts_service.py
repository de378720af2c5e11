"""Products, accounts, health, metrics, the OpenAPI document and the Telegram webhook."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.http import create_app
from bot.metrics import OUTBOX_PENDING
from core.services import Services
from tests.api.conftest import Api


async def test_products_upsert_and_search(api: Api) -> None:
    p = await api.ok("PUT", "/v1/products/sku-1", json={"name": "Red Shoe", "price": 2500})
    assert p == {"product_id": "sku-1", "name": "Red Shoe", "category": "", "price": 2500}
    await api.ok("PUT", "/v1/products/sku-1", json={"name": "Red Shoe", "price": 2400})
    await api.ok(
        "PUT", "/v1/products/sku-2", json={"name": "Blue Hat", "category": "hats", "price": 900}
    )
    found = await api.ok("GET", "/v1/products?q=shoe")
    assert [(x["product_id"], x["price"]) for x in found["items"]] == [("sku-1", 2400)]
    hats = await api.ok("GET", "/v1/products?category=hats")
    assert [x["product_id"] for x in hats["items"]] == ["sku-2"]
    first = await api.ok("GET", "/v1/products?limit=1")
    assert first["next_cursor"] is not None and len(first["items"]) == 1
    rest = await api.ok("GET", f"/v1/products?limit=1&cursor={first['next_cursor']}")
    assert rest["items"][0]["product_id"] != first["items"][0]["product_id"]
    status, problem = await api.call("PUT", "/v1/products/bad%20id", json={"name": "x", "price": 1})
    assert status == 422 and problem["errors"][0]["field"] == "product_id"
    status, problem = await api.call("PUT", "/v1/products/p", json={"name": "x", "price": -1})
    assert status == 422 and problem["errors"][0]["field"] == "price"


async def test_accounts_lists_the_seller(api: Api) -> None:
    page = await api.ok("GET", "/v1/accounts")
    assert page["next_cursor"] is None
    (seller,) = page["items"]
    assert seller == {
        "id": api.seller.account_id,
        "role": "seller",
        "platform_handle": "acme_official",
        "telegram_user_id": 1001,
    }


async def test_health_metrics_and_openapi(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}
    await api.voucher()
    OUTBOX_PENDING.set(3)
    text = await (await api.client.get("/metrics")).text()
    assert 'voucherbot_http_requests_total{method="POST",route="/v1/vouchers",status="201"}' in text
    assert "voucherbot_outbox_pending 3.0" in text
    assert "voucherbot_http_request_duration_seconds_bucket" in text
    doc = await (await api.client.get("/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = {
        (r.method, r.resource.canonical)
        for r in api.client.app.router.routes()  # type: ignore[union-attr]
        if r.method != "HEAD" and not r.resource.canonical.startswith("/app/")  # the Mini App
    }
    assert documented == served
    claim = doc["paths"]["/v1/vouchers/{voucher_id}/claims"]["post"]
    assert {"201", "401", "409", "422"} <= set(claim["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in claim["parameters"])


async def test_health_is_503_when_the_database_is_gone(services: Services) -> None:
    app = create_app(services, Settings(database_url="sqlite+aiosqlite:///x.db"))
    async with TestClient(TestServer(app)) as client:
        original = services.db.ping

        async def broken() -> bool:
            raise ConnectionError("database went away")

        services.db.ping = broken  # type: ignore[method-assign]
        try:
            response = await client.get("/healthz")
        finally:
            services.db.ping = original  # type: ignore[method-assign]
        assert response.status == 503
        assert (await response.json(content_type=None))["code"] == "database_unavailable"


async def test_metrics_can_be_switched_off(services: Services) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///x.db", metrics_enabled=False)
    async with TestClient(TestServer(create_app(services, settings))) as client:
        assert (await client.get("/metrics")).status == 404


async def test_telegram_webhook(services: Services) -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///x.db", webhook_secret="s3cret")
    async with TestClient(TestServer(create_app(services, settings))) as client:
        response = await client.post(
            "/telegram/webhook", json={}, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
        assert response.status == 503
        assert (await response.json(content_type=None))["code"] == "telegram_unavailable"
    seen: list[dict] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.Response(text="ok")

    app = create_app(services, settings, telegram_webhook=webhook)
    async with TestClient(TestServer(app)) as client:
        wrong = await client.post("/telegram/webhook", json={"update_id": 1})
        assert wrong.status == 403
        good = await client.post(
            "/telegram/webhook",
            json={"update_id": 2},
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
        )
        assert good.status == 200
    assert seen == [{"update_id": 2}]
