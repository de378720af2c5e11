"""Claim-rush benchmark: how fast the API claims and refuses, measured against a ceiling.

    python -m bench.claim_rush                       # SQLite, full size (a few minutes)
    python -m bench.claim_rush --postgres            # a throwaway PostgreSQL, production durability
    python -m bench.claim_rush --database-url postgresql+asyncpg://…
    python -m bench.claim_rush --smoke               # CI size, well under a minute
    python -m bench.claim_rush --with-events         # also: with webhooks and streams attached

It seeds a shop, an API key and the vouchers, then starts the server as a subprocess
(`python -m bot.http.serve_api`) and the load generator as another (`bench/loadgen.py`, one
aiohttp ClientSession with a connection limit), and measures in one run:
- ceiling: a trivial aiohttp JSON handler (`bench/ceiling_server.py`), same server settings;
- R1: successful claims/s (distinct buyers; the quantity never runs out);
- R2: sold-out refusals/s; R3: over-the-limit refusals/s (the same buyer again);
- R1 10v: R1 with the load dealt round-robin over ten vouchers at once;
- R1-seg and R1-budget: R1 on a `new_customers` voucher of a shop with 50,000 past buyers
  (R-seg: each claimer is checked against the shop's history) and on a budget-capped one
  (R-budget: the reservation in the quota's update), with their ratio to a plain R1 run just
  before each (the issue's goal: within 10%);
- the rush: quantity 1,000, 10,000 distinct claimers plus duplicates, concurrency 256.
On PostgreSQL it then runs two API processes on the same database, the load split between
them (R1 on one voucher and on ten, and a second rush): their aggregate claims/s beside one
process's, and exactly the quantity claimed. Each figure is printed with its ratio to the
ceiling and the generator's CPU use (a ceiling the generator itself cannot exceed would be
worthless, so watch that figure).
With `--with-events` it then claims LIVE vouchers of one live session (R1 and the rush) twice,
plain and with `--endpoints` N webhook endpoints (local servers, the leader's sender in this
process) and `--subscribers` M subscribers of the session's stream attached, and prints both
with their ratio, the deliveries (every event to every endpoint) and what the streams received.
The database's durability settings are printed with the figures: PostgreSQL figures are only
worth comparing with fsync and synchronous_commit on, which `--postgres` gives.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from core.clock import SystemClock
from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ShopOrder

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"R1": 0.5, "R2": 0.85, "R3": 0.85}
RUSH_P99_GOAL_MS = 100.0


@dataclass(frozen=True)
class Size:
    duration: float
    concurrency: int
    rush_quantity: int
    rush_claimers: int
    rush_duplicates: int
    rush_concurrency: int
    order_history: int  # past buyers of the shop (R-seg reads them)


FULL = Size(10.0, 64, 1_000, 10_000, 2_000, 256, 50_000)
SMOKE = Size(1.5, 32, 100, 1_000, 200, 64, 1_000)


@dataclass(frozen=True)
class Seeded:
    key: str
    r1: int
    r2: int
    r3: int
    r3_buyer: str
    rush: int
    rush2: int  # the two-process rush
    r1_segment: int  # R-seg
    r1_budget: int  # R-budget
    r1_ten: tuple[int, ...]  # R1 over ten vouchers at once
    live: Live | None = None  # --with-events


@dataclass(frozen=True)
class Live:
    """--with-events: a live session distributing four LIVE vouchers, a pair (R1, rush) claimed
    plain and a pair claimed with webhook endpoints and stream subscribers attached."""

    seller: Actor
    session_id: int
    r1: int
    rush: int
    r1_events: int
    rush_events: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _voucher(
    name: str, quantity: int, limit: int = 1, kind: str = "regular", **targeting: Any
) -> VoucherDraft:
    now = datetime.now(UTC)
    return VoucherDraft(
        **targeting,
        name=name,
        kind=kind,
        discount_type="amount",
        amount=100,
        total_quantity=quantity,
        per_customer_limit=limit,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )


async def seed_live(services: Services, actor: Actor, size: Size) -> Live:
    session = await services.live.start_session(actor)
    ids = []
    for name, quantity in (
        ("R1 live", 1_000_000),
        ("Rush live", size.rush_quantity),
        ("R1 live, events attached", 1_000_000),
        ("Rush live, events attached", size.rush_quantity),
    ):
        v = await services.vouchers.create(actor, _voucher(name, quantity, kind="live"))
        await services.live.issue(actor, session.id, v.id, "none")  # type: ignore[arg-type]
        ids.append(v.id)
    return Live(actor, session.id, *ids)  # type: ignore[arg-type]


async def _seed_order_history(db: Database, shop_id: int, buyers: int) -> None:
    """One past order per buyer `past-N` (none of them a claimer), so R-seg's reading of the
    shop is a real one: the segment voucher's claimers are checked against them all."""
    placed = datetime.now(UTC) - timedelta(days=40)
    rows = [
        {
            "shop_id": shop_id,
            "order_id": f"past-{n}",
            "buyer_id": f"past-{n}",
            "subtotal": 5_000,
            "total": 5_000,
            "status": "placed",
            "body_hash": "seed",
            "created_at": placed,
        }
        for n in range(buyers)
    ]
    async with db.write() as session:
        await session.execute(insert(ShopOrder), rows)


