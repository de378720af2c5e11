"""R-ev1 for claims: `voucher.quota_low`, `voucher.sold_out` and `voucher.budget_low` are written
by the claim store in the claim batch's own transaction (on SQLite and PostgreSQL), numbered from
the shop's counter with no gap: a crash after the claim's commit cannot lose them, and a batch
rolled back leaves neither the claims nor their events nor a used `seq`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.events import EventType, claim_events
from core.rules.claim_outcomes import TakeOutcome
from core.rules.roles import Actor
from core.services import Services
from storage import events as store
from storage.claim_store import TakeRequest, TakeResult
from tests.conftest import draft
from tests.support.take_requests import take_request


async def _log(services: Services, shop_id: int) -> list[store.StoredEvent]:
    async with services.db.read() as session:
        return await store.list_after(session, shop_id, 0, limit=1000)


async def _last_seq(services: Services, shop_id: int) -> int:
    async with services.db.read() as session:
        return await store.last_seq(session, shop_id)


def _id(voucher_id: int | None) -> int:
    assert voucher_id is not None
    return voucher_id


def _request(shop_id: int, voucher_id: int, name: str, total: int, buyer: str) -> TakeRequest:
    """What the claim service asks the store, with the events core prepares for it."""
    events = claim_events(shop_id, voucher_id, name, total)
    return take_request(shop_id, voucher_id, buyer, events=events)


async def test_r_ev1_a_rush_that_sells_out_writes_quota_low_and_sold_out_once_without_gaps(
    services: Services, seller: Actor
) -> None:
    """40 buyers rush 10 units (batches of many claims): the 8th claim writes quota_low, the
    10th sold_out, each once, and the shop's seq has no gap."""
    shop = seller.shop_id
    v = await services.vouchers.create(seller, draft(total_quantity=10, per_customer_limit=1))
    vid = _id(v.id)
    outcomes = await asyncio.gather(
        *(services.claims.claim(shop, vid, f"rush-{i}") for i in range(40)),
        return_exceptions=True,
    )
    assert sum(1 for o in outcomes if not isinstance(o, BaseException)) == 10
    events = await _log(services, shop)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert await _last_seq(services, shop) == len(events)
    types = [e.type for e in events]
    assert types.count("voucher.sold_out") == 1 and types.count("voucher.quota_low") == 1
    low = next(e for e in events if e.type == "voucher.quota_low")
    out = next(e for e in events if e.type == "voucher.sold_out")
    assert low.seq < out.seq
    assert low.data == {
        "voucher_id": v.id,
        "name": v.name,
        "claimed": 8,
        "total_quantity": 10,
        "remaining": 2,
    }
    assert out.data["claimed"] == 10 and out.data["remaining"] == 0
    assert not any(e.type.startswith("voucher.budget_") for e in events)  # no budget


async def test_r_ev1_one_batch_crossing_quota_and_budget_numbers_its_events_in_claim_order(
    services: Services, seller: Actor
) -> None:
    """Five claims of five units in one batch, each holding 500 of a 2,500 budget: the 4th
    claim crosses 80% of the quota and of the budget, the 5th sells out."""
    shop = seller.shop_id
    v = await services.vouchers.create(
        seller, draft(total_quantity=5, per_customer_limit=1, budget=2_500)
    )
    claim_store = services.claims.store
    results = await asyncio.gather(
        *(claim_store.take(_request(shop, _id(v.id), v.name, 5, f"b{i}")) for i in range(6))
    )
    assert [r.outcome for r in results] == ["taken"] * 5 + ["not_taken"]
    events = [e for e in await _log(services, shop) if e.type != "voucher.created"]
    assert [e.type for e in events] == [
        "voucher.quota_low",
        "voucher.budget_low",
        "voucher.sold_out",
    ]
    assert [e.seq for e in events] == [2, 3, 4]
    assert events[1].data["reserved"] == 2_000 and events[1].data["left"] == 500
    assert events[1].data["budget"] == 2_500 and events[1].data["spent"] == 0


async def test_r_ev1_the_store_commits_the_event_with_the_claim(
    services: Services, seller: Actor
) -> None:
    """Straight from the store's answer, before any code of the claim service runs after it
    (where the event used to be written, in a second transaction): the event is there."""
    shop = seller.shop_id
    v = await services.vouchers.create(seller, draft(total_quantity=1))
    result = await services.claims.store.take(_request(shop, _id(v.id), v.name, 1, "a"))
    assert result.outcome == TakeOutcome.TAKEN
    [event] = [e for e in await _log(services, shop) if e.type == "voucher.sold_out"]
    assert event.seq == await _last_seq(services, shop)


