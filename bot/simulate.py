"""`voucherbot simulate`: plays the livestream platform against a running service's HTTP API.

It syncs a small catalog, creates a Regular voucher and two LIVE vouchers, starts a live
session for an account, issues the LIVE vouchers with a watch task and a follow task, and
lets viewers join, watch, follow, claim, buy with the best voucher and sometimes cancel,
at a bounded request rate. A summary follows: claims by outcome, orders, discount, revenue.

Whose shop: without `--api-key` it makes its own shop ("Simulated shop", in `--currency`)
and an API key for it, in the database of DATABASE_URL, which the service at `--base-url`
must share; so nothing of a real seller's is touched. With `--api-key` it plays in that
key's shop, but only after the operator confirms (or gives `--yes`), and never takes over a
live session that is already running: it hosts on an account that is not live.

Any currency: prices and voucher amounts are written in major units and scaled by the
currency's minor units (`core.money.minor_digits`), with a magnitude for currencies whose
unit is small (a T-shirt is $15 or Rp150.000); names and printed figures use
`core.money.format_money`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from core.money import format_money, minor_digits

# (product id, name, category, price in major units of a dollar-like currency)
PRODUCTS = [
    ("sim-tee", "T-shirt", "apparel", 15),
    ("sim-hoodie", "Hoodie", "apparel", 45),
    ("sim-cap", "Cap", "accessories", 12),
    ("sim-mug", "Mug", "home", 9),
    ("sim-lamp", "Desk lamp", "home", 60),
]
# How many units of a currency buy about what one dollar does, rounded so prices look like
# prices there; 1 for the currencies not listed.
MAGNITUDE = {
    "IDR": 10_000,
    "VND": 20_000,
    "KRW": 1_000,
    "JPY": 100,
    "PHP": 50,
    "THB": 30,
    "MXN": 20,
    "BRL": 5,
    "MYR": 4,
}
WATCH_MINUTES = 1
# Viewers' watch time runs faster than the wall clock, so short runs still meet watch tasks.
WATCH_SPEEDUP = 6
SIM_SHOP_NAME = "Simulated shop"
SIM_HOST_HANDLE = "sim-host"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url",
        default=os.environ.get("VOUCHERBOT_BASE_URL", "http://127.0.0.1:8080"),
        help="the running service's HTTP API (default: env VOUCHERBOT_BASE_URL, else "
        "http://127.0.0.1:8080)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("VOUCHERBOT_API_KEY"),
        help="play in the shop of this API key, after asking (default: env "
        "VOUCHERBOT_API_KEY; without one, simulate makes its own shop)",
    )
    parser.add_argument(
        "--currency",
        default=None,
        help="currency of the shop simulate makes (ISO 4217 code; default: DEFAULT_CURRENCY)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="with --api-key: do not ask before adding products, vouchers and a live session",
    )
    parser.add_argument(
        "--account-id",
        type=int,
        help="with --api-key: the host account (default: the first account that is not live)",
    )
    parser.add_argument("--viewers", type=int, default=50, help="viewers joining (default 50)")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="requests per second, at most (default 50)"
    )
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds of live stream (default 30)"
    )
    parser.add_argument(
        "--cancel-rate", type=float, default=0.1, help="share of orders cancelled (default 0.1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")


@dataclass(frozen=True)
class Money:
    """The shop's currency: amounts from major units, and how to show them."""

    currency: str

    def of(self, major: int) -> int:
        """`major` dollar-like units in this currency's minor units."""
        scale: int = 10 ** minor_digits(self.currency)  # an int: the exponent is never negative
        return major * MAGNITUDE.get(self.currency, 1) * scale

    def show(self, minor: int) -> str:
        return format_money(minor, self.currency)