async def seed(url: str, size: Size, *, live: bool = False) -> Seeded:
    db = Database(url)
    try:
        await upgrade(db)
        services = Services.build(db, SystemClock())
        shop, seller = await services.shops.create(f"Bench {time.time_ns()}")
        actor = Actor(shop_id=shop.id, role="seller", account_id=seller.id)  # type: ignore[arg-type]
        key = await services.api_keys.create_for_shop(shop.id)
        r1 = await services.vouchers.create(actor, _voucher("R1 plenty", 1_000_000))
        r2 = await services.vouchers.create(actor, _voucher("R2 sold out", 1))
        await services.claims.claim(shop.id, r2.id, "first")  # type: ignore[arg-type]
        r3 = await services.vouchers.create(actor, _voucher("R3 over limit", 1_000_000))
        await services.claims.claim(shop.id, r3.id, "greedy")  # type: ignore[arg-type]
        rush = await services.vouchers.create(actor, _voucher("Rush", size.rush_quantity))
        rush2 = await services.vouchers.create(actor, _voucher("Rush 2", size.rush_quantity))
        await _seed_order_history(db, shop.id, size.order_history)
        segment = await services.vouchers.create(
            actor, _voucher("R1 new customers", 1_000_000, segment="new_customers")
        )
        budget = await services.vouchers.create(
            actor, _voucher("R1 budget", 1_000_000, budget=100 * 1_000_000)
        )
        ten = [
            await services.vouchers.create(actor, _voucher(f"R1 ten #{n}", 1_000_000))
            for n in range(10)
        ]
        return Seeded(
            key.secret,
            r1.id,  # type: ignore[arg-type]
            r2.id,  # type: ignore[arg-type]
            r3.id,  # type: ignore[arg-type]
            "greedy",
            rush.id,  # type: ignore[arg-type]
            rush2.id,  # type: ignore[arg-type]
            segment.id,  # type: ignore[arg-type]
            budget.id,  # type: ignore[arg-type]
            tuple(v.id for v in ten),  # type: ignore[misc]
            await seed_live(services, actor, size) if live else None,
        )
    finally:
        await db.dispose()


async def durability(url: str) -> str:
    """What a commit waits for on this database, as the server reports it."""
    db = Database(url)
    try:
        async with db.read() as session:
            if db.dialect == "postgresql":
                names = ("fsync", "synchronous_commit", "full_page_writes")
                values = [
                    (await session.execute(text(f"SHOW {name}"))).scalar_one() for name in names
                ]
                shown = ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))
                durable = values[0] == "on" and values[1] != "off"
                verdict = "production durability" if durable else "NOT durable: figures flatter"
                return f"{shown} ({verdict})"
            journal = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
            return f"journal_mode={journal}, synchronous=NORMAL (the service's settings)"
    finally:
        await db.dispose()


async def voucher_claimed(url: str, key: str, voucher_id: int) -> int:
    db = Database(url)
    try:
        services = Services.build(db, SystemClock())
        shop_id = await services.api_keys.authenticate(key)
        view = await services.vouchers.get(Actor.platform(shop_id), voucher_id)  # type: ignore[arg-type]
        return view.claimed
    finally:
        await db.dispose()


