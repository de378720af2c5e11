"""Fixtures: every storage-backed test runs on SQLite and on PostgreSQL.

The schema comes from the Alembic migrations (not `create_all`), built once per run: a
migrated SQLite file copied per test, and one migrated PostgreSQL database truncated per test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from core.clock import FrozenClock
from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade
from storage.resources import Resources
from tests.support.postgres import ThrowawayPostgres, pg_bindir

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# Tests never reach the internet: processes a test starts make seed-only lucky draws unless
# the test gives them a local drand stand-in (tests/support/drand_standin.py).
os.environ["DRAND_URLS"] = "off"
PG_ENV = "VOUCHERBOT_TEST_PG_URL"


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await upgrade(db)
        await db.dispose()

    _run(build())
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get(PG_ENV)
    if url:
        _run(_migrate(url))
        yield url
        return
    if pg_bindir() is None:
        reason = f"PostgreSQL tests SKIPPED: no PostgreSQL binaries and {PG_ENV} is not set"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(f"\n!!! {reason} !!!")
        pytest.skip(reason)
    server = ThrowawayPostgres()
    url = server.start()
    try:
        _run(_migrate(url))
        yield url
    finally:
        server.stop()


async def _migrate(url: str) -> None:
    db = Database(url)
    await upgrade(db)
    await db.dispose()


async def truncate_all(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    async with db.write() as session:
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "voucherbot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    if database.dialect == "postgresql":
        await truncate_all(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def services(db: Database, clock: FrozenClock) -> AsyncIterator[Services]:
    """The services over resources the test owns, as the composition root does: built once,
    closed (the last built first) before the database."""
    resources = Resources.build(db)
    try:
        yield Services.build(db, clock, resources=resources)
    finally:
        await resources.close()


@pytest.fixture
async def seller(services: Services) -> Actor:
    """A shop whose seller is Telegram user 1001."""
    shop, account = await services.shops.create(
        "Acme", owner_telegram_user_id=1001, owner_name="Sally", handle="acme_official"
    )
    return Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]


@pytest.fixture
def platform(seller: Actor) -> Actor:
    return Actor.platform(seller.shop_id)


def draft(**overrides: object) -> VoucherDraft:
    """A valid Regular, amount-off, shop-wide voucher claimable now; override what a test needs."""
    values: dict[str, object] = {
        "name": "Spring $5 off",
        "kind": "regular",
        "discount_type": "amount",
        "amount": 500,
        "min_spend": 2000,
        "total_quantity": 100,
        "per_customer_limit": 1,
        "starts_at": NOW,
        "ends_at": NOW + timedelta(days=7),
    }
    values.update(overrides)
    return VoucherDraft(**values)  # type: ignore[arg-type]


def percent_draft(**overrides: object) -> VoucherDraft:
    base: dict[str, object] = {
        "discount_type": "percent",
        "amount": None,
        "percent": 20,
        "max_discount": 1000,
        "min_spend": 0,
    }
    base.update(overrides)
    return draft(**base)