class Refused(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", status))
        self.status = status
        self.code = str(problem.get("code", status))
        self.problem = problem


class RateLimiter:
    """At most `rate` requests per second across all viewers."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            delay = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class Platform:
    http: aiohttp.ClientSession
    base_url: str
    limiter: RateLimiter

    async def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        await self.limiter.wait()
        async with self.http.request(
            method, f"{self.base_url}{path}", json=body, headers=headers or None
        ) as response:
            data = await response.json(content_type=None)
            if response.status >= 400:
                raise Refused(response.status, data or {})
            return data


@dataclass
class Summary:
    claims: Counter[str] = field(default_factory=Counter)
    orders: int = 0
    cancelled: int = 0
    with_voucher: int = 0
    discount: int = 0
    revenue: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    cancel_rate: float = 0.1

    def print(self, money: Money) -> None:
        print("\n=== simulation summary ===")
        print("claims by outcome:")
        for outcome, n in sorted(self.claims.items(), key=lambda kv: -kv[1]):
            print(f"  {outcome:<24} {n:>6}")
        kept = self.orders - self.cancelled
        print(f"orders: {self.orders} placed, {self.cancelled} cancelled, {kept} kept")
        print(f"orders with a voucher: {self.with_voucher}")
        print(f"discount given (kept orders): {money.show(self.discount)}")
        print(f"revenue (kept orders, after discount): {money.show(self.revenue)}")
        if self.errors:
            print(f"other refusals: {dict(self.errors)}")


def _iso(at: datetime) -> str:
    return at.isoformat()


class SetupRefused(Exception):
    """The simulation cannot start, for a reason the operator can act on."""


async def _pick_host(p: Platform, account_id: int | None) -> dict[str, Any]:
    """An account that is not live right now: simulate never takes over a live session."""
    accounts: list[dict[str, Any]] = (await p.call("GET", "/v1/accounts"))["items"]
    active = await p.call("GET", "/v1/live/sessions?active=true")
    live = {s["account_id"] for s in active["items"]}
    if account_id is not None:
        host = next((a for a in accounts if a["id"] == account_id), None)
        if host is None:
            raise SetupRefused(f"the shop has no account #{account_id} (see GET /v1/accounts)")
        if host["id"] in live:
            raise SetupRefused(
                f"account #{account_id} is live right now; simulate does not take over a "
                "live session: choose another --account-id, or let that session end first"
            )
        return host
    free = [a for a in accounts if a["id"] not in live]
    if not free:
        raise SetupRefused("every account of the shop is live right now; try again later")
    return free[0]


async def _setup(p: Platform, money: Money, host: dict[str, Any], viewers: int) -> dict[str, Any]:
    for pid, name, category, price in PRODUCTS:
        await p.call(
            "PUT",
            f"/v1/products/{pid}",
            {"name": name, "category": category, "price": money.of(price)},
        )
    now = datetime.now(UTC)
    period = {"starts_at": _iso(now), "ends_at": _iso(now + timedelta(days=1))}
    regular = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": f"Sim: {money.show(money.of(3))} off {money.show(money.of(20))}",
            "kind": "regular",
            "discount": {"type": "amount", "amount": money.of(3)},
            "min_spend": money.of(20),
            "total_quantity": max(1, viewers // 2),
            **period,
        },
    )
    watch = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": f"Sim LIVE: 15% off up to {money.show(money.of(15))}, watch",
            "kind": "live",
            "discount": {"type": "percent", "percent": 15, "max_discount": money.of(15)},
            "total_quantity": max(1, viewers // 3),
            **period,
        },
    )
    follow = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": f"Sim LIVE: {money.show(money.of(5))} off {money.show(money.of(30))}, follow",
            "kind": "live",
            "discount": {"type": "amount", "amount": money.of(5)},
            "min_spend": money.of(30),
            "total_quantity": max(1, viewers // 4),
            **period,
        },
    )
    try:
        session = await p.call("POST", "/v1/live/sessions", {"account_id": host["id"]})
    except Refused as refused:
        if refused.code != "session_active":
            raise
        # Went live between the check and now: still not ours to take over.
        raise SetupRefused(f"account #{host['id']} went live meanwhile; try again") from None
    sid = session["id"]
    await p.call(
        "POST",
        f"/v1/live/sessions/{sid}/distributions",
        {"voucher_id": watch["id"], "task": {"type": "watch", "minutes": WATCH_MINUTES}},
    )
    await p.call(
        "POST",
        f"/v1/live/sessions/{sid}/distributions",
        {"voucher_id": follow["id"], "task": {"type": "follow"}},
    )
    print(f"live session #{sid} of account #{host['id']} ({host['role']}); vouchers:")
    print(f"  #{regular['id']} {regular['name']} (regular)")
    print(f"  #{watch['id']} {watch['name']} (task: watch {WATCH_MINUTES} min)")
    print(f"  #{follow['id']} {follow['name']} (task: follow the host)")
    return {
        "money": money,
        "session": sid,
        "handle": host.get("platform_handle"),
        "vouchers": [regular["id"], watch["id"], follow["id"]],
    }


async def _claim(p: Platform, s: Summary, voucher_id: int, buyer: str, session: int) -> None:
    body: dict[str, Any] = {"buyer_id": buyer}
    try:
        await p.call(
            "POST",
            f"/v1/vouchers/{voucher_id}/claims",
            body,
            **{"Idempotency-Key": f"{buyer}-{voucher_id}-{session}"},
        )
        s.claims["claimed"] += 1
    except Refused as refused:
        s.claims[refused.code] += 1


async def _buy(
    p: Platform, s: Summary, money: Money, rng: random.Random, buyer: str, n: int
) -> None:
    picks = rng.sample(PRODUCTS, k=rng.randint(1, 3))
    lines = [
        {"product_id": pid, "unit_price": money.of(price), "quantity": rng.randint(1, 2)}
        for pid, _, _, price in picks
    ]
    await p.call("POST", "/v1/checkout/quote", {"buyer_id": buyer, "lines": lines})
    order = await p.call(
        "POST", "/v1/orders", {"order_id": f"{buyer}-o{n}", "buyer_id": buyer, "lines": lines}
    )
    s.orders += 1
    if rng.random() < s.cancel_rate:
        await p.call("POST", f"/v1/orders/{order['order_id']}/cancel")
        s.cancelled += 1
        return
    s.with_voucher += order["voucher_id"] is not None
    s.discount += order["discount"]
    s.revenue += order["total"]


async def _viewer(
    p: Platform, s: Summary, setup: dict[str, Any], rng: random.Random, n: int, until: float
) -> None:
    buyer = f"sim-viewer-{n}-{rng.randrange(10**6)}"
    sid, (regular, watch, follow) = setup["session"], setup["vouchers"]
    await asyncio.sleep(rng.uniform(0, max(0.0, until - time.monotonic()) / 3))  # joins
    watched, orders = 0, 0
    if setup["handle"] and rng.random() < 0.5:
        await p.call(
            "POST",
            "/v1/follows",
            {"buyer_id": buyer, "host_handle": setup["handle"], "action": "follow"},
        )
        await _claim(p, s, follow, buyer, sid)
    await _claim(p, s, regular, buyer, sid)
    while time.monotonic() < until:
        # A step of watching, cut short at the end of the stream so the run ends on time.
        step = min(rng.uniform(2, 5), max(0.0, until - time.monotonic()))
        await asyncio.sleep(step)
        watched += int(step * WATCH_SPEEDUP)
        await p.call(
            "POST",
            f"/v1/live/sessions/{sid}/watch",
            {"buyer_id": buyer, "watched_seconds": watched},
        )
        if watched >= WATCH_MINUTES * 60 - 20 and rng.random() < 0.6:
            await _claim(p, s, watch, buyer, sid)
        if rng.random() < 0.15 and orders < 2:
            orders += 1
            await _buy(p, s, setup["money"], rng, buyer, orders)
        if rng.random() < 0.05:
            return  # leaves the live


async def _make_own_shop(settings: Any, currency: str) -> str:
    """A shop of its own, with an API key, in the database the service shares."""
    from bot.startup import open_database
    from core.clock import SystemClock
    from core.services import Services

    db = await open_database(settings.database_url)
    try:
        services = Services.build(db, SystemClock())
        shop, _seller = await services.shops.create(
            SIM_SHOP_NAME,
            handle=SIM_HOST_HANDLE,
            currency=currency,
            timezone=settings.default_timezone,
        )
        key = await services.api_keys.create_for_shop(shop.id)
    finally:
        await db.dispose()
    print(f"made shop #{shop.id} “{SIM_SHOP_NAME}” in {currency} for this simulation")
    return key.secret


def _confirm(currency: str, ask: Callable[[str], str]) -> bool:
    question = (
        f"This adds {len(PRODUCTS)} products (sim-…), 3 vouchers named “Sim…”, a live session "
        f"and orders to the shop of this API key (in {currency}). Continue? [y/N] "
    )
    try:
        return ask(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False


async def run_simulation(
    args: argparse.Namespace,
    settings: Any = None,
    *,
    ask: Callable[[str], str] | None = None,
) -> int:
    """`ask` reads the operator's answer (default: `input`, when stdin is a terminal)."""
    from bot.startup import StartupFailure

    if ask is None and sys.stdin.isatty():
        ask = input
    api_key = args.api_key
    if api_key and args.currency:
        print("error: --currency is for the shop simulate makes; an API key's shop keeps its own")
        return 2
    if not api_key:
        if settings is None:
            from bot.config import Settings

            settings = Settings()
        try:
            api_key = await _make_own_shop(settings, args.currency or settings.default_currency)
        except StartupFailure as failure:
            print(f"error: {failure}")
            return 1
        except Exception as error:  # a refused currency or time zone
            print(f"error: could not make the simulation's shop: {error}")
            return 1
    rng = random.Random(args.seed)
    summary = Summary(cancel_rate=args.cancel_rate)
    headers = {"Authorization": f"Bearer {api_key}"}
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
        p = Platform(http, args.base_url.rstrip("/"), RateLimiter(args.rate))
        try:
            money = Money((await p.call("GET", "/v1/analytics/summary"))["currency"])
            if args.api_key and not args.yes:
                if ask is None:
                    print("error: this plays in an existing shop: confirm with --yes")
                    return 2
                if not _confirm(money.currency, ask):
                    print("nothing was changed")
                    return 1
            host = await _pick_host(p, args.account_id)
            setup = await _setup(p, money, host, args.viewers)
        except Refused as refused:
            hint = ""
            if refused.status == 401 and not args.api_key:
                hint = " (does the service at --base-url use the same DATABASE_URL?)"
            print(f"error: could not set up the live session: {refused}{hint}")
            return 1
        except (SetupRefused, aiohttp.ClientError) as exc:
            print(f"error: could not set up the live session: {exc}")
            return 1
        until = time.monotonic() + args.duration
        print(f"{args.viewers} viewers for {args.duration:g} s at ≤ {args.rate:g} requests/s …")
        results = await asyncio.gather(
            *(_viewer(p, summary, setup, rng, i, until) for i in range(args.viewers)),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, Refused):
                summary.errors[r.code] += 1
            elif isinstance(r, BaseException):
                summary.errors[type(r).__name__] += 1
        try:
            ended = await p.call("POST", f"/v1/live/sessions/{setup['session']}/end")
            print(f"live session #{ended['id']} ended with {ended.get('claims')} claims")
        except (Refused, aiohttp.ClientError) as exc:
            print(f"could not end the live session: {exc}")
    summary.print(money)
    return 0
