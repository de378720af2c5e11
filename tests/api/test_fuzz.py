"""Property-based fuzzing of every operation in `/openapi.json` (schemathesis, positive and
negative data): whatever arrives, the API answers without a server error, and documented
answers match their schemas. Runs against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.config import Settings
from bot.http import create_app
from bot.http.app import API_TITLE, API_VERSION, all_routes
from bot.http.openapi import build_openapi
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import NOW, draft, truncate_all

MAX_EXAMPLES = 30
# A live stream (text/event-stream, R-ev3) never ends by design: its contract is tested in
# tests/events, not by fuzzing it here.
schema = schemathesis.openapi.from_dict(
    build_openapi(all_routes(), title=API_TITLE, version=API_VERSION)
).exclude(path_regex=r"/stream$")


@dataclass
class Served:
    base_url: str
    key: str


class ServerThread:
    """The real app on a local port, in its own thread and event loop (schemathesis calls it
    synchronously)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> Served:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=60)

    async def _start(self) -> Served:
        self.db = Database(self.url)
        if self.db.dialect == "postgresql":
            await truncate_all(self.db)
        else:
            await upgrade(self.db)
        services = Services.build(self.db, FrozenClock(NOW))
        await _seed(services)
        shop_id = 1
        key = await services.api_keys.create_for_shop(shop_id)
        # Rate limits off: every generated request reaches the rules (429 is declared anyway).
        settings = Settings(
            database_url=self.url, webhook_secret="fuzz-secret", rate_limits_enabled=False
        )
        app = create_app(services, settings, telegram_webhook=_webhook)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        return Served(f"http://{host}:{port}", key.secret)

    def stop(self) -> None:
        async def stop() -> None:
            await self.runner.cleanup()
            await self.db.dispose()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


async def _webhook(request: web.Request) -> web.Response:
    """Stands in for the Telegram side of the leader process."""
    return web.Response(text="ok")


async def _seed(services: Services) -> None:
    """Ids 1 exist, so generated requests reach deep into the rules, not only 404s."""
    shop, seller = await services.shops.create("Fuzz", owner_telegram_user_id=1, handle="host")
    actor = Actor(shop_id=shop.id, role="seller", account_id=seller.id)  # type: ignore[arg-type]
    await services.products.upsert(actor, "sku-1", name="Shoe", price=2500)
    await services.vouchers.create(actor, draft(total_quantity=1_000_000, per_customer_limit=100))
    live = await services.vouchers.create(
        actor, draft(kind="live", ends_at=NOW + timedelta(days=1))
    )
    session = await services.live.start_session(actor, seller.id)
    await services.live.issue(actor, session.id, live.id, "none")  # type: ignore[arg-type]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    server = ServerThread(url)
    served = server.start()
    yield served
    server.stop()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: schemathesis.Case, served: Served) -> None:
    response = case.call(
        base_url=served.base_url, headers={"Authorization": f"Bearer {served.key}"}, timeout=30
    )
    case.validate_response(
        response,
        # R-api7: any answer the document does not declare fails (status_code_conformance).
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