async def test_r_ev1_a_batch_rolled_back_leaves_no_event_and_no_gap(
    services: Services, seller: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch fails after writing the sold-out claim and its event, before its commit
    (SQLite: an error in the batch; PostgreSQL: the commit itself fails): the claim, the
    event and its seq all go; the next try writes the event with the next seq."""
    shop = seller.shop_id
    v = await services.vouchers.create(seller, draft(total_quantity=2, per_customer_limit=1))
    claim_store = services.claims.store
    assert (await claim_store.take(_request(shop, _id(v.id), v.name, 2, "a"))).outcome == "taken"
    before = await _last_seq(services, shop)
    async with _failing_commit(services, claim_store, monkeypatch):
        with pytest.raises(Exception, match="crash before commit"):
            await claim_store.take(_request(shop, _id(v.id), v.name, 2, "b"))
    assert await _last_seq(services, shop) == before
    assert "voucher.sold_out" not in [e.type for e in await _log(services, shop)]
    assert (await services.vouchers.get(seller, _id(v.id))).claimed == 1  # the claim went too
    assert (await claim_store.take(_request(shop, _id(v.id), v.name, 2, "b"))).outcome == "taken"
    events = await _log(services, shop)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events if e.seq > before] == [EventType.VOUCHER_SOLD_OUT]


class _failing_commit:
    """Makes the store's next batch fail after its statements ran, before it commits."""

    def __init__(self, services: Services, claim_store: Any, monkeypatch: pytest.MonkeyPatch):
        self.services, self.store, self.monkeypatch = services, claim_store, monkeypatch

    async def __aenter__(self) -> None:
        if self.services.db.dialect == "postgresql":
            # A deferred trigger raises at COMMIT: the event was written, the commit fails.
            await self._pg(
                "CREATE FUNCTION test_crash() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'crash before commit'; END $$",
                "CREATE CONSTRAINT TRIGGER test_crash AFTER INSERT ON event "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_crash()",
            )
            return
        one = self.store._one

        def crash_after(cursor: Any, r: TakeRequest) -> TakeResult:
            one(cursor, r)
            written = "SELECT count(*) FROM event WHERE type = 'voucher.sold_out'"
            assert cursor.execute(written).fetchone()[0] == 1  # in the batch's transaction
            raise RuntimeError("crash before commit")

        self.monkeypatch.setattr(self.store, "_one", crash_after)

    async def __aexit__(self, *_: object) -> None:
        if self.services.db.dialect == "postgresql":
            await self._pg("DROP TRIGGER test_crash ON event", "DROP FUNCTION test_crash()")
        else:
            self.monkeypatch.undo()

    async def _pg(self, *statements: str) -> None:
        import asyncpg

        from storage.claim_store.postgres import asyncpg_dsn

        conn = await asyncpg.connect(asyncpg_dsn(self.services.db))
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()


async def test_r_ev1_a_raise_between_snapshot_and_write_still_writes_the_quota_events(
    services: Services, seller: Actor
) -> None:
    """The quantity grows after this process read the voucher and before the claim is written
    (the window no change feed can close): the prepared events are for the old total, so core
    writes the ones the claims cross of the new total, once each, with no gap."""
    from sqlalchemy import text

    shop = seller.shop_id
    v = await services.vouchers.create(seller, draft(total_quantity=4))
    vid = _id(v.id)
    for n in range(3):
        await services.claims.claim(shop, vid, f"b{n}")  # remembered: 3 of 4
    async with services.db.write() as session:  # below the ORM: no announcement
        await session.execute(text(f"UPDATE voucher SET total_quantity = 5 WHERE id = {vid}"))
    await services.claims.claim(shop, vid, "b3")  # 4 of 5: crosses 80%
    await services.claims.claim(shop, vid, "b4")  # 5 of 5: sold out
    events = await _log(services, shop)
    quota = [(e.type, e.data["claimed"], e.data["total_quantity"]) for e in events[1:]]
    assert quota == [("voucher.quota_low", 4, 5), ("voucher.sold_out", 5, 5)]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
