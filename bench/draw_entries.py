"""Lucky-draw benchmark (R-draw1, R-draw2): entries through the API against a ceiling, and the
draw itself.

    python -m bench.draw_entries                     # SQLite, full size (about two minutes)
    python -m bench.draw_entries --database-url postgresql+asyncpg://…
    python -m bench.draw_entries --smoke             # CI size, well under a minute

Reuses the claim-rush machinery (`bench/claim_rush.py`): the API as a subprocess
(`python -m bot.http.serve_api`), the load generator in another process (`bench/loadgen.py`),
and the trivial aiohttp handler as the ceiling, measured in the same run. Then:
- entries: a draw with a 1-minute window (the shortest a host can choose) takes 100,000
  distinct viewers plus 5,000 repeats at concurrency 64; every entry must land inside the
  window (entries/s, and its ratio to the ceiling);
- the draw: once the window has closed, `DrawService.close` makes the draw for those 100,000
  entrants with 1,000 winners (duration; the draw order alone is timed too), and the result
  is checked with `bot.verify_draw` and against the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

if __package__ in (None, ""):  # run as `python bench/draw_entries.py`, as .ci/run runs benches
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.claim_rush import Server, _free_port, _line, generate
from bot.http.routes_draws import draw_out
from bot.verify_draw import verify
from core.clock import Clock, SystemClock
from core.rules import draws as rules
from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from core.services import Services
from storage import draw_queries as dq
from storage.db import Database
from storage.migrate import upgrade
from storage.models import DrawEntry

ENTRY_GOAL = 100_000  # in one 1-minute window


@dataclass(frozen=True)
class Size:
    ceiling_duration: float
    concurrency: int
    entrants: int
    repeats: int
    winners: int


FULL = Size(10.0, 64, 100_000, 5_000, 1_000)
SMOKE = Size(1.5, 32, 2_000, 200, 50)


class AheadClock(Clock):
    """The bench's own clock once the window closed, without waiting out the minute."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return SystemClock().now() + self.ahead


async def seed(url: str, size: Size) -> dict[str, Any]:
    db = Database(url)
    try:
        await upgrade(db)
        services = Services.build(db, SystemClock())
        shop, seller = await services.shops.create(f"Draw bench {time.time_ns()}")
        actor = Actor(shop_id=shop.id, role="seller", account_id=seller.id)  # type: ignore[arg-type]
        key = await services.api_keys.create_for_shop(shop.id)  # type: ignore[arg-type]
        now = datetime.now(UTC)
        voucher = await services.vouchers.create(
            actor,
            VoucherDraft(
                name="Giveaway",
                kind="live",
                discount_type="amount",
                amount=100,
                total_quantity=1_000_000,
                per_customer_limit=1,
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=1),
            ),
        )
        session = await services.live.start_session(actor)
        return {
            "key": key.secret,
            "shop_id": shop.id,
            "seller": seller.id,
            "voucher_id": voucher.id,
            "session_id": session.id,
        }
    finally:
        await db.dispose()


async def open_draw(url: str, seeded: dict[str, Any], winners: int) -> tuple[int, datetime]:
    db = Database(url)
    try:
        services = Services.build(db, SystemClock())
        actor = Actor(shop_id=seeded["shop_id"], role="seller", account_id=seeded["seller"])
        d = await services.live.issue(
            actor,
            seeded["session_id"],
            seeded["voucher_id"],
            "none",
            mode="draw",
            winners=winners,
            entry_minutes=1,
        )
        return d.id, d.closes_at  # type: ignore[return-value]
    finally:
        await db.dispose()


async def top_up(db: Database, distribution_id: int, size: Size) -> int:
    """Entrants the API did not manage to enter within the window are written directly, so
    the draw is always measured for the full number of entrants; returns how many."""
    async with db.read() as session:
        present = set(await dq.entrants(session, distribution_id))
        draw = await dq.draw_of(session, distribution_id)
    missing = [f"viewer-{i}" for i in range(size.entrants) if f"viewer-{i}" not in present]
    at = draw.opened_at  # type: ignore[union-attr]
    for start in range(0, len(missing), 5_000):
        async with db.write() as session:
            await session.execute(
                insert(DrawEntry),
                [
                    {"distribution_id": distribution_id, "buyer_id": b, "entered_at": at}
                    for b in missing[start : start + 5_000]
                ],
            )
    return len(missing)


