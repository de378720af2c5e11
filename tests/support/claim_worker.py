"""A separate OS process that claims one voucher for many buyers at once (concurrency tests).

Usage: python -m tests.support.claim_worker DATABASE_URL SHOP_ID VOUCHER_ID PREFIX COUNT
It prints READY, waits for a line on stdin (so two workers start together), claims with COUNT
concurrent buyers, then prints one JSON line: {"claimed": n, "refused": {code: n}, "errors": n}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from core.clock import SystemClock
from core.errors import ClaimRefused
from core.services import Services
from storage.db import Database


async def main(url: str, shop_id: int, voucher_id: int, prefix: str, count: int) -> None:
    db = Database(url, pool_size=20)
    services = Services.build(db, SystemClock())
    await db.ping()
    print("READY", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    outcomes: Counter[str] = Counter()

    async def one(i: int) -> None:
        try:
            await services.claims.claim(shop_id, voucher_id, f"{prefix}{i}")
            outcomes["claimed"] += 1
        except ClaimRefused as exc:
            outcomes[exc.code] += 1
        except Exception as exc:
            outcomes[f"error:{type(exc).__name__}"] += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    await db.dispose()
    claimed = outcomes.pop("claimed", 0)
    errors = sum(v for k, v in outcomes.items() if k.startswith("error:"))
    print(json.dumps({"claimed": claimed, "refused": dict(outcomes), "errors": errors}), flush=True)


if __name__ == "__main__":
    url, shop, voucher, prefix, count = sys.argv[1:6]
    asyncio.run(main(url, int(shop), int(voucher), prefix, int(count)))
