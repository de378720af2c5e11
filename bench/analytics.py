"""Analytics benchmark (docs/analytics.md): 1,000,000 claims and 200,000 orders in SQLite.

    .venv/bin/python -m bench.analytics [--claims N] [--orders N] [--runs N] [--db PATH]

Generates one shop's data with bulk inserts (200 vouchers, half of them LIVE distributed in
100 live sessions by 5 accounts, 30 days of claims, 10% of voucher orders cancelled), builds
the analytics aggregates the way the migration backfills them, then prints the median time
of each analytics query over several runs. The target is under 300 ms each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from core.clock import FrozenClock
from core.rules.roles import Actor, Role
from core.services import Services
from storage.analytics_queries import rebuild_statements
from storage.db import Database
from storage.migrate import upgrade

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 30
VOUCHERS = 200
SESSIONS = 100
ACCOUNTS = 5
BUYERS = 150_000
TARGET_MS = 300.0


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _generate(path: Path, shop_id: int, seller_id: int, n_claims: int, n_orders: int) -> None:
    rnd = random.Random(7)
    start = NOW - timedelta(days=DAYS)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    accounts = [seller_id]
    for i in range(ACCOUNTS - 1):
        cur = con.execute(
            "INSERT INTO account (shop_id, role, display_name, platform_handle, linked_at) "
            "VALUES (?, 'marketing', ?, ?, ?)",
            (shop_id, f"Host {i}", f"host_{i}", _ts(start)),
        )
        accounts.append(cur.lastrowid)
    sessions = []
    for i in range(SESSIONS):
        began = start + timedelta(hours=7 * i)
        cur = con.execute(
            "INSERT INTO livesession (shop_id, account_id, started_at, ended_at) VALUES (?,?,?,?)",
            (shop_id, accounts[i % ACCOUNTS], _ts(began), _ts(began + timedelta(hours=3))),
        )
        sessions.append((cur.lastrowid, accounts[i % ACCOUNTS], began))
    vouchers = []
    for i in range(VOUCHERS):
        kind = "live" if i % 2 else "regular"
        cur = con.execute(
            "INSERT INTO voucher (shop_id, name, kind, discount_type, amount, min_spend, scope, "
            "total_quantity, claimed, redeemed, per_customer_limit, starts_at, ends_at, "
            "low_discount_warning, created_at, updated_at) "
            "VALUES (?, ?, ?, 'amount', ?, ?, 'shop', 1000000, 0, 0, 100, ?, ?, 0, ?, ?)",
            (
                shop_id,
                f"Voucher {i}",
                kind,
                100 + i,
                2000,
                _ts(start),
                _ts(NOW + timedelta(days=30)),
                _ts(start),
                _ts(start),
            ),
        )
        vouchers.append((cur.lastrowid, kind))
    distributions = {}
    for n, (vid, kind) in enumerate(vouchers):
        if kind == "live":
            sid, acc, began = sessions[n % SESSIONS]
            cur = con.execute(
                "INSERT INTO distribution (shop_id, voucher_id, session_id, account_id, "
                "task_type, started_at, stopped_at) VALUES (?,?,?,?, 'none', ?, ?)",
                (shop_id, vid, sid, acc, _ts(began), _ts(began + timedelta(hours=3))),
            )
            distributions[vid] = (cur.lastrowid, sid, acc, began)
    span = DAYS * 86400
    claims = []
    for i in range(1, n_claims + 1):
        vid, kind = vouchers[rnd.randrange(VOUCHERS)]
        if kind == "live":
            did, sid, acc, began = distributions[vid]
            at = began + timedelta(seconds=rnd.randrange(3 * 3600))
        else:
            did = sid = acc = None
            at = start + timedelta(seconds=rnd.randrange(span))
        claims.append(
            (
                i,
                shop_id,
                vid,
                f"b{rnd.randrange(BUYERS)}",
                sid,
                did,
                acc,
                _ts(at),
                _ts(NOW + timedelta(days=30)),
                "claimed",
            )
        )
    con.executemany(
        "INSERT INTO claim (id, shop_id, voucher_id, buyer_id, session_id, distribution_id, "
        "account_id, claimed_at, redeem_until, status) VALUES (?,?,?,?,?,?,?,?,?,?)",
        claims,
    )
    orders, redeemed = [], []
    with_voucher = n_orders * 3 // 4
    picked = rnd.sample(range(n_claims), with_voucher)
    for i in range(n_orders):
        subtotal = 1000 + rnd.randrange(9000)
        if i < with_voucher:
            c = claims[picked[i]]
            vid, buyer, claim_id = c[2], c[3], c[0]
            at = datetime.fromisoformat(c[7]).replace(tzinfo=UTC) + timedelta(minutes=30)
            discount = 100 + vid % 200
            cancelled = rnd.random() < 0.1
            if not cancelled:
                redeemed.append((i + 1, claim_id))
        else:
            vid = claim_id = None
            buyer = f"b{rnd.randrange(BUYERS)}"
            at = start + timedelta(seconds=rnd.randrange(span))
            discount, cancelled = 0, rnd.random() < 0.1
        orders.append(
            (
                i + 1,
                shop_id,
                f"o{i}",
                buyer,
                subtotal,
                discount,
                subtotal - discount,
                vid,
                claim_id,
                "cancelled" if cancelled else "placed",
                "x" * 64,
                _ts(min(at, NOW)),
            )
        )
    con.executemany(
        "INSERT INTO shoporder (id, shop_id, order_id, buyer_id, subtotal, discount, total, "
        "voucher_id, claim_id, status, body_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        orders,
    )
    con.executemany("UPDATE claim SET status = 'redeemed', order_ref = ? WHERE id = ?", redeemed)
    con.execute(
        "UPDATE voucher SET claimed = (SELECT COUNT(*) FROM claim WHERE claim.voucher_id = "
        "voucher.id), total_quantity = 1000000"
    )
    con.commit()
    con.close()


async def _rebuild(db: Database) -> None:
    async with db.write() as session:
        for statement in rebuild_statements("sqlite"):
            await session.execute(text(statement))
        await session.execute(text("ANALYZE"))


async def _time(label: str, runs: int, call: Callable[[], Awaitable[Any]]) -> float:
    await call()  # warm the page cache and statement cache
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    median = statistics.median(samples)
    flag = "ok" if median < TARGET_MS else "SLOW"
    print(f"{label:<44} {median:8.1f} ms  {flag}")
    return median


async def _prepare(services: Services, path: Path, args: argparse.Namespace) -> Actor:
    await upgrade(services.db)
    if args.reuse:
        return Actor(1, Role.SELLER, 1)
    shop, seller = await services.shops.create("Bench", owner_telegram_user_id=1)
    began = time.perf_counter()
    _generate(path, shop.id, seller.id, args.claims, args.orders)  # type: ignore[arg-type]
    await _rebuild(services.db)
    print(
        f"generated {args.claims:,} claims and {args.orders:,} orders in "
        f"{time.perf_counter() - began:.1f} s ({path})"
    )
    return Actor(shop.id, Role.SELLER, seller.id)  # type: ignore[arg-type]


async def main(args: argparse.Namespace, path: Path) -> int:
    db = Database(f"sqlite+aiosqlite:///{path}")
    services = Services.build(db, FrozenClock(NOW))
    actor = await _prepare(services, path, args)
    a = services.analytics
    week = (NOW - timedelta(days=7, minutes=7), NOW - timedelta(minutes=3))
    live_voucher, session_id = 2, 2
    checks: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("summary (all time)", lambda: a.summary(actor)),
        ("summary (7 days, unaligned edges)", lambda: a.summary(actor, *week)),
        ("promotion list by revenue", lambda: a.promotions(actor, "revenue")),
        ("promotion list by ROI (7 days)", lambda: a.promotions(actor, "roi", *week)),
        ("one voucher (/stats <id>)", lambda: a.voucher(actor, live_voucher)),
        ("per live session", lambda: a.sessions(actor)),
        ("one session per voucher", lambda: a.session_vouchers(actor, session_id)),
        ("per host account", lambda: a.accounts(actor)),
        ("trend per day (30 days)", lambda: a.trend(actor)),
        ("trend per day of one voucher", lambda: a.trend(actor, voucher_id=live_voucher)),
        ("trend per hour of a live session", lambda: a.trend(actor, session_id=session_id)),
        ("CSV export", lambda: a.export_csv(actor)),
        ("AOV (R-a6)", lambda: services.checkout.average_order_value(actor)),
        ("advice (R-adv1, R-adv2)", lambda: services.advice.advice(actor)),
        ("sell-out forecast check (R-adv3)", lambda: services.forecast.check_sellouts()),
    ]
    slow = 0
    for label, call in checks:
        slow += (await _time(label, args.runs, call)) >= TARGET_MS
    await db.dispose()
    print("all under 300 ms" if not slow else f"{slow} queries over 300 ms")
    return 1 if slow else 0


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="SQLite file to (re)create; a temporary one by default")
    parser.add_argument(
        "--reuse", action="store_true", help="time the queries on an existing --db file"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI size: 20,000 claims and 4,000 orders, one run (checks it works, not the target)",
    )
    args = parser.parse_args()
    if args.smoke:
        args.claims, args.orders, args.runs = 20_000, 4_000, 1
    return args


def _path(args: argparse.Namespace) -> Path:
    path = Path(args.db or Path(tempfile.mkdtemp()) / "bench.db")
    if not args.reuse:
        path.unlink(missing_ok=True)
    return path


if __name__ == "__main__":
    arguments = _args()
    raise SystemExit(asyncio.run(main(arguments, _path(arguments))))