class Server:
    """A server subprocess, ready once /healthz answers."""

    def __init__(self, args: list[str], port: int) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not become ready")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def generate(phase: dict[str, Any], server: Server) -> dict[str, Any]:
    before = server.cpu_seconds()
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        cwd=ROOT,
        input=json.dumps(phase).encode(),
        capture_output=True,
        check=True,
    )
    result = json.loads(done.stdout)
    cpu = server.cpu_seconds() - before
    result["server_cpu_share"] = cpu / result["elapsed"]
    result["server_cpu_us"] = cpu / max(1, result["requests"]) * 1e6
    return result


def _line(
    name: str, r: dict[str, Any], ceiling_result: dict[str, Any] | None, goal: float | None
) -> str:
    """The phase's figures. On a machine shared with other work the rates swing with the
    load, so the server's CPU time per request is printed too, with its ratio to the
    ceiling's: what the rate ratio would be if the server, not the machine, were the limit."""
    ceiling = ceiling_result["rate"] if ceiling_result else None
    ratio = f"  {r['rate'] / ceiling:5.2f}× ceiling" if ceiling else ""
    verdict = ""
    if goal is not None and ceiling:
        met = "met" if r["rate"] >= goal * ceiling else "NOT met"
        verdict = f"  (goal ≥ {goal:.2f}: {met})"
    cpu = f"server CPU {r['server_cpu_us']:.0f} µs a request"
    if ceiling_result:
        cpu += f" ({ceiling_result['server_cpu_us'] / r['server_cpu_us']:.2f}× ceiling by CPU)"
    return (
        f"{name:<8} {r['rate']:9,.0f} req/s{ratio}{verdict}\n"
        f"         p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
        f"statuses {r['statuses']}  codes {r['codes']}\n"
        f"         generator CPU {r['cpu_share']:.0%} of a core, server CPU "
        f"{r['server_cpu_share']:.0%} of a core; {cpu}"
    )


def run(args: argparse.Namespace) -> int:
    if not args.postgres:
        return _run(args, args.database_url)
    from tests.support.postgres import ThrowawayPostgres

    server = ThrowawayPostgres(durable=True)
    try:
        return _run(args, server.start())
    finally:
        server.stop()


