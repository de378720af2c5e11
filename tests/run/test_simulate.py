"""`voucherbot simulate`: its own shop in any currency (names and figures in the shop's
money), and an existing shop only when the operator confirms, never taking over a live
session. Runs against the real HTTP API in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from sqlmodel import select

from bot.cli import build_parser
from bot.config import Settings
from bot.http.app import create_app
from bot.simulate import PRODUCTS, run_simulation
from bot.startup import open_database
from core.clock import SystemClock
from core.money import minor_digits
from core.rules.roles import Actor, Role
from core.services import Services
from storage.models import Product, Shop, Voucher


@dataclass
class Service:
    settings: Settings
    services: Services
    base_url: str


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'voucherbot.db'}",
        http_port=0,
        metrics_enabled=False,
        default_currency="USD",
    )
    db = await open_database(settings.database_url)
    services = Services.build(db, SystemClock())
    runner = web.AppRunner(create_app(services, settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Service(settings, services, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
        await db.dispose()


def simulate_args(service: Service, *extra: str) -> list[str]:
    return [
        "simulate",
        "--base-url",
        service.base_url,
        "--viewers",
        "4",
        "--duration",
        "0.5",
        "--rate",
        "1000",
        "--seed",
        "7",
        *extra,
    ]


async def vouchers_and_products(service: Service) -> tuple[list[Voucher], list[Product]]:
    async with service.services.db.read() as session:
        vouchers = list((await session.execute(select(Voucher))).scalars())
        products = list((await session.execute(select(Product))).scalars())
    return vouchers, products


async def test_simulate_makes_its_own_idr_shop_and_names_vouchers_in_rupiah(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    seller_shop, _ = await service.services.shops.create("Real seller", currency="USD")
    args = build_parser().parse_args(simulate_args(service, "--currency", "IDR"))
    assert await run_simulation(args, service.settings, ask=lambda q: "n") == 0
    out = capsys.readouterr().out

    vouchers, products = await vouchers_and_products(service)
    async with service.services.db.read() as session:
        shops = {s.id: s for s in (await session.execute(select(Shop))).scalars()}
    sim_shop = next(s for s in shops.values() if s.id != seller_shop.id)
    assert sim_shop.currency == "IDR"
    assert {v.shop_id for v in vouchers} == {sim_shop.id}  # the seller's shop is untouched
    assert len(vouchers) == 3
    for voucher in vouchers:
        assert "Rp" in voucher.name and "$" not in voucher.name, voucher.name
    assert any(v.name == "Sim: Rp30.000 off Rp200.000" for v in vouchers)
    # Amounts scale with the currency's minor units: a T-shirt is Rp150.000.
    scale = 10 ** minor_digits("IDR")
    prices = {p.product_id: p.price for p in products}
    assert prices["sim-tee"] == 150_000 * scale
    assert len(prices) == len(PRODUCTS)
    assert "Rp" in out.split("=== simulation summary ===")[1]
    assert "$" not in out


async def test_simulate_in_an_existing_shop_asks_first(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    shop, _ = await service.services.shops.create("Real seller", currency="EUR")
    key = await service.services.api_keys.create_for_shop(shop.id)
    args = build_parser().parse_args(simulate_args(service, "--api-key", key.secret))

    questions: list[str] = []
    assert (
        await run_simulation(args, service.settings, ask=lambda q: questions.append(q) or "n") == 1
    )
    assert "EUR" in questions[0] and "Continue?" in questions[0]
    assert await vouchers_and_products(service) == ([], [])  # nothing was changed

    assert await run_simulation(args, service.settings, ask=None) == 2  # no terminal, no --yes
    assert "--yes" in capsys.readouterr().out
    assert await vouchers_and_products(service) == ([], [])

    assert await run_simulation(args, service.settings, ask=lambda q: "y") == 0
    vouchers, _ = await vouchers_and_products(service)
    assert all("€" in v.name for v in vouchers)


async def test_simulate_never_takes_over_a_live_session(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    shop, seller = await service.services.shops.create("Real seller", currency="USD")
    key = await service.services.api_keys.create_for_shop(shop.id)
    actor = Actor(shop_id=shop.id, account_id=seller.id, role=Role.SELLER)
    live = await service.services.live.start_session(actor)
    args = build_parser().parse_args(simulate_args(service, "--api-key", key.secret, "--yes"))

    assert await run_simulation(args, service.settings) == 1
    assert "live right now" in capsys.readouterr().out
    assert await vouchers_and_products(service) == ([], [])
    sessions = await service.services.live.list_sessions(actor, active=True)
    assert [s.id for s in sessions] == [live.id]  # still the seller's, still running


def test_every_simulate_option_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    simulate = sub.choices["simulate"]  # type: ignore[index]
    for action in simulate._actions:
        assert action.help, action.dest