async def make_draw(
    url: str, seeded: dict[str, Any], distribution_id: int, size: Size
) -> dict[str, Any]:
    """The close, timed, on a clock just past the window; then the checks."""
    db = Database(url)
    try:
        topped_up = await top_up(db, distribution_id, size)
        services = Services.build(db, AheadClock(timedelta(minutes=1, seconds=1)))
        actor = Actor(shop_id=seeded["shop_id"], role="seller", account_id=seeded["seller"])
        async with db.read() as session:
            draw = await dq.draw_of(session, distribution_id)
            entrants = await dq.entrants(session, distribution_id)
        started = time.perf_counter()
        rules.draw_order(bytes.fromhex(draw.seed), entrants)  # type: ignore[union-attr]
        order_s = time.perf_counter() - started
        started = time.perf_counter()
        made = await services.draws.close(distribution_id)
        close_s = time.perf_counter() - started
        view = await services.draws.get(actor, distribution_id)
        document = json.loads(draw_out(view).model_dump_json())
        verdict = verify(document)
        claimed = (await services.vouchers.get(actor, seeded["voucher_id"])).claimed
        return {
            "made": made,
            "topped_up": topped_up,
            "order_s": order_s,
            "close_s": close_s,
            "entrants": len(entrants),
            "claims": len(view.claims),
            "stored_claims": claimed,
            "verified": verdict.ok,
            "problems": verdict.problems,
        }
    finally:
        await db.dispose()


def run(args: argparse.Namespace) -> int:
    size = SMOKE if args.smoke else FULL
    workdir = Path(tempfile.mkdtemp(prefix="draw_entries_"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    seeded = asyncio.run(seed(url, size))
    print(f"database: {Database(url).url.render_as_string(hide_password=True)}")
    print(f"machine: {os.cpu_count()} CPUs\n")

    port = _free_port()
    ceiling_server = Server(["-m", "bench.ceiling_server", "--port", str(port)], port)
    try:
        ceiling = generate(
            {
                "base_url": ceiling_server.base_url,
                "key": seeded["key"],
                "voucher_id": 1,
                "concurrency": size.concurrency,
                "duration": size.ceiling_duration,
            },
            ceiling_server,
        )
    finally:
        ceiling_server.stop()
    print(_line("ceiling", ceiling, None, None))

    buyers = [f"viewer-{i}" for i in range(size.entrants)]
    rng = random.Random(11)
    buyers += rng.choices(buyers, k=size.repeats)
    rng.shuffle(buyers)
    port = _free_port()
    api = Server(["-m", "bot.http.serve_api", "--database-url", url, "--port", str(port)], port)
    try:
        distribution_id, closes_at = asyncio.run(open_draw(url, seeded, size.winners))
        entries = generate(
            {
                "base_url": api.base_url,
                "key": seeded["key"],
                "path": f"/v1/distributions/{distribution_id}/entries",
                "concurrency": size.concurrency,
                "buyers": buyers,
            },
            api,
        )
    finally:
        api.stop()
    finished_at = datetime.now(UTC)
    print(_line("entries", entries, ceiling, None))
    statuses = entries["statuses"]
    print(
        f"         {len(buyers):,} requests ({size.entrants:,} viewers + {size.repeats:,} "
        f"repeats) in {entries['elapsed']:.1f} s: {statuses.get('201', 0):,} entered, "
        f"{statuses.get('200', 0):,} repeats answered; window closed "
        f"{(closes_at - finished_at).total_seconds():.1f} s after the last entry"
    )
    failures: list[str] = []
    if statuses.get("201", 0) != size.entrants:
        failures.append(f"{statuses.get('201', 0)} entries, not {size.entrants}")
    if finished_at >= closes_at:
        failures.append("the entries did not fit in the 1-minute window")
    per_minute = entries["rate"] * 60
    print(
        f"         capacity ≈ {per_minute:,.0f} entries a minute "
        f"(goal {ENTRY_GOAL:,} in a 1-minute window: "
        f"{'met' if per_minute >= ENTRY_GOAL else 'NOT met'})"
    )

    result = asyncio.run(make_draw(url, seeded, distribution_id, size))
    if result["topped_up"]:
        print(
            f"         ({result['topped_up']:,} entrants the API did not enter in time were "
            "written to the database for the draw measurement)"
        )
    print(
        f"draw     {result['entrants']:,} entrants, {size.winners:,} winners: "
        f"{result['close_s'] * 1000:,.0f} ms "
        f"(draw order alone {result['order_s'] * 1000:,.0f} ms); "
        f"{result['claims']:,} claims, {result['stored_claims']:,} stored; "
        f"verified: {result['verified']}"
    )
    if not result["made"] or result["claims"] != size.winners:
        failures.append(f"the draw gave {result['claims']} claims, not {size.winners}")
    if result["stored_claims"] != size.winners:
        failures.append(f"{result['stored_claims']} claims stored, not {size.winners}")
    if not result["verified"]:
        failures.append(f"the draw does not verify: {result['problems']}")
    errors = sum(v for k, v in statuses.items() if k.startswith("5"))
    if errors:
        failures.append(f"{errors} server errors")
    print("\nresult:", "OK" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--smoke", action="store_true", help="CI size: well under a minute")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
