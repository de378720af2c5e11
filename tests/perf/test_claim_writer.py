"""The SQLite claim writer's fast path (no savepoint per claim, batches on the event loop) must
leave exactly what the sure way (a savepoint per claim, rolled back on refusal) leaves."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from core.notifications import notification_row
from core.rules.roles import Actor
from core.services import Services
from storage.claim_store import PreparedNotice, TakeRequest, TakeResult
from storage.claim_store import sqlite as claim_store
from storage.claim_store.sqlite import SqliteClaimStore
from storage.db import Database
from tests.conftest import NOW, draft
from tests.support.take_requests import take_request

TABLES = {
    "voucher": "SELECT id, claimed, total_quantity FROM voucher ORDER BY id",
    "voucherbuyer": "SELECT voucher_id, buyer_id, claims FROM voucherbuyer ORDER BY 1, 2",
    "claim": "SELECT * FROM claim ORDER BY id",
    "claimbucket": "SELECT * FROM claimbucket ORDER BY 1, 2, 3, 4",
    "notification": "SELECT shop_id, event_key, kind, text FROM notification ORDER BY id",
}


_request = take_request


def _notice(shop_id: int, total: int) -> tuple[PreparedNotice, ...]:
    row = notification_row(
        shop_id, 42, event_key=f"sold_out:{total}", kind="sold_out", text="Gone", now=NOW
    )
    return (PreparedNotice(total, total, row),)


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}


def _copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _path(db: Database) -> Path:
    return Path(db.url.database or "")


async def _both_ways(
    db: Database, tmp_path: Path, requests: list[TakeRequest]
) -> tuple[list[TakeResult], list[TakeResult], Path, Path]:
    """The batch through the store's own path, and through savepoints on a copy."""
    reference = tmp_path / "reference.db"
    _copy(_path(db), reference)
    store = SqliteClaimStore(db)
    try:
        fast = await asyncio.gather(*(store.take(r) for r in requests))
    finally:
        await store.close()
    sure_db = Database(f"sqlite+aiosqlite:///{reference}")
    sure = SqliteClaimStore(sure_db)
    try:
        slow = sure._in_transaction(requests, sure._one_in_savepoint)
    finally:
        await sure.close()
        await sure_db.dispose()
    return list(fast), slow, _path(db), reference


async def test_refusals_undo_exactly_what_a_savepoint_would(
    sqlite_services: Services, shop_seller: Actor, sqlite_db: Database, tmp_path: Path
) -> None:
    shop = shop_seller.shop_id
    v = await sqlite_services.vouchers.create(
        shop_seller, draft(total_quantity=3, per_customer_limit=2)
    )
    other = await sqlite_services.vouchers.create(shop_seller, draft(total_quantity=5))
    vid, oid = v.id, other.id
    assert vid is not None and oid is not None
    notice = _notice(shop, 3)
    requests = [
        _request(shop, vid, "ann", limit=2, notices=notice),
        _request(shop, vid, "ann", limit=2, notices=notice),  # ann's second: her row counts 2
        _request(shop, vid, "ann", limit=2, notices=notice),  # limit_reached
        _request(shop, oid, "bob", idempotency_key="k1"),
        _request(shop, oid, "cid", idempotency_key="k1"),  # duplicate_key: quota given back
        _request(shop, oid, "dan", distribution_id=999_999),  # distribution_stopped
        _request(shop, vid, "eve", limit=2, notices=notice),  # the last unit: sold-out notice
        _request(shop, vid, "fay", limit=2, notices=notice),  # not_taken: fay's row removed
        _request(shop, vid, "eve", limit=2, notices=notice),  # not_taken: eve's row back to 1
    ]
    fast, slow, path, reference = await _both_ways(sqlite_db, tmp_path, requests)

    assert [r.outcome for r in fast] == [
        "taken",
        "taken",
        "limit_reached",
        "taken",
        "duplicate_key",
        "distribution_stopped",
        "taken",
        "not_taken",
        "not_taken",
    ]
    assert fast == slow
    after = _dump(path)
    assert after == _dump(reference)
    assert (vid, "fay", 1) not in after["voucherbuyer"]
    assert (vid, "eve", 1) in after["voucherbuyer"]
    assert [row[2] for row in after["notification"]] == ["sold_out"]


async def test_a_failure_with_no_undo_redoes_the_batch_with_savepoints(
    sqlite_services: Services, shop_seller: Actor, sqlite_db: Database, tmp_path: Path
) -> None:
    shop = shop_seller.shop_id
    v = await sqlite_services.vouchers.create(shop_seller, draft(total_quantity=2))
    assert v.id is not None
    broken = _notice(999_999, 2)  # its notification names no shop: a foreign key failure
    requests = [
        _request(shop, v.id, "ann", notices=broken),
        _request(shop, v.id, "bob", notices=broken),  # the sold-out notice fails…
        _request(shop, v.id, "cid", notices=broken),  # …and so does cid's, on the unit given back
    ]
    fast, slow, path, reference = await _both_ways(sqlite_db, tmp_path, requests)

    assert [r.outcome for r in fast] == ["taken", "duplicate_key", "duplicate_key"]
    assert fast == slow
    assert _dump(path) == _dump(reference)


async def test_waits_for_another_connections_lock_without_blocking_the_loop(
    sqlite_services: Services, shop_seller: Actor, sqlite_db: Database
) -> None:
    v = await sqlite_services.vouchers.create(shop_seller, draft(total_quantity=5))
    assert v.id is not None
    shop = shop_seller.shop_id
    store = SqliteClaimStore(sqlite_db)
    waiting = threading.Event()
    apply_waiting = store._apply_waiting

    def tell_waiting(requests: list[TakeRequest]) -> list[TakeResult]:
        waiting.set()
        return apply_waiting(requests)

    store._apply_waiting = tell_waiting  # type: ignore[method-assign]
    other = sqlite3.connect(_path(sqlite_db), isolation_level=None, check_same_thread=False)
    try:
        assert (await store.take(_request(shop, v.id, "ann"))).outcome == "taken"
        assert not waiting.is_set()  # the lock was free: written on the loop's thread
        other.execute("BEGIN IMMEDIATE")  # as another process writing would
        take = asyncio.create_task(store.take(_request(shop, v.id, "bob")))
        # The loop keeps turning (this await completes) while the claim waits for the lock.
        assert await asyncio.wait_for(asyncio.to_thread(waiting.wait, 10), 20)
        assert not take.done()
        other.execute("COMMIT")
        result = await asyncio.wait_for(take, 30)
    finally:
        other.close()
        await store.close()
    assert result.outcome == "taken"
    assert _dump(_path(sqlite_db))["voucher"][-1][1] == 2


async def test_checkpoints_run_on_the_writer_thread(
    sqlite_services: Services, shop_seller: Actor, sqlite_db: Database
) -> None:
    v = await sqlite_services.vouchers.create(shop_seller, draft(total_quantity=1000))
    assert v.id is not None
    store = SqliteClaimStore(sqlite_db)
    try:
        for n in range(claim_store.CHECKPOINT_EVERY_BATCHES):
            await store.take(_request(shop_seller.shop_id, v.id, f"b{n}"))
        checkpoint = store._checkpoint
        assert checkpoint is not None
        await asyncio.wait_for(checkpoint, 30)
        assert store._connection().execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    finally:
        await store.close()


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 6, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 6, 1, 12, 0, 5, 123456, tzinfo=UTC),
        datetime(1000, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2026, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_timestamp_text_is_what_strftime_gives(value: datetime) -> None:
    expected = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    assert claim_store._ts(value) == expected
