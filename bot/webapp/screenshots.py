"""`python -m bot.webapp.screenshots [OUT_DIR]`: the dashboard's screenshots for
docs/dashboard.md (light and dark, English and Indonesian), taken in Debian's Chromium at
360 px from a demo shop (bot/webapp/demo_shop.py) in a throwaway SQLite database.

Nothing reaches the internet: the service runs on 127.0.0.1 and the page loads nothing else."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.http.app import create_app
from bot.webapp.demo_shop import SELLER_ID, seed
from bot.webapp.harness import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, telegram_stub
from bot.webapp.initdata import sign
from core.clock import FrozenClock
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade

TOKEN = "123456:screenshots-only"
NOW = datetime(2026, 6, 8, 13, 30, tzinfo=UTC)
OUT = Path("docs/dashboard")
# (file name, view path, language, scheme); a path that is not a tab is opened from the list
SHOTS: tuple[tuple[str, str, str, Literal["light", "dark"]], ...] = (
    ("vouchers-en-light.png", "/app/v/vouchers", "en", "light"),
    ("vouchers-en-dark.png", "/app/v/vouchers", "en", "dark"),
    ("vouchers-id-light.png", "/app/v/vouchers", "id", "light"),
    ("vouchers-id-dark.png", "/app/v/vouchers", "id", "dark"),
    ("new-en-light.png", "/app/v/new", "en", "light"),
    ("new-targeting-id-light.png", "/app/v/new", "id", "light"),
    ("voucher-en-light.png", "/app/v/voucher/4", "en", "light"),
    ("voucher-id-dark.png", "/app/v/voucher/4", "id", "dark"),
    ("live-id-dark.png", "/app/v/live", "id", "dark"),
    ("stats-en-light.png", "/app/v/stats", "en", "light"),
    ("stats-id-dark.png", "/app/v/stats", "id", "dark"),
)


async def take(out: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/shots.db")
        await upgrade(db)
        clock = FrozenClock(NOW)
        services = Services.build(db, clock)
        await seed(services, clock, NOW)
        settings = Settings(_env_file=None, telegram_bot_token=TOKEN)
        server = TestServer(create_app(services, settings), host="127.0.0.1")
        await server.start_server()
        written = []
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, path, language, scheme in SHOTS:
                    user = {"id": SELLER_ID, "first_name": "Sally", "language_code": language}
                    init_data = sign(user, TOKEN, clock.now())
                    context = await browser.new_context(
                        viewport=VIEWPORT,
                        color_scheme=scheme,
                        device_scale_factor=1,
                    )
                    page = await context.new_page()
                    await page.add_init_script(telegram_stub(init_data, scheme))
                    await page.goto(str(server.make_url("/app/")))
                    await page.wait_for_selector("#view[data-view='vouchers']")
                    if path != "/app/v/vouchers":
                        await page.click(f"[data-get='{path}']")
                        view = path.split("/")[3]
                        await page.wait_for_selector(f"#view[data-view='{view}']")
                    if name.startswith("new-targeting"):  # the targeting questions (R-seg…)
                        await page.evaluate(
                            "document.getElementById('f-segment').closest('.field')"
                            ".scrollIntoView({block: 'start'})"
                        )
                    target = out / name
                    await page.screenshot(path=str(target), full_page=False)
                    written.append(target)
                    await context.close()
                await browser.close()
        finally:
            await server.close()
            await db.dispose()
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
