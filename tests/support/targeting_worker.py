"""A separate OS process for the R-code, R-redeem and R-v10 multi-process tests.

Usage: python -m tests.support.targeting_worker DATABASE_URL SHOP_ID MODE PREFIX COUNT
- MODE `guess`: COUNT wrong promo codes as buyer PREFIX, one after another;
- MODE `orders`: COUNT concurrent orders, one per buyer PREFIX0…, each redeeming its claim;
- MODE `quantity` / `budget`: COUNT concurrent raises by 1 of voucher PREFIX's total_quantity
  or budget (R-v10, R-budget), as the shop's seller.
It prints READY, waits for a line on stdin (so two workers start together), then prints one
JSON line: {"outcomes": {name: n}}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from core.clock import SystemClock
from core.errors import VoucherbotError
from core.rules.roles import Actor, Role
from core.services import Services
from core.services.promo_codes import TooManyGuesses
from storage.db import Database

LINE = [{"product_id": "x", "unit_price": 3000, "quantity": 1}]


async def main(url: str, shop_id: int, mode: str, prefix: str, count: int) -> None:
    db = Database(url, pool_size=20)
    services = Services.build(db, SystemClock())
    await db.ping()
    print("READY", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    outcomes: Counter[str] = Counter()
    if mode == "guess":
        for i in range(count):
            try:
                await services.claims.claim_by_code(shop_id, f"WRONG{i:04d}", prefix)
                outcomes["claimed"] += 1
            except TooManyGuesses:
                outcomes["429"] += 1
            except VoucherbotError as exc:
                outcomes[exc.code] += 1
    elif mode in ("quantity", "budget"):
        seller = Actor(shop_id=shop_id, role=Role.SELLER)
        raise_one = (
            services.vouchers.add_quantity if mode == "quantity" else services.vouchers.add_budget
        )

        async def up() -> None:
            try:
                await raise_one(seller, int(prefix), 1)
                outcomes["raised"] += 1
            except Exception as exc:
                outcomes[f"error:{type(exc).__name__}"] += 1

        await asyncio.gather(*(up() for _ in range(count)))
    else:
        platform = Actor.platform(shop_id)

        async def one(i: int) -> None:
            try:
                order, _ = await services.checkout.place_order(
                    platform, f"{prefix}o{i}", f"{prefix}{i}", LINE
                )
                outcomes["redeemed" if order.claim_id is not None else "no_voucher"] += 1
            except Exception as exc:
                outcomes[f"error:{type(exc).__name__}"] += 1

        await asyncio.gather(*(one(i) for i in range(count)))
    await db.dispose()
    print(json.dumps({"outcomes": dict(outcomes)}), flush=True)


if __name__ == "__main__":
    url, shop, mode, prefix, count = sys.argv[1:6]
    asyncio.run(main(url, int(shop), mode, prefix, int(count)))
