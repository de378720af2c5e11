"""R-code's guessing limit and R-redeem's limit across two OS processes, on both databases
(the pattern of tests/core/test_concurrency.py: both workers released at once)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from typing import Any

from core.clock import SystemClock
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import draft
from tests.core.test_concurrency import ROOT


async def _run_workers(url: str, shop_id: int, jobs: list[tuple[str, str, int]]) -> list[Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.targeting_worker",
            url,
            str(shop_id),
            mode,
            prefix,
            str(count),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for mode, prefix, count in jobs
    ]
    try:
        for p in procs:
            assert (await asyncio.wait_for(p.stdout.readline(), 60)).strip() == b"READY"  # type: ignore[union-attr]
        for p in procs:
            p.stdin.write(b"go\n")  # type: ignore[union-attr]
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
        return [json.loads(out.decode().strip().splitlines()[-1])["outcomes"] for out, _ in outputs]
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()


async def _shop(db) -> tuple[Services, Actor]:  # type: ignore[no-untyped-def]
    services = Services.build(db, SystemClock())
    shop, account = await services.shops.create("Two procs targeting")
    return services, Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]


async def test_r_code_two_processes_count_the_same_wrong_codes(db) -> None:
    _services, seller = await _shop(db)
    url = db.url.render_as_string(hide_password=False)
    # The same buyer guesses from two processes at once: 10 wrong codes in all, then 429.
    results = await _run_workers(
        url, seller.shop_id, [("guess", "guesser", 8), ("guess", "guesser", 8)]
    )
    wrong = sum(r.get("code_not_found", 0) for r in results)
    slowed = sum(r.get("429", 0) for r in results)
    assert (wrong, slowed) == (10, 6), results


async def test_r_redeem_two_processes_redeem_exactly_the_limit(db) -> None:
    services, seller = await _shop(db)
    start = SystemClock().now()
    v = await services.vouchers.create(
        seller,
        draft(
            total_quantity=100,
            redemption_limit=7,
            starts_at=start,
            ends_at=start + timedelta(days=1),
        ),
    )
    for prefix in ("p0-", "p1-"):
        for i in range(10):
            await services.claims.claim(seller.shop_id, v.id, f"{prefix}{i}")  # type: ignore[arg-type]
    url = db.url.render_as_string(hide_password=False)
    results = await _run_workers(
        url, seller.shop_id, [("orders", "p0-", 10), ("orders", "p1-", 10)]
    )
    assert not any(k.startswith("error") for r in results for k in r), results
    assert sum(r.get("redeemed", 0) for r in results) == 7, results
    assert (await services.vouchers.get(seller, v.id)).redeemed == 7  # type: ignore[arg-type]
