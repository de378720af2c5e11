"""`voucherbot simulate`: plays the livestream platform against a running service's HTTP API.

It syncs a small catalog, creates a Regular voucher and two LIVE vouchers, starts a live
session for an account, issues the LIVE vouchers with a watch task and a follow task, and
lets viewers join, watch, follow, claim, buy with the best voucher and sometimes cancel,
at a bounded request rate. A summary follows: claims by outcome, orders, discount, revenue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

PRODUCTS = [
    ("sim-tee", "T-shirt", "apparel", 1500),
    ("sim-hoodie", "Hoodie", "apparel", 4500),
    ("sim-cap", "Cap", "accessories", 1200),
    ("sim-mug", "Mug", "home", 900),
    ("sim-lamp", "Desk lamp", "home", 6000),
]
WATCH_MINUTES = 1
# Viewers' watch time runs faster than the wall clock, so short runs still meet watch tasks.
WATCH_SPEEDUP = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", default=os.environ.get("VOUCHERBOT_BASE_URL", "http://127.0.0.1:8080")
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("VOUCHERBOT_API_KEY"),
        help="the shop's API key (default: env VOUCHERBOT_API_KEY)",
    )
    parser.add_argument("--account-id", type=int, help="host account (default: the first one)")
    parser.add_argument("--viewers", type=int, default=50, help="viewers joining (default 50)")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="requests per second, at most (default 50)"
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument(
        "--cancel-rate", type=float, default=0.1, help="share of orders cancelled (default 0.1)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")


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

    def print(self, currency: str = "") -> None:
        print("\n=== simulation summary ===")
        print("claims by outcome:")
        for outcome, n in sorted(self.claims.items(), key=lambda kv: -kv[1]):
            print(f"  {outcome:<24} {n:>6}")
        kept = self.orders - self.cancelled
        print(f"orders: {self.orders} placed, {self.cancelled} cancelled, {kept} kept")
        print(f"orders with a voucher: {self.with_voucher}")
        print(f"discount given (kept orders): {self.discount / 100:,.2f}{currency}")
        print(f"revenue (kept orders, after discount): {self.revenue / 100:,.2f}{currency}")
        if self.errors:
            print(f"other refusals: {dict(self.errors)}")


def _iso(at: datetime) -> str:
    return at.isoformat()


async def _setup(p: Platform, account_id: int | None, viewers: int) -> dict[str, Any]:
    accounts = (await p.call("GET", "/v1/accounts"))["items"]
    host = next((a for a in accounts if a["id"] == account_id), None) if account_id else None
    host = host or (accounts[0] if accounts else None)
    if host is None:
        raise SystemExit("the shop has no account to host a live session")
    for pid, name, category, price in PRODUCTS:
        await p.call(
            "PUT", f"/v1/products/{pid}", {"name": name, "category": category, "price": price}
        )
    now = datetime.now(UTC)
    period = {"starts_at": _iso(now), "ends_at": _iso(now + timedelta(days=1))}
    regular = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": "Sim: $3 off $20",
            "kind": "regular",
            "discount": {"type": "amount", "amount": 300},
            "min_spend": 2000,
            "total_quantity": max(1, viewers // 2),
            **period,
        },
    )
    watch = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": "Sim LIVE: 15% off, watch",
            "kind": "live",
            "discount": {"type": "percent", "percent": 15, "max_discount": 1500},
            "total_quantity": max(1, viewers // 3),
            **period,
        },
    )
    follow = await p.call(
        "POST",
        "/v1/vouchers",
        {
            "name": "Sim LIVE: $5 off, follow",
            "kind": "live",
            "discount": {"type": "amount", "amount": 500},
            "min_spend": 3000,
            "total_quantity": max(1, viewers // 4),
            **period,
        },
    )
    try:
        session = await p.call("POST", "/v1/live/sessions", {"account_id": host["id"]})
    except Refused as refused:
        if refused.code != "session_active":
            raise
        session = await p.call("GET", f"/v1/live/sessions/{refused.problem['session_id']}")
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
    print(
        f"live session #{sid} of account #{host['id']} ({host['role']}); vouchers "
        f"#{regular['id']} (regular), #{watch['id']} (watch {WATCH_MINUTES} min), "
        f"#{follow['id']} (follow)"
    )
    return {
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


async def _buy(p: Platform, s: Summary, rng: random.Random, buyer: str, n: int) -> None:
    picks = rng.sample(PRODUCTS, k=rng.randint(1, 3))
    lines = [
        {"product_id": pid, "unit_price": price, "quantity": rng.randint(1, 2)}
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
        step = rng.uniform(2, 5)
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
            await _buy(p, s, rng, buyer, orders)
        if rng.random() < 0.05:
            return  # leaves the live


async def run_simulation(args: argparse.Namespace) -> int:
    if not args.api_key:
        print("error: give --api-key or set VOUCHERBOT_API_KEY (voucherbot apikey create)")
        return 2
    rng = random.Random(args.seed)
    summary = Summary(cancel_rate=args.cancel_rate)
    headers = {"Authorization": f"Bearer {args.api_key}"}
    connector = aiohttp.TCPConnector(limit=32)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
        p = Platform(http, args.base_url.rstrip("/"), RateLimiter(args.rate))
        try:
            setup = await _setup(p, args.account_id, args.viewers)
        except (Refused, aiohttp.ClientError) as exc:
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
    summary.print()
    return 0
