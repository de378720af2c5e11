"""Issue 22: a crash in the middle of a rush on PostgreSQL — of the API process (SIGKILL) or of
the database server itself (an `immediate` stop: nothing more written, the WAL replayed at
the next start). Every claim acknowledged before the crash is stored, nothing is oversold,
the voucher's counter and the buyers' counters agree with the claims, and what was not
claimed is claimed exactly afterwards (R-v12, R-v5)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.clock import SystemClock
from core.errors import ClaimRefused
from core.rules.roles import Actor
from core.services import Services
from storage.analytics_models import ClaimBucket
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Claim, VoucherBuyer
from tests.conftest import draft
from tests.support.postgres import ThrowawayPostgres, pg_bindir

ROOT = Path(__file__).resolve().parents[2]
QUANTITY = 300

pytestmark = pytest.mark.postgres


async def seed(url: str) -> tuple[Actor, int]:
    db = Database(url)
    try:
        await upgrade(db)
        clock = SystemClock()
        services = Services.build(db, clock)
        shop, account = await services.shops.create("Crash")
        seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
        start = clock.now() - timedelta(minutes=1)
        v = await services.vouchers.create(
            seller,
            draft(total_quantity=QUANTITY, starts_at=start, ends_at=start + timedelta(days=1)),
        )
        return seller, v.id  # type: ignore[return-value]
    finally:
        await db.dispose()


@pytest.mark.parametrize("pace", ["adaptive", "asynchronous"])
@pytest.mark.parametrize("victim", ["api", "database"])
async def test_r_v12_a_crash_mid_rush_loses_no_acknowledged_claim(victim: str, pace: str) -> None:
    """`pace`: the store as it runs (on this fast test server: synchronous batches), and
    pinned to asynchronous batches answered after the barrier."""
    if pg_bindir() is None:
        pytest.skip("PostgreSQL binaries not found")
    server = ThrowawayPostgres()
    url = server.start()
    try:
        seller, voucher_id = await seed(url)
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.ack_worker",
            url,
            str(seller.shop_id),
            str(voucher_id),
            "w",
            str(QUANTITY * 2),
            pace,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
        )
        assert worker.stdout is not None and worker.stdin is not None
        try:
            assert (await asyncio.wait_for(worker.stdout.readline(), 60)).strip() == b"READY"
            worker.stdin.write(b"go\n")
            acked: dict[str, int] = {}
            while len(acked) < QUANTITY // 4:  # well into the rush, far from its end
                line = (await asyncio.wait_for(worker.stdout.readline(), 60)).decode().split()
                assert line and line[0] in ("ACK", "NO"), line
                if line[0] == "ACK":
                    acked[line[1]] = int(line[2])
            if victim == "database":
                await asyncio.to_thread(server.crash)
            worker.kill()
            rest, _ = await asyncio.wait_for(worker.communicate(), 60)
        finally:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        for raw in rest.decode().splitlines():  # acknowledged before the kill
            line = raw.split()
            if line and line[0] == "ACK":
                acked[line[1]] = int(line[2])
        if victim == "database":
            await asyncio.to_thread(server.restart)

        db = Database(url)
        try:
            async with db.read() as session:
                rows = (
                    await session.execute(
                        select(col(Claim.id), col(Claim.buyer_id)).where(
                            col(Claim.voucher_id) == voucher_id
                        )
                    )
                ).all()
                counters = await session.scalar(
                    select(func.coalesce(func.sum(VoucherBuyer.claims), 0)).where(
                        col(VoucherBuyer.voucher_id) == voucher_id
                    )
                )
                buckets = await session.scalar(
                    select(func.coalesce(func.sum(ClaimBucket.claims), 0)).where(
                        col(ClaimBucket.voucher_id) == voucher_id
                    )
                )
            stored = {buyer: claim_id for claim_id, buyer in rows}
            assert len(stored) == len(rows) <= QUANTITY
            missing = {b: i for b, i in acked.items() if stored.get(b) != i}
            assert not missing, f"acknowledged but not stored: {missing}"
            services = Services.build(db, SystemClock())
            view = await services.vouchers.get(seller, voucher_id)
            assert view.claimed == len(rows) == counters == buckets

            # What the crash left unclaimed is claimed exactly, by others.
            outcomes: Counter[str] = Counter()

            async def one(buyer: str) -> None:
                try:
                    await services.claims.claim(seller.shop_id, voucher_id, buyer)
                    outcomes["claimed"] += 1
                except ClaimRefused as exc:
                    outcomes[exc.code] += 1

            await asyncio.gather(*(one(f"after{i}") for i in range(QUANTITY)))
            assert outcomes["claimed"] == QUANTITY - len(rows)
            assert (await services.vouchers.get(seller, voucher_id)).claimed == QUANTITY
        finally:
            await db.dispose()
    finally:
        await asyncio.to_thread(server.stop)
