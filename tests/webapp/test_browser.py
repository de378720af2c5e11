"""R-app3: the Mini App in a real browser — Debian's Chromium driven by Playwright, with
Telegram's WebApp object stubbed to hand the page a signed (or forged, or stale) initData.

Select them with `-m browser`. Without /usr/bin/chromium they are skipped with a loud reason
on a developer machine, and fail in CI (where `.ci/run` installs the package)."""

from __future__ import annotations

import gzip
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.http.app import create_app
from bot.webapp.harness import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, telegram_stub
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person
from tests.conftest import draft, percent_draft
from tests.webapp.conftest import (
    BOT_TOKEN,
    HOST_ID,
    SELLER_ID,
    STRANGER_ID,
    init_data,
    webapp_settings,
)

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(
        f"!!! BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium); "
        "CI never skips them !!!",
        allow_module_level=True,
    )

pytestmark = pytest.mark.browser
FIRST_LOAD_LIMIT = 300 * 1024  # bytes, compressed (R-app2)
FIRST_PAINT_LIMIT_MS = 1000


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def serve(services: Services, token: str = BOT_TOKEN) -> TestServer:
    server = TestServer(create_app(services, webapp_settings(token)), host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def server(services: Services) -> AsyncIterator[TestServer]:
    s = await serve(services)
    yield s
    await s.close()


async def open_app(
    chromium: Any,
    server: TestServer,
    data: str,
    *,
    scheme: str = "light",
    log: list[Any] | None = None,
) -> Any:
    context = await chromium.new_context(viewport=VIEWPORT, color_scheme=scheme, has_touch=True)
    page = await context.new_page()
    if log is not None:
        page.on("response", lambda response: log.append(response))
    await page.add_init_script(telegram_stub(data, scheme))
    await page.goto(str(server.make_url("/app/")))
    await page.wait_for_selector("#view:not([data-view='loading'])")
    return page


def signed(services: Services, user_id: int, **kwargs: Any) -> str:
    return init_data(user_id, services.clock.now(), **kwargs)


async def view(page: Any, name: str) -> None:
    await page.wait_for_selector(f"#view[data-view='{name}']")


async def test_r_app3_seller_sees_quota_bars_adds_and_deactivates_small_and_fast(
    chromium: Any, server: TestServer, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Spring deal"))
    await services.vouchers.create(seller, percent_draft(name="Flash", kind="live"))
    responses: list[Any] = []
    page = await open_app(chromium, server, signed(services, SELLER_ID), log=responses)
    await view(page, "vouchers")
    assert await page.locator("progress.quota").count() == 2
    assert await page.get_by_role("button", name="New voucher").is_visible()
    # R-app2: no external resources, ≤ 300 KB compressed on first load, first paint < 1 s.
    origin = str(server.make_url("/"))
    assert all(r.url.startswith(origin) for r in responses), [r.url for r in responses]
    compressed = 0
    for r in responses:
        compressed += len(gzip.compress(await r.body()))
    assert compressed <= FIRST_LOAD_LIMIT, compressed
    paint = await page.evaluate(
        "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0]"
    )
    assert paint is not None and paint < FIRST_PAINT_LIMIT_MS, paint

    await page.get_by_role("button", name="Spring deal").click()
    await view(page, "voucher")
    await page.get_by_label("➕ Add quantity").fill("50")
    await page.get_by_role("button", name="➕ Add quantity").click()
    await page.wait_for_selector("text=150 in total")
    await page.get_by_role("button", name="⛔ Deactivate").click()
    await page.get_by_role("button", name="⛔ Yes, deactivate").click()
    await page.wait_for_selector("text=is deactivated")
    [v] = [x for x in await services.vouchers.list(seller) if x.name == "Spring deal"]
    assert (v.total_quantity, v.status) == (150, "deactivated")


async def test_r_app3_host_view_reads_and_issues_but_cannot_manage(
    chromium: Any, server: TestServer, services: Services, seller: Actor, host: Actor
) -> None:
    flash = await services.vouchers.create(seller, percent_draft(name="Flash", kind="live"))
    await services.live.start_session(host)
    page = await open_app(chromium, server, signed(services, HOST_ID, name="Hana"))
    await view(page, "vouchers")
    assert await page.get_by_role("button", name="New voucher").count() == 0
    await page.get_by_role("button", name="Flash").click()
    await view(page, "voucher")
    assert await page.get_by_role("button", name="⛔ Deactivate").count() == 0
    assert await page.get_by_label("➕ Add quantity").count() == 0
    await page.get_by_role("button", name="Live now").click()
    await view(page, "live")
    await page.get_by_label("Watch", exact=True).check()
    await page.get_by_label("The watch time in minutes").fill("3")
    await page.locator("form[data-post='/app/a/issue'] button[type=submit]").click()
    await page.wait_for_selector("text=Issued")
    [d] = await services.live.distributions(seller)
    assert (d.voucher_id, d.task.minutes) == (flash.id, 3)


async def test_r_app3_stranger_view(chromium: Any, server: TestServer, services: Services) -> None:
    page = await open_app(chromium, server, signed(services, STRANGER_ID, name="Stan"))
    await page.wait_for_selector("#view[data-code='not_member']")
    assert "not part of a shop" in await page.inner_text("#view")
    assert await page.locator("nav").count() == 0


@pytest.mark.parametrize(
    ("how", "code"), [("forged", "init_data_forged"), ("stale", "init_data_stale")]
)
async def test_r_app3_forged_and_stale_init_data_are_refused(
    chromium: Any, server: TestServer, services: Services, seller: Actor, how: str, code: str
) -> None:
    await services.vouchers.create(seller, draft(name="Secret deal"))
    now = services.clock.now()
    data = (
        init_data(SELLER_ID, now, token="42:someone-elses-bot")
        if how == "forged"
        else init_data(SELLER_ID, now - timedelta(hours=1, minutes=1))
    )
    page = await open_app(chromium, server, data)
    await page.wait_for_selector(f"#view[data-code='{code}']")
    text = await page.inner_text("#view")
    assert "menu button" in text and "Secret deal" not in text


async def test_r_app3_voucher_created_in_the_page_is_in_the_bots_vouchers(
    chromium: Any, rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    server = await serve(services, token=rig.standin.token)
    try:
        page = await open_app(
            chromium, server, signed(services, SELLER_ID, token=rig.standin.token)
        )
        await page.get_by_role("button", name="New voucher").click()
        await view(page, "new")
        # The form asks what the choices call for (percentage → maximum discount).
        assert not await page.get_by_label("The percentage").is_visible()
        await page.get_by_label("Percentage off").check()
        assert await page.get_by_label("The maximum discount per order").is_visible()
        await page.get_by_label("Amount off").check()
        await page.get_by_label("The discount (USD)", exact=True).fill("5")
        await page.get_by_label("Minimum spend").fill("20")
        await page.get_by_label("Ends").fill("2026-06-08T12:00")
        await page.get_by_label("Name").fill("Page deal")
        await page.get_by_role("button", name="Check your voucher").click()
        await page.wait_for_selector("text=Estimated spend")
        await page.get_by_role("button", name="✅ Submit").click()
        await page.wait_for_selector("text=Voucher created")
    finally:
        await server.close()
    listed = await sally.say("/vouchers")
    assert "Page deal" in (listed.content.plain_text or "")


async def test_r_app3_targeted_voucher_made_in_the_page_is_in_the_bots_voucher(
    chromium: Any, rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    """R-seg, R-budget, R-code, R-redeem through the page: a segment chosen from its meanings,
    a budget typed as money, a generated code, uses allowed; the budget raised from the
    details; the bot's /voucher shows the same voucher."""
    server = await serve(services, token=rig.standin.token)
    try:
        page = await open_app(
            chromium, server, signed(services, SELLER_ID, token=rig.standin.token)
        )
        await page.get_by_role("button", name="New voucher").click()
        await view(page, "new")
        await page.get_by_label("The discount (USD)", exact=True).fill("5")
        await page.get_by_label("Minimum spend").fill("20")
        await page.get_by_label("Ends").fill("2026-06-08T12:00")
        await page.get_by_label("Name").fill("Regulars deal")
        segment = page.get_by_label("Who can claim it")
        await segment.select_option("repeat_customers")
        meaning = "Buyers who ordered from your shop in the last 30 days."
        assert meaning in await segment.inner_text()
        assert await page.inner_text("#f-segment-hint") == meaning  # the chosen one, in full
        await page.get_by_label("Budget (USD)").fill("40")
        await page.get_by_label("Uses allowed").fill("25")
        # A LIVE voucher has no promo code: the field goes away, and comes back for Regular.
        await page.get_by_label("LIVE", exact=True).check()
        assert not await page.get_by_label("Promo code", exact=True).is_visible()
        await page.get_by_label("Regular", exact=True).check()
        await page.get_by_label("Make up a code for me").check()
        await page.get_by_role("button", name="Check your voucher").click()
        await page.wait_for_selector("text=Estimated spend")
        card = await page.inner_text(".card")
        code = card.split("Promo code: ", 1)[1].split()[0]
        assert len(code) == 8 and "Only for: repeat customers" in card
        await page.get_by_role("button", name="✅ Submit").click()
        await page.wait_for_selector("text=Voucher created")
        await page.get_by_label("New budget (USD)").fill("80")
        await page.get_by_role("button", name="💰 Raise budget").click()
        await page.wait_for_selector("text=is now $80.00")
    finally:
        await server.close()
    [v] = await services.vouchers.list(seller)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == (
        "repeat_customers",
        8_000,
        code,
        25,
    )
    shown = (await sally.say(f"/voucher {v.id}")).content.plain_text or ""
    assert "Regulars deal" in shown and f"Promo code: {code}" in shown
    assert "Only for: repeat customers" in shown and "Uses allowed: 25" in shown
    assert "of $80.00 left" in shown


async def test_r_app3_dark_theme(
    chromium: Any, server: TestServer, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft())
    page = await open_app(chromium, server, signed(services, SELLER_ID), scheme="dark")
    await view(page, "vouchers")
    assert await page.get_attribute("html", "data-scheme") == "dark"
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = await page.evaluate("getComputedStyle(document.body).color")
    assert (background, text) == ("rgb(33, 33, 33)", "rgb(255, 255, 255)")


async def test_r_app3_indonesian(
    chromium: Any, server: TestServer, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft())
    page = await open_app(chromium, server, signed(services, SELLER_ID, language="id"))
    await view(page, "vouchers")
    assert await page.get_attribute("html", "lang") == "id"
    assert await page.get_by_role("button", name="Voucher baru").is_visible()
    await page.get_by_role("button", name="Voucher baru").click()
    await view(page, "new")
    assert await page.get_by_label("Minimum belanja").count() == 1


CONTROLS = ("button", "textbox", "combobox", "radio", "checkbox", "link", "progressbar", "img")


def unlabeled(snapshot: str) -> list[str]:
    """Lines of an ARIA snapshot naming a control without an accessible name."""
    bad = []
    for line in snapshot.splitlines():
        item = line.strip().removeprefix("- ").lstrip("'")
        role = item.split(" ", 1)[0].strip("':")
        if role in CONTROLS and not item[len(role) :].lstrip().startswith('"'):
            bad.append(line)
    return bad


async def test_r_app3_accessibility_no_unlabeled_controls(
    chromium: Any, server: TestServer, services: Services, seller: Actor
) -> None:
    # With a budget, so the details offer Raise budget (R-budget) to be checked too.
    spring = await services.vouchers.create(seller, draft(name="Spring deal", budget=5_000))
    await services.vouchers.create(seller, percent_draft(name="Flash", kind="live"))
    await services.live.start_session(seller)
    page = await open_app(chromium, server, signed(services, SELLER_ID))
    await view(page, "vouchers")
    snapshots = {"vouchers": await page.locator("#app").aria_snapshot()}
    for name, go in (
        ("voucher", "Spring deal"),
        ("voucher-stats", f"/app/v/stats/{spring.id}"),
        ("new", "New voucher"),
        ("live", "Live now"),
        ("stats", "📊 Stats"),
    ):
        if go.startswith("/"):
            await page.locator(f"[data-get='{go}']").click()
        else:
            await page.get_by_role("button", name=go).first.click()
        await view(page, name)
        snapshots[name] = await page.locator("#app").aria_snapshot()
    for name, snapshot in snapshots.items():
        assert unlabeled(snapshot) == [], (name, snapshot)
    assert "progressbar" in snapshots["vouchers"] and "img" in snapshots["stats"]
    assert 'combobox "Vouchers"' in snapshots["live"]
    assert 'combobox "Who can claim it"' in snapshots["new"]
    assert 'checkbox "Make up a code for me"' in snapshots["new"]
    assert 'textbox "New budget (USD)"' in snapshots["voucher"]


def test_r_app3_the_accessibility_check_can_fail() -> None:
    snapshot = (
        '- main:\n  - textbox\n  - button "Save"\n  - \'button\'\n  - progressbar "3/10 left"'
    )
    assert unlabeled(snapshot) == ["  - textbox", "  - 'button'"]
