"""R-ev4 the overlay in a real browser: headless Chromium (the distribution's package) driven by
Playwright shows a distribution within 1 s of its commit, marks its figures stale while the
service is down, and recovers by itself after a restart."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.config import Settings
from bot.http import create_app
from core.clock import SystemClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from tests.conftest import draft

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian Chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _service(url: str, port: int) -> AsyncIterator[Services]:
    """One process of the service: its database engine, services and HTTP API."""
    db = Database(url)
    services = Services.build(db, SystemClock())
    settings = Settings(database_url=url, metrics_enabled=False)
    runner = web.AppRunner(create_app(services, settings), shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield services
    finally:
        await runner.cleanup()
        await db.dispose()


async def _live_voucher(services: Services, seller: Actor, name: str) -> int:
    now = services.clock.now()
    v = await services.vouchers.create(
        seller, draft(kind="live", name=name, starts_at=now, ends_at=now + timedelta(days=1))
    )
    return v.id


async def test_r_ev4_overlay_shows_a_distribution_within_1s_and_recovers_after_a_restart(
    tmp_path: Path, sqlite_template: Path
) -> None:
    from playwright.async_api import async_playwright

    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    url, port = f"sqlite+aiosqlite:///{path}", _free_port()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 720})
            async with _service(url, port) as services:
                shop, account = await services.shops.create("Acme", owner_telegram_user_id=7)
                seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
                first = await _live_voucher(services, seller, "Flash 10%")
                second = await _live_voucher(services, seller, "After the break")
                session = await services.live.start_session(seller)
                token = await services.streams.overlay_token(seller)
                await page.goto(f"http://127.0.0.1:{port}/overlay/{token}")
                await page.wait_for_selector("#overlay[data-state=live]", timeout=5000)
                started = time.monotonic()
                await services.live.issue(seller, session.id, first, "none")
                await page.wait_for_selector(".card >> text=Flash 10%", timeout=1000)
                assert time.monotonic() - started <= 1.0
                assert await page.locator(".card .cta").first.inner_text() != ""
            # The service is down: the card stays, marked stale after 5 s.
            await page.wait_for_selector("#overlay[data-state=stale]", timeout=10000)
            assert await page.locator(".card.stale").count() == 1
            async with _service(url, port) as services:  # restarted
                await page.wait_for_selector("#overlay[data-state=live]", timeout=15000)
                await services.live.issue(seller, session.id, second, "none")
                await page.wait_for_selector(".card >> text=After the break", timeout=3000)
                assert await page.locator(".card").count() == 2
                assert await page.locator(".card.stale").count() == 0
            await page.set_viewport_size({"width": 720, "height": 1280})  # portrait
            transparent = await page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert transparent in ("rgba(0, 0, 0, 0)", "transparent")
        finally:
            await browser.close()
