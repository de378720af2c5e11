"""R-run1: stopping finishes in-flight work: a request being answered when the stop comes
gets its whole answer before the process lets go of the database."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.http.app import create_app
from bot.runtime import ROLE_API_ONLY, Runtime
from core.services import Services
from tests.support.waiting import eventually

DEADLINE = 20.0


async def test_r_run1_stop_lets_the_request_in_flight_finish(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.json_response({"finished": True})

    def app_factory(services: Services, settings: Settings, **kwargs: Any) -> web.Application:
        app = create_app(services, settings, **kwargs)
        app.router.add_get("/slow", slow)
        return app

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'voucherbot.db'}",
        http_port=0,
        scheduler_enabled=False,
        metrics_enabled=False,
    )
    runtime = Runtime(settings, interactive=False, app_factory=app_factory)
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    await runtime.wait_for_role(ROLE_API_ONLY, DEADLINE)

    async with aiohttp.ClientSession() as http:
        request = asyncio.create_task(http.get(f"http://127.0.0.1:{runtime.http_port}/slow"))
        await asyncio.wait_for(entered.wait(), DEADLINE)
        stop.set()
        # The stop has begun while the request is held.
        await eventually(lambda: "shutting down" in caplog.text, "the stop", within=DEADLINE)
        assert not running.done()
        release.set()
        response = await asyncio.wait_for(request, DEADLINE)
        assert response.status == 200
        assert await response.json() == {"finished": True}
    await asyncio.wait_for(running, DEADLINE)
