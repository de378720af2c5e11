"""The claim path's own cost, in one process with no HTTP around it: CPU per successful claim
of a plain voucher, of a `new_customers` one (R-seg) and of a budget-capped one (R-budget),
with their ratio to the plain one (issue 21's goal: within 10%).

`bench/claim_rush.py` measures the same through the API, where the HTTP server, the load
generator and the group commit's batch sizes move the figures by more than 10% between two
runs of the same code on a shared machine. Here the same claims run without them, in rounds
that alternate the kinds (each round starting with the next kind), and the median of the
rounds is printed. The shop has a history of past buyers (`--history`), so R-seg's check has
something to check against. The segment is measured twice: from memory, as shipped
(`core/services/buyer_histories.py`), and reading the buyer's history for each claim, as
before the memory (the baseline, from the same run). A second plain voucher, measured like
the others, shows how far two measurements of the same path differ on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable

from bench.claim_rush import _seed_order_history, _voucher
from core.clock import SystemClock
from core.rules.roles import Actor, Role
from core.services import Services
from storage.db import Database
from storage.migrate import upgrade
from storage.resources import Resources


async def _cpu_per_claim(
    services: Services, shop_id: int, voucher_id: int, tag: str, n: int
) -> float:
    """µs of this process's CPU per claim, `n` distinct buyers claiming at once."""
    claim = services.claims.claim
    started = time.process_time()
    await asyncio.gather(*(claim(shop_id, voucher_id, f"{tag}-{i}") for i in range(n)))
    return (time.process_time() - started) / n * 1e6


async def run(url: str, claims: int, rounds: int, history: int) -> dict[str, float]:
    db = Database(url)
    resources = await Resources.open(db)
    try:
        await upgrade(db)
        services = Services.build(db, SystemClock(), resources=resources)
        shop, seller = await services.shops.create(f"Claim path {time.time_ns()}")
        assert shop.id is not None and seller.id is not None
        actor = Actor(shop_id=shop.id, role=Role.SELLER, account_id=seller.id)
        await _seed_order_history(db, shop.id, history)
        quantity = claims * (rounds + 1) * 2
        plain = await services.vouchers.create(actor, _voucher("plain", quantity))
        again = await services.vouchers.create(actor, _voucher("plain again", quantity))
        # R-seg allows one new-customer voucher at a time: both segment figures claim it.
        segment = await services.vouchers.create(
            actor, _voucher("segment", quantity, segment="new_customers")
        )
        budget = await services.vouchers.create(
            actor, _voucher("budget", quantity, budget=100 * quantity)
        )
        histories = services.claims.histories
        fresh = histories.fresh
        never: Callable[[], bool] = lambda: False  # noqa: E731  (memory off: read per claim)
        assert plain.id and again.id and segment.id and budget.id
        kinds = {
            "plain": (plain.id, fresh),
            "segment": (segment.id, fresh),
            "segment, read per claim": (segment.id, never),
            "budget": (budget.id, fresh),
            "plain again": (again.id, fresh),  # the noise floor: the same kind, measured again
        }
        figures: dict[str, list[float]] = {kind: [] for kind in kinds}
        for r in range(-1, rounds):  # round -1 warms every path (the shop's first read)
            order = list(kinds.items())
            order = order[r % len(order) :] + order[: r % len(order)]  # no kind always first
            for k, (kind, (voucher_id, check)) in enumerate(order):
                histories.fresh = check
                tag = f"k{k}-r{r}"  # buyer ids: distinct in every round and kind
                us = await _cpu_per_claim(services, shop.id, voucher_id, tag, claims)
                if r >= 0:
                    figures[kind].append(us)
        histories.fresh = fresh
        return {kind: statistics.median(values) for kind, values in figures.items()}
    finally:
        await resources.close()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--smoke", action="store_true", help="CI size: a few seconds")
    parser.add_argument("--history", type=int, help="past buyers of the shop (default 50,000)")
    args = parser.parse_args()
    claims, rounds, history = (200, 3, 1_000) if args.smoke else (3_000, 11, 50_000)
    if args.history is not None:
        history = args.history
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/claim_path.db"
    print(f"database: {url.split('@')[-1]}")
    print(f"{rounds} rounds of {claims:,} claims per kind; shop history: {history:,} past buyers")
    figures = asyncio.run(run(url, claims, rounds, history))
    plain = figures["plain"]
    for kind, us in figures.items():
        ratio = plain / us  # as claims per CPU second, beside the plain voucher's
        goal = "  (goal ≥ 0.90)" if kind in ("segment", "budget") else ""
        print(f"{kind:<24} {us:6.0f} µs CPU a claim   {ratio:.2f}× the plain one{goal}")


if __name__ == "__main__":
    main()
