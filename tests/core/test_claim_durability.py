"""Issue 22: PostgreSQL's claim batches hold the voucher row for less than a commit (they
commit asynchronously) and every answer waits for a WAL flush that began after the commit
(`WalBarrier`). These tests pin that down: the barrier's ordering, an answer never given
before its barrier, and the rules of a rush (R-v12, R-v5, R-n1, R-v10) with many batches of one
voucher in flight, on both databases."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from core.errors import ClaimRefused
from core.rules.claim_outcomes import TakeOutcome
from core.services import Services
from storage.analytics_models import ClaimBucket
from storage.claim_store.durability import CommitPace, WalBarrier
from storage.models import Claim, Notification, VoucherBuyer
from tests.conftest import draft
from tests.core.test_claim_store import request
from tests.support.waiting import eventually


class GatedFlush:
    """A flush that runs only when the test lets it, recording what each flush saw."""

    def __init__(self) -> None:
        self.started = 0
        self.gates: list[asyncio.Event] = []
        self.fail_next = False

    async def __call__(self) -> None:
        gate = asyncio.Event()
        self.gates.append(gate)
        self.started += 1
        await gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the flush failed")


async def test_a_wait_is_met_only_by_a_flush_that_began_after_it() -> None:
    flush = GatedFlush()
    barrier = WalBarrier(flush)
    first = asyncio.ensure_future(barrier.wait())
    await eventually(lambda: flush.started == 1, "the first flush")
    # Asked while the first flush runs: that flush may predate this commit, so it waits
    # for the next one; the two asks made meanwhile share it.
    second = asyncio.ensure_future(barrier.wait())
    third = asyncio.ensure_future(barrier.wait())
    await asyncio.sleep(0)
    flush.gates[0].set()
    await first
    await eventually(lambda: flush.started == 2, "the second flush")
    assert not second.done() and not third.done()
    flush.gates[1].set()
    await asyncio.gather(second, third)
    assert flush.started == barrier.flushes == 2


async def test_a_failed_flush_fails_its_waits_and_the_next_one_runs() -> None:
    flush = GatedFlush()
    barrier = WalBarrier(flush)
    flush.fail_next = True
    failing = asyncio.ensure_future(barrier.wait())
    await eventually(lambda: flush.started == 1, "the flush")
    flush.gates[0].set()
    with pytest.raises(ConnectionError):
        await failing
    after = asyncio.ensure_future(barrier.wait())
    await eventually(lambda: flush.started == 2, "the next flush")
    flush.gates[1].set()
    await after


async def test_a_cancelled_wait_does_not_cancel_the_flush_others_wait_for() -> None:
    flush = GatedFlush()
    barrier = WalBarrier(flush)
    gives_up = asyncio.ensure_future(barrier.wait())
    stays = asyncio.ensure_future(barrier.wait())
    await eventually(lambda: flush.started == 1, "the flush")
    gives_up.cancel()
    flush.gates[0].set()
    await stays


async def test_r_v12_no_claim_is_answered_before_its_barrier(services: Services, seller):
    """PostgreSQL: the batch is committed (another connection sees the claim) while the
    answer still waits for the flush; it is given once the flush is done."""
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite commits synchronously; there is no barrier")
    store = services.claims.store
    flush = GatedFlush()
    store.durable = WalBarrier(flush)  # type: ignore[attr-defined]
    store.pace = CommitPace(fixed=True)  # type: ignore[attr-defined]
    v = await services.vouchers.create(seller, draft(total_quantity=5))
    answer = asyncio.ensure_future(store.take(request(v.id, seller.shop_id, "a")))  # type: ignore[arg-type]

    async def committed() -> bool:
        async with services.db.read() as session:
            n = await session.scalar(select(func.count()).where(col(Claim.voucher_id) == v.id))
        return n == 1

    await eventually(committed, "the batch's commit")  # type: ignore[arg-type]
    await eventually(lambda: flush.started == 1, "the barrier")
    assert not answer.done()
    flush.gates[0].set()
    assert (await answer).outcome == TakeOutcome.TAKEN


async def test_every_commit_level_waits_for_the_disk(services: Services):
    """An asynchronous batch says `off` (its answers wait for the barrier); a synchronous
    batch and the barrier wait for a flush even on a server set to `off` (the tests' one)."""
    if services.db.dialect != "postgresql":
        pytest.skip("PostgreSQL's store only")
    store = services.claims.store
    await store._open()  # type: ignore[attr-defined]
    assert store._level == "on"  # type: ignore[attr-defined]
    assert "synchronous_commit TO on" in store._barrier_sql  # type: ignore[attr-defined]
    assert "pg_logical_emit_message(true" in store._barrier_sql  # type: ignore[attr-defined]


def test_the_pace_turns_asynchronous_when_commits_are_slow_and_back_when_fast() -> None:
    pace = CommitPace()
    assert not any(pace.next_asynchronous() for _ in range(20))
    for _ in range(5):
        pace.observe(0.0003)  # a fast disk: 0.3 ms a synchronous commit
    assert not pace.next_asynchronous()
    for _ in range(10):
        pace.observe(0.008)  # 8 ms
    choices = [pace.next_asynchronous() for _ in range(8 * CommitPace.PROBE_EVERY)]
    # Asynchronous, but one batch in PROBE_EVERY commits synchronously to keep measuring.
    assert choices.count(False) == 8
    for _ in range(20):
        pace.observe(0.0003)
    assert not any(pace.next_asynchronous() for _ in range(20))
    pinned = CommitPace(fixed=True)
    pinned.observe(0.0001)
    assert all(pinned.next_asynchronous() for _ in range(20))


@pytest.mark.parametrize("asynchronous", [True, False], ids=["asynchronous", "synchronous"])
def test_which_answers_wait_for_the_barrier(asynchronous: bool) -> None:
    """An asynchronous batch's answers all wait; a synchronous batch's wait only when it
    took nothing (its commit flushed nothing, and a refusal may rest on a claim another
    process committed asynchronously)."""
    from storage.claim_store.contract import TakeResult
    from storage.claim_store.postgres import _flagged

    taken, refused = TakeResult(TakeOutcome.TAKEN), TakeResult(TakeOutcome.NOT_TAKEN)
    mixed = _flagged([taken, refused], asynchronous)
    assert [wait for _, wait in mixed] == [asynchronous, asynchronous]
    assert [wait for _, wait in _flagged([refused, refused], asynchronous)] == [True, True]


@pytest.fixture(params=["adaptive", "asynchronous"])
def paced(request: pytest.FixtureRequest, services: Services) -> Services:
    """The PostgreSQL store as it runs (adaptive; the tests' server flushes fast, so
    synchronous) and pinned asynchronous (every answer through the barrier)."""
    if request.param == "asynchronous":
        if services.db.dialect != "postgresql":
            pytest.skip("SQLite has no asynchronous commit here")
        services.claims.store.pace = CommitPace(fixed=True)  # type: ignore[attr-defined]
    return services


async def rush(services: Services, shop_id: int, voucher_id: int, buyers: list[str]) -> Counter:
    outcomes: Counter[str] = Counter()

    async def one(buyer: str) -> None:
        try:
            await services.claims.claim(shop_id, voucher_id, buyer)
            outcomes["claimed"] += 1
        except ClaimRefused as exc:
            outcomes[exc.code] += 1

    await asyncio.gather(*(one(b) for b in buyers))
    return outcomes


async def stored(services: Services, voucher_id: int) -> dict[str, int]:
    """What the database holds of the voucher: claims, counters, buckets, notices."""
    async with services.db.read() as session:
        claims = await session.scalar(
            select(func.count()).where(col(Claim.voucher_id) == voucher_id)
        )
        buyers = await session.scalar(
            select(func.coalesce(func.sum(VoucherBuyer.claims), 0)).where(
                col(VoucherBuyer.voucher_id) == voucher_id
            )
        )
        most = await session.scalar(
            select(func.coalesce(func.max(VoucherBuyer.claims), 0)).where(
                col(VoucherBuyer.voucher_id) == voucher_id
            )
        )
        buckets = await session.scalar(
            select(func.coalesce(func.sum(ClaimBucket.claims), 0)).where(
                col(ClaimBucket.voucher_id) == voucher_id
            )
        )
        kinds = (
            await session.execute(
                select(col(Notification.kind)).where(
                    col(Notification.event_key).contains(f":voucher:{voucher_id}:")
                )
            )
        ).scalars()
        notices = Counter(kinds)
    return {
        "claims": claims or 0,
        "counters": int(buyers or 0),
        "most": int(most or 0),
        "buckets": int(buckets or 0),
        **{f"notice:{k}": n for k, n in notices.items()},
    }


async def test_r_v12_many_batches_of_one_voucher_in_flight(paced: Services, seller):
    services = paced
    """1,500 claims of 1,000 buyers (limit 2) for 400: batches follow each other while the
    earlier ones are still being flushed; exactly 400 are taken, no buyer passes 2, every
    counter, bucket and the two quota notices agree (R-v12, R-v5, R-n1)."""
    await services.shops.set_team_chat(seller, -100)
    v = await services.vouchers.create(seller, draft(total_quantity=400, per_customer_limit=2))
    buyers = [f"b{i % 1000}" for i in range(1500)]
    outcomes = await rush(services, seller.shop_id, v.id, buyers)
    assert outcomes["claimed"] == 400
    assert set(outcomes) <= {"claimed", "sold_out", "limit_reached"}
    view = await services.vouchers.get(seller, v.id)
    assert (view.claimed, view.remaining) == (400, 0)
    held = await stored(services, v.id)
    assert (held["claims"], held["counters"], held["buckets"]) == (400, 400, 400)
    assert held["most"] <= 2
    assert (held.get("notice:quota_80"), held.get("notice:sold_out")) == (1, 1)


async def test_r_v10_quantity_raised_during_a_rush_is_claimed_exactly(paced: Services, seller):
    services = paced
    """The quantity is raised while batches are in flight: every unit of the new total is
    claimed, never one more, and sold out is answered only once nothing is left."""
    v = await services.vouchers.create(seller, draft(total_quantity=100))
    first = asyncio.ensure_future(
        rush(services, seller.shop_id, v.id, [f"a{i}" for i in range(400)])
    )

    async def some_taken() -> bool:
        return (await services.vouchers.get(seller, v.id)).claimed >= 20

    await eventually(some_taken, "the rush under way", interval=0.001)
    await services.vouchers.add_quantity(seller, v.id, 150)
    outcomes = await first
    view = await services.vouchers.get(seller, v.id)
    assert view.claimed == outcomes["claimed"] <= 250
    # Whatever the first rush left, a second one takes exactly that and no more.
    more = await rush(services, seller.shop_id, v.id, [f"c{i}" for i in range(300)])
    assert outcomes["claimed"] + more["claimed"] == 250
    assert more["sold_out"] == 300 - more["claimed"]
    view = await services.vouchers.get(seller, v.id)
    assert (view.claimed, view.remaining) == (250, 0)
    assert (await stored(services, v.id))["claims"] == 250


async def test_r_v12_ten_vouchers_at_once(paced: Services, seller):
    services = paced
    """Batches of ten vouchers in flight together: each gets exactly its quantity."""
    vouchers = [await services.vouchers.create(seller, draft(total_quantity=30)) for _ in range(10)]
    results = await asyncio.gather(
        *(
            rush(services, seller.shop_id, v.id, [f"v{v.id}-{i}" for i in range(60)])
            for v in vouchers
        )
    )
    assert [r["claimed"] for r in results] == [30] * 10
    for v in vouchers:
        assert (await stored(services, v.id))["claims"] == 30
