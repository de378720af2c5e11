"""R-api1: contention answers 503 `busy` with Retry-After, never 500; X-Request-Id on every
answer. The locks are real: another connection holds SQLite's write lock (BEGIN IMMEDIATE) or
a PostgreSQL row lock while the API answers."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

import storage.changes
import storage.claim_store.sqlite
import storage.db
import storage.draw_entries
from bot.config import Settings
from bot.http import create_app
from bot.http.contention import ContentionCode, contention_of
from core.clock import FrozenClock
from core.services import Services
from storage.db import Database
from tests.api.conftest import voucher_body
from tests.conftest import truncate_all

SHORT_MS = 300


@pytest.fixture
async def busy_client(
    db_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient, dict[str, str], str, Services]]:
    """An app whose database gives up on a held lock after SHORT_MS (instead of 30 s)."""
    for module in (storage.db, storage.claim_store.sqlite, storage.changes, storage.draw_entries):
        monkeypatch.setattr(module, "SQLITE_BUSY_TIMEOUT_MS", SHORT_MS)
    db = Database(db_url, lock_timeout_ms=SHORT_MS)
    if db.dialect == "postgresql":
        await truncate_all(db)
    services = Services.build(db, clock)
    shop, _ = await services.shops.create("Acme", owner_telegram_user_id=1001, handle="acme")
    key = await services.api_keys.create_for_shop(shop.id)
    client = TestClient(TestServer(create_app(services, Settings(database_url=db_url))))
    await client.start_server()
    try:
        yield client, {"Authorization": f"Bearer {key.secret}"}, db_url, services
    finally:
        await client.close()
        await db.dispose()


async def _assert_busy(client: TestClient, method: str, path: str, **kwargs: object) -> None:
    response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
    body = await response.json(content_type=None)
    assert response.status == 503, body
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "busy"
    assert body["reason"] == ContentionCode.LOCK_TIMEOUT
    assert response.headers["X-Request-Id"]


async def test_r_api1_sqlite_write_lock_answers_503_then_retry_succeeds(
    busy_client: tuple[TestClient, dict[str, str], str, Services], caplog: pytest.LogCaptureFixture
) -> None:
    client, auth, url, _ = busy_client
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    created = await client.post("/v1/vouchers", json=voucher_body(), headers=auth)
    voucher = await created.json()
    holder = sqlite3.connect(Path(url.split("///", 1)[1]), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.WARNING):
            await _assert_busy(
                client,
                "POST",
                "/v1/vouchers",
                json=voucher_body(name="Locked out"),
                headers={**auth, "X-Request-Id": "ticket-42"},
            )
            await _assert_busy(
                client,
                "POST",
                f"/v1/vouchers/{voucher['id']}/claims",
                json={"buyer_id": "b1"},
                headers=auth,
            )
        assert any(getattr(r, "request_id", None) == "ticket-42" for r in caplog.records)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = await client.post("/v1/vouchers", json=voucher_body(name="Locked out"), headers=auth)
    assert again.status == 201


@pytest.mark.postgres
async def test_r_api1_postgres_row_lock_timeout_answers_503(
    busy_client: tuple[TestClient, dict[str, str], str, Services],
) -> None:
    client, auth, url, _ = busy_client
    if not url.startswith("postgresql"):
        pytest.skip("a PostgreSQL row lock")
    created = await client.post("/v1/vouchers", json=voucher_body(), headers=auth)
    voucher = await created.json()
    holder = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT id FROM voucher WHERE id = $1 FOR UPDATE", voucher["id"])
        await _assert_busy(
            client,
            "PATCH",
            f"/v1/vouchers/{voucher['id']}",
            json={"total_quantity": 150},
            headers=auth,
        )
        await tx.rollback()
    finally:
        await holder.close()
    again = await client.patch(
        f"/v1/vouchers/{voucher['id']}", json={"total_quantity": 150}, headers=auth
    )
    assert again.status == 200


def test_r_api1_contention_is_recognised_along_the_chain() -> None:
    from sqlalchemy import exc as sa_exc

    locked = sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert contention_of(locked) is ContentionCode.LOCK_TIMEOUT
    assert contention_of(asyncpg.exceptions.SerializationError("x")) is (
        ContentionCode.SERIALIZATION_FAILURE
    )
    assert contention_of(asyncpg.exceptions.DeadlockDetectedError("x")) is ContentionCode.DEADLOCK
    assert contention_of(sa_exc.TimeoutError("QueuePool limit")) is ContentionCode.POOL_EXHAUSTED
    assert contention_of(sqlite3.OperationalError("no such table: x")) is None
    assert contention_of(ValueError("database is locked")) is None


async def test_r_api1_request_id_echoed_when_valid_else_made(
    busy_client: tuple[TestClient, dict[str, str], str, Services],
) -> None:
    client, auth, _, _ = busy_client
    mine = await client.get("/v1/vouchers", headers={**auth, "X-Request-Id": "abc-123"})
    assert mine.headers["X-Request-Id"] == "abc-123"
    bad = await client.get("/v1/vouchers", headers={**auth, "X-Request-Id": "no spaces ✗"})
    assert bad.headers["X-Request-Id"].startswith("req_")
    for response in (
        await client.get("/healthz"),
        await client.get("/v1/nothing-here", headers=auth),
        await client.get("/v1/vouchers"),  # 401
    ):
        assert response.headers["X-Request-Id"].startswith("req_"), response.status
