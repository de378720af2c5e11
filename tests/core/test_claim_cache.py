"""The claim path's memory never changes an answer the rules would give (R-c1, R-v12)."""

from __future__ import annotations

import asyncio
import time

import pytest

from core.errors import ClaimRefused
from core.services import Services
from core.services.claim_cache import ClaimCache
from tests.conftest import draft


async def code_of(coro) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClaimRefused) as exc:
        await coro
    return exc.value.code


async def test_adding_quantity_reopens_a_sold_out_voucher_at_once(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "sold_out"
    await services.vouchers.add_quantity(seller, v.id, 1)
    assert (await services.claims.claim(seller.shop_id, v.id, "b2")).status == "claimed"


async def test_deactivation_is_seen_at_once(services: Services, seller):
    v = await services.vouchers.create(seller, draft())
    await services.claims.claim(seller.shop_id, v.id, "b1")  # the voucher is now remembered
    await services.vouchers.deactivate(seller, v.id)
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "not_claimable"


async def test_limit_named_before_sold_out_for_buyers_of_another_process(
    services: Services, seller, db, clock
):
    """Process B sells the voucher out; process A, which never saw those claims, still names
    the limit first for a buyer at the limit and sold_out for the others."""
    v = await services.vouchers.create(seller, draft(total_quantity=2, per_customer_limit=1))
    other = Services.build(db, clock)  # a second process's services on the same database
    await other.claims.claim(seller.shop_id, v.id, "b1")
    await other.claims.claim(seller.shop_id, v.id, "b2")
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b1")) == "limit_reached"
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b3")) == "sold_out"
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b2")) == "limit_reached"


async def test_a_stale_snapshot_never_lets_a_claim_through(services: Services, seller, db, clock):
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    stale = Services.build(db, clock)
    await stale.claims.claim(seller.shop_id, v.id, "warm")  # remembers claimed=0 → took 1
    await services.vouchers.deactivate(seller, v.id)  # another process deactivates
    await services.vouchers.create(seller, draft())
    # the stale process still believes the voucher ongoing: the write refuses anyway
    assert await code_of(stale.claims.claim(seller.shop_id, v.id, "late")) in (
        "not_claimable",
        "sold_out",
    )
    assert (await services.vouchers.get(seller, v.id)).claimed == 1


async def _heard(follower: Services, change) -> None:  # type: ignore[no-untyped-def]
    """Makes `change` in another process's services; returns once `follower` has heard of
    it: on SQLite's next change check, on the notification on PostgreSQL."""
    heard = asyncio.Event()
    follower.changes.subscribe(lambda topic, ident: heard.set())
    await follower.changes.start()
    heard.clear()  # (re)connecting announces "forget everything": not the change itself
    await change
    if follower.db.dialect == "postgresql":
        await asyncio.wait_for(heard.wait(), 5)
        return
    # SQLite checks at most every 5 ms: ask until it has looked (bounded, no sleep).
    deadline = time.monotonic() + 1.0
    while not heard.is_set():
        assert time.monotonic() < deadline, "the change counter was never seen"
        follower.changes.fresh()


async def test_r_scale1_a_raise_in_another_process_is_claimable_here(
    db, clock, seller, services: Services
):
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    follower = Services.build(db, clock)  # another process's services on the same database
    await follower.changes.start()
    assert await code_of(follower.claims.claim(seller.shop_id, v.id, "b2")) == "sold_out"
    await _heard(follower, services.vouchers.add_quantity(seller, v.id, 1))
    assert (await follower.claims.claim(seller.shop_id, v.id, "b2")).status == "claimed"


async def test_r_scale1_a_deactivation_elsewhere_comes_first_in_r_c1_order(
    db, clock, seller, services: Services
):
    """Sold out and at the limit here; deactivated elsewhere: not_claimable, the code R-c1
    names first, for every buyer."""
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    follower = Services.build(db, clock)
    await follower.changes.start()
    await follower.claims.claim(seller.shop_id, v.id, "b1")
    assert await code_of(follower.claims.claim(seller.shop_id, v.id, "b1")) == "limit_reached"
    await _heard(follower, services.vouchers.deactivate(seller, v.id))
    for buyer in ("b1", "b2"):
        assert await code_of(follower.claims.claim(seller.shop_id, v.id, buyer)) == (
            "not_claimable"
        )


async def test_r_scale1_a_load_that_straddles_a_change_is_not_kept(seller, services: Services):
    """The change arrives while the voucher is being read: the row read may predate it, so
    the cache must not keep it."""
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    cache = services.claims.cache
    load = cache.load_target

    async def load_then_change(voucher_id: int):  # type: ignore[no-untyped-def]
        target = await load(voucher_id)
        cache.on_change("voucher", str(voucher_id))  # the notification lands mid-load
        return target

    cache.load_target = load_then_change
    assert (await cache.target(v.id)) is not None
    cache.load_target = load
    assert v.id not in cache._targets


def test_r_scale1_without_a_listening_feed_nothing_is_answered_from_memory():
    loads: list[int] = []
    listening = [False]

    async def load(voucher_id: int) -> None:
        loads.append(voucher_id)

    cache = ClaimCache(load_target=load, fresh=lambda: listening[0])

    async def twice() -> None:
        await cache.target(1)
        await cache.target(1)

    asyncio.run(twice())
    assert loads == [1, 1]  # not listening: read each time, nothing kept
    listening[0] = True
    asyncio.run(twice())
    assert loads == [1, 1, 1]  # listening: read once, then remembered


async def test_idempotent_replay_is_answered_across_processes(
    services: Services, seller, db, clock
):
    v = await services.vouchers.create(seller, draft(per_customer_limit=1))
    first = await services.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k")
    other = Services.build(db, clock)
    assert await other.claims.claim(seller.shop_id, v.id, "b1", idempotency_key="k") == first


async def test_r_scale1_a_lost_listener_drops_the_caches_and_listens_again(
    db, clock, seller, services: Services
):
    """PostgreSQL: the listener's connection is killed. Until it is back nothing is answered
    from memory, and once back the caches start empty (what changed meanwhile was unheard)."""
    if db.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    from sqlalchemy import text

    v = await services.vouchers.create(seller, draft(total_quantity=5))
    follower = Services.build(db, clock)
    feed = follower.changes
    await feed.start()
    await follower.claims.claim(seller.shop_id, v.id, "b1")
    assert v.id in follower.claims.cache._targets
    dropped = asyncio.Event()
    feed.subscribe(lambda topic, ident: dropped.set() if topic is None else None)
    async with services.db.write() as session:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
        )
    await asyncio.wait_for(dropped.wait(), 10)
    assert v.id not in follower.claims.cache._targets
    await asyncio.wait_for(feed.connected.wait(), 10)  # reconnected by itself
    assert feed.fresh()
    heard = asyncio.Event()
    feed.subscribe(lambda topic, ident: heard.set() if topic == "voucher" else None)
    await services.vouchers.deactivate(seller, v.id)
    await asyncio.wait_for(heard.wait(), 5)  # listening again
    assert await code_of(follower.claims.claim(seller.shop_id, v.id, "b2")) == "not_claimable"


