"""R-seg from memory (`core.services.buyer_histories`) never changes an answer the rules would
give: a buyer's new order, cancellation or follow is seen at once in this process and through
the change feed in every other one (R-scale1), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import astuple
from datetime import timedelta

import pytest

from core.errors import ClaimRefused
from core.rules.targeting import BuyerHistory
from core.services import Services
from core.services.buyer_histories import NEVER, BuyerHistories, Instants
from storage.db import Database
from storage.resources import Resources
from tests.conftest import NOW, draft

LINE = [{"product_id": "x", "unit_price": 3000, "quantity": 1}]


async def _refusal(services: Services, shop_id: int, voucher_id: int, buyer: str) -> str | None:
    try:
        await services.claims.claim(shop_id, voucher_id, buyer)
    except ClaimRefused as exc:
        return exc.code
    return None


@pytest.fixture
async def other(db_url: str, clock) -> AsyncIterator[Services]:  # type: ignore[no-untyped-def]
    """Another process: its own database object (connections, session hooks), its own feed."""
    database = Database(db_url)
    resources = await Resources.open(database)
    try:
        yield Services.build(database, clock, resources=resources)
    finally:
        await resources.close()
        await database.dispose()


async def _heard_by(other: Services, change) -> None:  # type: ignore[no-untyped-def]
    """Makes `change` here; returns once `other` heard a buyer announced through its feed."""
    heard = asyncio.Event()
    other.changes.subscribe(lambda topic, ident: heard.set() if topic == "buyer" else None)
    await change
    if other.db.dialect == "postgresql":
        await asyncio.wait_for(heard.wait(), 5)
        return
    deadline = time.monotonic() + 1.0  # SQLite checks at most every 5 ms: ask until it looked
    while not heard.is_set():
        assert time.monotonic() < deadline, "the change note was never heard"
        other.changes.fresh()


async def test_r_seg_an_order_placed_after_the_shop_was_read_is_seen_at_once(
    services: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft(segment="new_customers", per_customer_limit=2))
    assert await _refusal(services, seller.shop_id, v.id, "b") is None  # the shop is in memory
    await services.checkout.place_order(platform, "o1", "b", LINE)
    assert await _refusal(services, seller.shop_id, v.id, "b") == "segment_not_met"


async def test_r_seg_a_cancellation_is_seen_at_once(services: Services, seller, platform):
    v = await services.vouchers.create(
        seller, draft(segment="repeat_customers", per_customer_limit=3)
    )
    await services.checkout.place_order(platform, "o1", "b", LINE)
    assert await _refusal(services, seller.shop_id, v.id, "b") is None
    await services.checkout.cancel_order(platform, "o1")
    assert await _refusal(services, seller.shop_id, v.id, "b") == "segment_not_met"


async def test_r_scale1_an_order_in_another_process_is_seen_here(
    services: Services, other: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft(segment="new_customers", per_customer_limit=2))
    assert await _refusal(other, seller.shop_id, v.id, "b") is None  # `other` keeps the shop
    await _heard_by(other, services.checkout.place_order(platform, "o1", "b", LINE))
    assert await _refusal(other, seller.shop_id, v.id, "b") == "segment_not_met"


async def test_r_scale1_a_follow_in_another_process_is_seen_here(
    services: Services, other: Services, seller
):
    v = await services.vouchers.create(seller, draft(segment="new_followers"))
    assert await _refusal(other, seller.shop_id, v.id, "fan") == "segment_not_met"
    follow = services.live.record_follow(seller.shop_id, "fan", "acme_official", "follow", at=NOW)
    await _heard_by(other, follow)
    assert await _refusal(other, seller.shop_id, v.id, "fan") is None


async def test_r_scale1_an_order_on_sqlite_drops_no_other_cache(
    services: Services, seller, platform, db: Database
):
    """A buyer's order is a note for that buyer, not the change counter that makes every
    process forget every voucher and every buyer."""
    if not db.is_sqlite:
        pytest.skip("SQLite's change counter and notes")
    path = db.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:
        before = conn.execute("PRAGMA user_version").fetchone()[0]
    await services.checkout.place_order(platform, "o1", "b", LINE)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == before
        topics = [t for (t,) in conn.execute("SELECT topic FROM changenote")]
    assert topics == [f"buyer:{seller.shop_id}:b"]


async def test_r_scale1_pruned_notes_make_a_late_process_forget_everything(
    services: Services, other: Services, seller, platform, db: Database
):
    if not db.is_sqlite:
        pytest.skip("SQLite's change notes")
    forgot = asyncio.Event()
    other.changes.subscribe(lambda topic, ident: forgot.set() if topic is None else None)
    other.changes.fresh()
    await services.checkout.place_order(platform, "o1", "b", LINE)
    await services.checkout.place_order(platform, "o2", "c", LINE)
    path = db.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:  # the first note is pruned before `other` read it
        conn.execute("DELETE FROM changenote WHERE seq = (SELECT min(seq) FROM changenote)")
    deadline = time.monotonic() + 1.0
    while not forgot.is_set():
        assert time.monotonic() < deadline, "the gap was never noticed"
        other.changes.fresh()


# --- the memory itself ------------------------------------------------------------------------

H = BuyerHistory(NOW - timedelta(days=3), NOW - timedelta(days=3), None)


def _histories(shop: dict[str, BuyerHistory], reads: list[str], **kw) -> BuyerHistories:  # type: ignore[no-untyped-def]
    async def load_shop(_shop_id: int, limit: int) -> dict[str, Instants] | None:
        reads.append("shop")
        return {b: astuple(h) for b, h in shop.items()} if len(shop) <= limit else None  # type: ignore[misc]

    async def load_buyer(_shop_id: int, buyer_id: str) -> Instants:
        reads.append(buyer_id)
        return astuple(shop.get(buyer_id, NEVER))  # type: ignore[return-value]

    return BuyerHistories(load_shop=load_shop, load_buyer=load_buyer, **kw)


async def test_r_seg_a_shop_is_read_once_then_answered_from_memory():
    reads: list[str] = []
    histories = _histories({"old": H}, reads)
    assert await histories.of(1, "old") == H
    assert await histories.of(1, "new") == NEVER
    assert await histories.of(1, "old") == H
    assert reads == ["shop"]


async def test_r_seg_a_buyer_announced_while_the_shop_loads_stays_stale():
    """The shop's read may predate the buyer's order: the buyer is read again, alone."""
    shop: dict[str, BuyerHistory] = {}
    reads: list[str] = []
    histories = _histories(shop, reads)
    load = histories.load_shop

    async def load_then_order(shop_id: int, limit: int) -> dict[str, Instants] | None:
        rows = await load(shop_id, limit)
        shop["b"] = H  # the order commits after the read...
        histories.on_change("buyer", f"{shop_id}:b")  # ...and is heard before the load ends
        return rows

    histories.load_shop = load_then_order
    assert await histories.of(1, "b") == H
    assert reads == ["shop", "b"]
    assert await histories.of(1, "b") == H
    assert reads == ["shop", "b"]  # kept after the lone read


async def test_r_seg_a_reread_that_straddles_an_announcement_is_not_kept():
    shop: dict[str, BuyerHistory] = {}
    reads: list[str] = []
    histories = _histories(shop, reads)
    await histories.of(1, "b")
    histories.on_change("buyer", "1:b")
    load = histories.load_buyer

    async def read_then_order(shop_id: int, buyer_id: str) -> Instants:
        history = await load(shop_id, buyer_id)
        shop["b"] = H
        histories.on_change("buyer", f"{shop_id}:b")
        return history

    histories.load_buyer = read_then_order
    assert await histories.of(1, "b") == NEVER  # what was read, but not kept
    histories.load_buyer = load
    assert await histories.of(1, "b") == H


async def test_r_seg_a_load_that_straddles_a_forget_everything_is_not_kept():
    reads: list[str] = []
    histories = _histories({}, reads)
    load = histories.load_shop

    async def load_then_forget(shop_id: int, limit: int) -> dict[str, Instants] | None:
        rows = await load(shop_id, limit)
        histories.on_change(None, None)
        return rows

    histories.load_shop = load_then_forget
    await histories.of(1, "b")
    histories.load_shop = load
    await histories.of(1, "b")
    assert reads == ["shop", "shop"]


async def test_r_seg_a_shop_over_the_cap_is_read_buyer_by_buyer():
    reads: list[str] = []
    histories = _histories({"a": H, "b": H}, reads, shop_max=1)
    assert await histories.of(1, "a") == H
    assert await histories.of(1, "c") == NEVER
    assert reads == ["shop", "a", "c"]  # the shop was not kept, nor tried again


async def test_r_scale1_without_a_fresh_feed_every_answer_is_read():
    reads: list[str] = []
    histories = _histories({"a": H}, reads, fresh=lambda: False)
    assert await histories.of(1, "a") == H
    assert await histories.of(1, "a") == H
    assert reads == ["a", "a"]


async def test_r_seg_shops_past_the_process_total_are_read_buyer_by_buyer():
    reads: list[str] = []
    histories = _histories({"a": H, "b": H}, reads, total_max=3)
    assert await histories.of(1, "a") == H  # 2 kept
    assert await histories.of(2, "a") == H  # 2 more would be 4: not kept
    assert await histories.of(2, "b") == H
    assert reads == ["shop", "shop", "a", "b"]


async def test_r_seg_the_kept_histories_are_not_tracked_by_the_garbage_collector():
    """A shop of past buyers in memory must not lengthen every full collection."""
    import gc

    histories = _histories({f"b{n}": H for n in range(100)}, [])
    await histories.of(1, "b1")
    gc.collect()
    known = histories._shops[1]
    assert known is not None and not gc.is_tracked(known.known)
