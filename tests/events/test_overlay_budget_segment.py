"""R-ev4 with R-budget and R-seg: the stream's snapshot and `voucher.*` data carry a voucher's
segment and budget left; the overlay page says them in the shop's language (in a real browser
too), and the live panel shows them (R-live5)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.http.routes_overlay import render_page
from bot.i18n import speaking
from bot.telegram.live_panel import render
from core.rules.live import Task, TaskType
from core.rules.roles import Actor
from core.services import Services
from core.services.live_panel import PanelDistribution, PanelView
from tests.conftest import draft
from tests.events.test_overlay_browser import ARGS, CHROMIUM, _free_port, _service


async def test_r_ev4_snapshot_carries_segment_and_budget_left(
    services: Services, seller: Actor
) -> None:
    now = services.clock.now()
    v = await services.vouchers.create(
        seller,
        draft(
            kind="live",
            segment="repeat_customers",
            budget=2_000,
            starts_at=now,
            ends_at=now + timedelta(days=1),
        ),
    )
    plain = await services.vouchers.create(
        seller, draft(kind="live", name="Plain", starts_at=now, ends_at=now + timedelta(days=1))
    )
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "none")
    await services.live.issue(seller, s.id, plain.id, "none")
    snap = await services.streams.snapshot(seller, s.id)
    by_id = {c["voucher"]["id"]: c["voucher"] for c in snap.distributions}
    assert (by_id[v.id]["segment"], by_id[v.id]["budget_left"]) == ("repeat_customers", 2_000)
    assert (by_id[plain.id]["segment"], by_id[plain.id]["budget_left"]) == ("all", None)


def test_r_ev4_overlay_page_words_come_from_the_catalogs() -> None:
    indonesian = render_page("t", "id")
    assert "Sisa anggaran: {left}" in indonesian and "Hanya untuk: {segment}" in indonesian
    assert "pembeli setia" in indonesian and "Budget left" not in indonesian
    english = render_page("t", "en")
    assert "Budget left: {left}" in english and "repeat customers" in english


def _panel(segment: str, budget_left: int | None) -> PanelView:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    row = PanelDistribution(
        9, 12, "LIVE 10%", Task(TaskType.NONE, None), 3, 97, 100, None, None, segment, budget_left
    )
    return PanelView(
        1, 1, 1, "seller", 7, "IDR", "Asia/Jakarta", now, None, now, distributions=(row,)
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Only for: repeat customers", "Budget left: Rp")),
        ("id", ("Hanya untuk: pembeli setia", "Sisa anggaran: Rp")),
    ],
)
def test_r_live5_panel_shows_segment_and_budget_left(language: str, words: tuple[str, ...]) -> None:
    with speaking(language):
        text, _ = render(_panel("repeat_customers", 1_500_000))
        plain, _ = render(_panel("all", None))
    for w in words:
        assert w in text
    assert words[0].split(":")[0] not in plain and words[1].split(":")[0] not in plain


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Debian Chromium")
async def test_r_ev4_overlay_shows_budget_left_and_segment_in_a_browser(
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
                shop, account = await services.shops.create(
                    "Acme", owner_telegram_user_id=7, currency="USD"
                )
                seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
                now = services.clock.now()
                v = await services.vouchers.create(
                    seller,
                    draft(
                        kind="live",
                        name="Loyal",
                        segment="repeat_customers",
                        budget=1_000,
                        starts_at=now,
                        ends_at=now + timedelta(days=1),
                    ),
                )
                session = await services.live.start_session(seller)
                token = await services.streams.overlay_token(seller)
                await page.goto(f"http://127.0.0.1:{port}/overlay/{token}")
                await page.wait_for_selector("#overlay[data-state=live]", timeout=5000)
                await services.live.issue(seller, session.id, v.id, "none")
                await page.wait_for_selector(".card >> text=Loyal", timeout=3000)
                segment = await page.locator(".card .segment").inner_text()
                budget = await page.locator(".card .budget").inner_text()
                assert segment == "Only for: repeat customers"
                assert budget.startswith("Budget left: ") and "10.00" in budget
        finally:
            await browser.close()