def _run(args: argparse.Namespace, database_url: str | None) -> int:
    size = SMOKE if args.smoke else FULL
    workdir = Path(tempfile.mkdtemp(prefix="claim_rush_"))
    url = database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    seeded = asyncio.run(seed(url, size, live=args.with_events))
    print(f"database: {Database(url).url.render_as_string(hide_password=True)}")
    print(f"durability: {asyncio.run(durability(url))}")
    print(f"machine: {os.cpu_count()} CPUs; phases of {size.duration:g} s\n")

    port = _free_port()
    ceiling_server = Server(["-m", "bench.ceiling_server", "--port", str(port)], port)
    base = {"key": seeded.key, "concurrency": size.concurrency, "duration": size.duration}
    try:
        ceiling = generate(
            {**base, "base_url": ceiling_server.base_url, "voucher_id": 1}, ceiling_server
        )
    finally:
        ceiling_server.stop()
    print(_line("ceiling", ceiling, None, None))

    port = _free_port()
    api = Server(["-m", "bot.http.serve_api", "--database-url", url, "--port", str(port)], port)
    failures: list[str] = []
    try:
        phase = {**base, "base_url": api.base_url}
        results = {
            "R1": generate({**phase, "voucher_id": seeded.r1, "prefix": "r1"}, api),
            "R2": generate({**phase, "voucher_id": seeded.r2, "prefix": "r2"}, api),
            "R3": generate({**phase, "voucher_id": seeded.r3, "buyer": seeded.r3_buyer}, api),
        }
        for name, r in results.items():
            print(_line(name, r, ceiling, GOALS[name]))
        ten = generate({**phase, "voucher_ids": list(seeded.r1_ten), "prefix": "r1-ten"}, api)
        print(_line("R1 10v", ten, ceiling, GOALS["R1"]))
        print("         R1 with the load dealt over ten vouchers at once")
        for name, vid in (("R1-seg", seeded.r1_segment), ("R1-budget", seeded.r1_budget)):
            # Paired with a plain R1 run just before it: the database grows with every phase
            # and later phases run slower whatever they claim, so the first R1 is no fair
            # baseline for a phase run a minute later.
            plain = generate(
                {**phase, "voucher_id": seeded.r1, "prefix": f"r1-{name.lower()}"}, api
            )
            print(_line("R1 again", plain, ceiling, None))
            r = generate({**phase, "voucher_id": vid, "prefix": name.lower()}, api)
            print(_line(name, r, ceiling, None))
            print(
                f"         {r['rate'] / plain['rate']:.2f}× the plain R1 just before by rate, "
                f"{plain['server_cpu_us'] / r['server_cpu_us']:.2f}× by server CPU "
                f"(goal ≥ 0.90)"
            )
            results[name] = r
        buyers = _rush_buyers(size)
        rush = generate(_rush_phase(api, seeded.key, seeded.rush, size, buyers), api)
    finally:
        api.stop()
    claimed = asyncio.run(voucher_claimed(url, seeded.key, seeded.rush))
    print(_line("rush", rush, ceiling, None))
    print(
        f"         {len(buyers):,} requests ({size.rush_claimers:,} claimers + "
        f"{size.rush_duplicates:,} repeats) at concurrency {size.rush_concurrency}: "
        f"{rush['claims']:,} claimed (stored: {claimed:,} of {size.rush_quantity:,}), "
        f"most per buyer {rush['max_claims_per_buyer']}, sold out after "
        f"{rush['sold_out_after_s']:.2f} s"
    )
    server_errors = sum(v for k, v in rush["statuses"].items() if k.startswith("5"))
    for r in (*results.values(), ten, rush):
        server_errors += sum(v for k, v in r["statuses"].items() if k.startswith("5"))
    locked = sum(r["codes"].get("database is locked", 0) for r in (*results.values(), rush))
    if claimed != size.rush_quantity or rush["claims"] != size.rush_quantity:
        failures.append(
            f"rush claimed {claimed} (answers {rush['claims']}), not {size.rush_quantity}"
        )
    if rush["max_claims_per_buyer"] > 1:
        failures.append("a buyer got more than the per-customer limit")
    if server_errors:
        failures.append(f"{server_errors} server errors")
    if locked:
        failures.append(f"{locked} 'database is locked'")
    p99_ok = rush["p99_ms"] <= RUSH_P99_GOAL_MS
    print(f"         rush p99 goal ≤ {RUSH_P99_GOAL_MS:.0f} ms: {'met' if p99_ok else 'NOT met'}")
    if seeded.live is not None:
        port = _free_port()
        api = Server(["-m", "bot.http.serve_api", "--database-url", url, "--port", str(port)], port)
        try:
            from bench.events import rush_with_events  # it imports this module's helpers

            failures += rush_with_events(args, url, api, seeded, seeded.live, size, ceiling)
        finally:
            api.stop()
    if Database(url).dialect == "postgresql" and not args.one_process:
        failures += two_processes(url, seeded, size, results["R1"], ceiling)
    print("\nresult:", "OK" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


def _rush_buyers(size: Size) -> list[str]:
    """The rush's claimers with their repeats, shuffled the same way every run."""
    buyers = [f"rush-{i}" for i in range(size.rush_claimers)]
    rng = random.Random(7)
    buyers += rng.choices(buyers, k=size.rush_duplicates)
    rng.shuffle(buyers)
    return buyers


def _rush_phase(
    api: Server, key: str, voucher_id: int, size: Size, buyers: list[str]
) -> dict[str, Any]:
    return {
        "base_url": api.base_url,
        "key": key,
        "voucher_id": voucher_id,
        "concurrency": size.rush_concurrency,
        "buyers": buyers,
    }


def two_processes(
    url: str, seeded: Seeded, size: Size, one: dict[str, Any], ceiling: dict[str, Any]
) -> list[str]:
    """Two API processes on one PostgreSQL, each generator sending half the load to its own."""
    print("\ntwo API processes on the same database, the load split between them:")
    servers: list[Server] = []
    try:
        for _ in range(2):
            port = _free_port()
            args = ["-m", "bot.http.serve_api", "--database-url", url, "--port", str(port)]
            servers.append(Server(args, port))
        half = max(1, size.concurrency // 2)
        r1 = generate_each(
            [
                {
                    "base_url": s.base_url,
                    "key": seeded.key,
                    "concurrency": half,
                    "duration": size.duration,
                    "voucher_id": seeded.r1,
                    "prefix": f"r1-p{n}",
                }
                for n, s in enumerate(servers)
            ],
            servers,
        )
        print(_line("R1 ×2", r1, ceiling, GOALS["R1"]))
        print(
            f"         aggregate {r1['rate']:,.0f} claims/s beside one process's {one['rate']:,.0f}"
        )
        ten = generate_each(
            [
                {
                    "base_url": s.base_url,
                    "key": seeded.key,
                    "concurrency": half,
                    "duration": size.duration,
                    "voucher_ids": list(seeded.r1_ten),
                    "prefix": f"r1-ten-p{n}",
                }
                for n, s in enumerate(servers)
            ],
            servers,
        )
        print(_line("R1 10v×2", ten, ceiling, GOALS["R1"]))
        print("         ten vouchers at once, the load split over both processes")
        buyers = [f"rush2-{i}" for i in range(size.rush_claimers)]
        rng = random.Random(11)
        buyers += rng.choices(buyers, k=size.rush_duplicates)
        rng.shuffle(buyers)
        rush = generate_each(
            [
                {
                    "base_url": s.base_url,
                    "key": seeded.key,
                    "voucher_id": seeded.rush2,
                    "concurrency": max(1, size.rush_concurrency // 2),
                    "buyers": buyers[n::2],
                }
                for n, s in enumerate(servers)
            ],
            servers,
        )
    finally:
        for s in servers:
            s.stop()
    claimed = asyncio.run(voucher_claimed(url, seeded.key, seeded.rush2))
    print(_line("rush ×2", rush, ceiling, None))
    print(
        f"         {len(buyers):,} requests split over both: {rush['claims']:,} claimed "
        f"(stored: {claimed:,} of {size.rush_quantity:,}), most per buyer "
        f"{rush['max_claims_per_buyer']}"
    )
    failures = []
    if claimed != size.rush_quantity or rush["claims"] != size.rush_quantity:
        failures.append(
            f"two-process rush claimed {claimed} (answers {rush['claims']}), "
            f"not {size.rush_quantity}"
        )
    errors = sum(v for r in (r1, ten, rush) for k, v in r["statuses"].items() if k.startswith("5"))
    if errors:
        failures.append(f"{errors} server errors with two processes")
    return failures


def generate_each(phases: list[dict[str, Any]], servers: list[Server]) -> dict[str, Any]:
    """One generator per server, all at once; their answers added up."""
    with ThreadPoolExecutor(len(phases)) as pool:
        parts = list(pool.map(generate, phases, servers))
    elapsed = max(p["elapsed"] for p in parts)
    requests = sum(p["requests"] for p in parts)
    total: dict[str, Any] = {
        "requests": requests,
        "elapsed": elapsed,
        "rate": requests / elapsed if elapsed else 0.0,
        "statuses": {},
        "codes": {},
        # The slower process's percentiles: a conservative reading of both.
        "p50_ms": max(p["p50_ms"] for p in parts),
        "p99_ms": max(p["p99_ms"] for p in parts),
        "cpu_share": sum(p["cpu_share"] for p in parts),
        "server_cpu_share": sum(p["server_cpu_share"] for p in parts),
        "server_cpu_us": sum(p["server_cpu_us"] * p["requests"] for p in parts) / max(1, requests),
        "claims": sum(p["claims"] for p in parts),
        "max_claims_per_buyer": max(p["max_claims_per_buyer"] for p in parts),
    }
    for p in parts:
        for field in ("statuses", "codes"):
            for k, v in p[field].items():
                total[field][k] = total[field].get(k, 0) + v
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="start a throwaway PostgreSQL with production durability (fsync and "
        "synchronous_commit on) and measure on it",
    )
    parser.add_argument(
        "--one-process", action="store_true", help="on PostgreSQL, skip the two-process run"
    )
    parser.add_argument("--smoke", action="store_true", help="CI size: well under a minute")
    parser.add_argument(
        "--with-events",
        action="store_true",
        help="also run R1 and the rush on LIVE vouchers plain and with webhook endpoints and "
        "stream subscribers attached, and print both with their ratio",
    )
    parser.add_argument("--endpoints", type=int, default=5, help="--with-events: N webhooks")
    parser.add_argument(
        "--subscribers",
        type=int,
        default=0,
        help="--with-events: M stream subscribers (default 200, 20 with --smoke)",
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
