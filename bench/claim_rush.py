"""Claim-rush benchmark: how fast the API claims and refuses, measured against a ceiling.

    python -m bench.claim_rush                       # SQLite, full size (a few minutes)
    python -m bench.claim_rush --database-url postgresql+asyncpg://…
    python -m bench.claim_rush --smoke               # CI size, well under a minute

It seeds a shop, an API key and the vouchers, then starts the server as a subprocess
(`python -m bot.http.serve_api`) and the load generator as another (`bench/loadgen.py`, one
aiohttp ClientSession with a connection limit), and measures in one run:
- ceiling: a trivial aiohttp JSON handler (`bench/ceiling_server.py`), same server settings;
- R1: successful claims/s (distinct buyers; the quantity never runs out);
- R2: sold-out refusals/s; R3: over-the-limit refusals/s (the same buyer again);
- the rush: quantity 1,000, 10,000 distinct claimers plus duplicates, concurrency 256.
Each figure is printed with its ratio to the ceiling and the generator's CPU use (a ceiling
the generator itself cannot exceed would be worthless, so watch that figure).
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.clock import SystemClock
from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade

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


FULL = Size(10.0, 64, 1_000, 10_000, 2_000, 256)
SMOKE = Size(1.5, 32, 100, 1_000, 200, 64)


@dataclass(frozen=True)
class Seeded:
    key: str
    r1: int
    r2: int
    r3: int
    r3_buyer: str
    rush: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _voucher(name: str, quantity: int, limit: int = 1) -> VoucherDraft:
    now = datetime.now(UTC)
    return VoucherDraft(
        name=name,
        kind="regular",
        discount_type="amount",
        amount=100,
        total_quantity=quantity,
        per_customer_limit=limit,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
    )


async def seed(url: str, size: Size) -> Seeded:
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
        return Seeded(key.secret, r1.id, r2.id, r3.id, "greedy", rush.id)  # type: ignore[arg-type]
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
    result["server_cpu_share"] = (server.cpu_seconds() - before) / result["elapsed"]
    return result


def _line(name: str, r: dict[str, Any], ceiling: float | None, goal: float | None) -> str:
    ratio = f"  {r['rate'] / ceiling:5.2f}× ceiling" if ceiling else ""
    verdict = ""
    if goal is not None and ceiling:
        met = "met" if r["rate"] >= goal * ceiling else "NOT met"
        verdict = f"  (goal ≥ {goal:.2f}: {met})"
    return (
        f"{name:<8} {r['rate']:9,.0f} req/s{ratio}{verdict}\n"
        f"         p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
        f"statuses {r['statuses']}  codes {r['codes']}\n"
        f"         generator CPU {r['cpu_share']:.0%} of a core, server CPU "
        f"{r['server_cpu_share']:.0%} of a core"
    )


def run(args: argparse.Namespace) -> int:
    size = SMOKE if args.smoke else FULL
    workdir = Path(tempfile.mkdtemp(prefix="claim_rush_"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    seeded = asyncio.run(seed(url, size))
    print(f"database: {Database(url).url.render_as_string(hide_password=True)}")
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
            print(_line(name, r, ceiling["rate"], GOALS[name]))
        buyers = [f"rush-{i}" for i in range(size.rush_claimers)]
        rng = random.Random(7)
        buyers += rng.choices(buyers, k=size.rush_duplicates)
        rng.shuffle(buyers)
        rush = generate(
            {
                "base_url": api.base_url,
                "key": seeded.key,
                "voucher_id": seeded.rush,
                "concurrency": size.rush_concurrency,
                "buyers": buyers,
            },
            api,
        )
    finally:
        api.stop()
    claimed = asyncio.run(voucher_claimed(url, seeded.key, seeded.rush))
    print(_line("rush", rush, ceiling["rate"], None))
    print(
        f"         {len(buyers):,} requests ({size.rush_claimers:,} claimers + "
        f"{size.rush_duplicates:,} repeats) at concurrency {size.rush_concurrency}: "
        f"{rush['claims']:,} claimed (stored: {claimed:,} of {size.rush_quantity:,}), "
        f"most per buyer {rush['max_claims_per_buyer']}, sold out after "
        f"{rush['sold_out_after_s']:.2f} s"
    )
    server_errors = sum(v for k, v in rush["statuses"].items() if k.startswith("5"))
    for r in (*results.values(), rush):
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
    print("\nresult:", "OK" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--smoke", action="store_true", help="CI size: well under a minute")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
