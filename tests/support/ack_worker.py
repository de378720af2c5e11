"""A separate OS process that claims one voucher for many buyers and says each answer as
soon as it has it (crash tests: what was acknowledged before the kill is on stdout).

Usage: python -m tests.support.ack_worker DATABASE_URL SHOP_ID VOUCHER_ID PREFIX COUNT [PACE]
PACE `asynchronous` pins PostgreSQL's store to asynchronous batches and the barrier (the
default is the store's adaptive pace). It prints READY, waits for a line on stdin, then
claims for COUNT buyers, 64 at a time, printing `ACK <buyer> <claim id>` for each claim
acknowledged, `NO <code>` for a refusal, and DONE at the end.
"""

from __future__ import annotations

import asyncio
import sys

from core.clock import SystemClock
from core.errors import ClaimRefused
from core.services import Services
from storage.db import Database

CONCURRENCY = 64


async def main(url: str, shop_id: int, voucher_id: int, prefix: str, count: int, pace: str) -> None:
    db = Database(url, pool_size=20)
    services = Services.build(db, SystemClock())
    if pace == "asynchronous":
        from storage.claim_store.durability import CommitPace

        services.claims.store.pace = CommitPace(fixed=True)  # type: ignore[attr-defined]
    await db.ping()
    print("READY", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    buyers = iter(range(count))

    async def worker() -> None:
        for i in buyers:
            buyer = f"{prefix}{i}"
            try:
                claim = await services.claims.claim(shop_id, voucher_id, buyer)
            except ClaimRefused as exc:
                print(f"NO {exc.code}", flush=True)
            except Exception as exc:  # the database went away: not acknowledged
                print(f"ERR {type(exc).__name__}", flush=True)
            else:
                print(f"ACK {buyer} {claim.id}", flush=True)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    print("DONE", flush=True)
    await db.dispose()


if __name__ == "__main__":
    url, shop, voucher, prefix, count = sys.argv[1:6]
    pace = sys.argv[6] if len(sys.argv) > 6 else "adaptive"
    asyncio.run(main(url, int(shop), int(voucher), prefix, int(count), pace))
