"""R-api6: rate limits per API key and route class, counted across processes (two apps on one
database stand for two processes), 429 with Retry-After and the RateLimit headers."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.http import create_app
from bot.http.rate_limits import RateClass, RateLimiter
from core.services.rate_windows import RateWindowService
from tests.api.conftest import Api, voucher_body


def _small(**quotas: int) -> Settings:
    return Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        rate_limit_writes_per_minute=quotas.get("writes", 1_200),
        rate_limit_reads_per_minute=quotas.get("reads", 6_000),
        rate_limit_viewers_per_minute=quotas.get("viewers", 300_000),
    )


async def _client(api: Api, settings: Settings) -> TestClient:
    client = TestClient(TestServer(create_app(api.services, settings)))
    await client.start_server()
    return client


async def test_r_api6_writes_limited_across_processes_with_headers(api: Api) -> None:
    one, two = await _client(api, _small(writes=30)), await _client(api, _small(writes=30))
    try:
        statuses = []
        for n in range(40):
            client = (one, two)[n % 2]
            response = await client.put(
                f"/v1/products/p{n}", json={"name": "Tea", "price": 1}, headers=api.auth
            )
            statuses.append(response.status)
            if response.status == 200:
                assert response.headers["RateLimit-Policy"] == '"writes";q=30;w=60'
                assert response.headers["RateLimit"].startswith('"writes";r=')
        assert statuses.count(200) <= 30  # never more than the quota, whichever process
        assert statuses.count(200) >= 20  # and shares lost to the other process stay small
        refused = await one.put("/v1/products/x", json={"name": "T", "price": 1}, headers=api.auth)
        problem = await refused.json()
        assert (refused.status, problem["code"], problem["limit"]) == (429, "rate_limited", 30)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["RateLimit"].startswith('"writes";r=0;t=')
        # Another class has its own quota: reads and claims still pass.
        assert (await one.get("/v1/products", headers=api.auth)).status == 200
        voucher = await api.services.vouchers.create(api.seller, _draft())
        claim = await one.post(
            f"/v1/vouchers/{voucher.id}/claims", json={"buyer_id": "b1"}, headers=api.auth
        )
        assert claim.status == 201
        # Far from its quota, the claim path's class does not spend time on the headers.
        assert "RateLimit" not in claim.headers
    finally:
        await one.close()
        await two.close()


def _draft():  # type: ignore[no-untyped-def]
    from tests.conftest import draft

    return draft()


async def test_r_api6_quota_is_exact_under_concurrency(api: Api) -> None:
    clock = [1_000_000.0]
    limiters = [
        RateLimiter(
            RateWindowService(api.services.db, api.services.clock),
            {RateClass.VIEWERS: 250},
            wall=lambda: clock[0],
        )
        for _ in range(3)
    ]
    verdicts = await asyncio.gather(
        *(limiters[n % 3].take("k1", RateClass.VIEWERS) for n in range(400))
    )
    allowed = sum(v.allowed for v in verdicts)
    assert 200 <= allowed <= 250
    refused = next(v for v in verdicts if not v.allowed)
    assert refused.told and refused.headers()["RateLimit"].startswith('"viewers";r=0;')
    clock[0] += 60  # the next window starts over
    fresh = await limiters[0].take("k1", RateClass.VIEWERS)
    assert fresh.allowed and not fresh.told


async def test_r_api6_defaults_documented(api: Api) -> None:
    settings = Settings()
    assert (
        settings.rate_limit_viewers_per_minute,
        settings.rate_limit_writes_per_minute,
        settings.rate_limit_reads_per_minute,
    ) == (300_000, 1_200, 6_000)
    response = await api.client.post("/v1/vouchers", json=voucher_body(), headers=api.auth)
    assert response.headers["RateLimit-Policy"] == '"writes";q=1200;w=60'
