"""The claim writer's tests run on a SQLite file only: its group commit is SQLite's."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from tests.conftest import NOW


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    yield database
    await database.dispose()


@pytest.fixture
def sqlite_services(sqlite_db: Database) -> Services:
    return Services.build(sqlite_db, FrozenClock(NOW))


@pytest.fixture
async def shop_seller(sqlite_services: Services) -> Actor:
    shop, account = await sqlite_services.shops.create("Perf shop")
    return Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