async def test_r_n1_a_raise_between_snapshot_and_write_still_notifies(
    db, seller, services: Services
):
    """The quantity grows after this process read the voucher and before the claim is
    written (the window no change feed can close): the prepared notices are for the old
    total, so the claim that crosses 80% of the new one is notified by core afterwards."""
    from sqlalchemy import text

    from tests.core.helpers import outbox, with_team

    await with_team(services, seller)
    v = await services.vouchers.create(seller, draft(total_quantity=4))
    for n in range(3):
        await services.claims.claim(seller.shop_id, v.id, f"b{n}")  # remembered: 3 of 4
    async with services.db.write() as session:  # below the ORM: no announcement
        await session.execute(text(f"UPDATE voucher SET total_quantity = 5 WHERE id = {v.id}"))
    await services.claims.claim(seller.shop_id, v.id, "b3")  # 4 of 5: crosses 80%
    notices = [n for n in await outbox(services) if n.kind in ("quota_80", "sold_out")]
    assert [(n.kind, n.event_key.endswith(":5")) for n in notices] == [("quota_80", True)]


def test_r_scale1_sqlite_checks_the_change_counter_at_most_every_5_ms(tmp_path):
    """The check is throttled by a controllable clock: within 5 ms nothing is read; after,
    another connection's committed change is seen and drops the caches."""
    import sqlite3

    from storage.changes import SqliteChangeFeed

    path = tmp_path / "changes.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    ticks = [0.0]
    feed = SqliteChangeFeed(str(path), every=0.005, monotonic=lambda: ticks[0])
    dropped: list[object] = []
    feed.subscribe(lambda topic, ident: dropped.append(topic))
    assert feed.fresh() and dropped == []  # the first look learns the counter
    writer.execute("PRAGMA user_version = 7")  # another process's change commits
    ticks[0] = 0.004
    assert feed.fresh() and dropped == []  # not looked yet: within 5 ms of the last look
    ticks[0] = 0.006
    assert feed.fresh() and dropped == [None]  # looked: everything forgotten
    ticks[0] = 0.012
    assert feed.fresh() and dropped == [None]  # nothing new
    writer.close()
