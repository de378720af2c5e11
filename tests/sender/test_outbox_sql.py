"""storage.outbox on SQLite and PostgreSQL: which rows are due, and who wins a lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clock import FrozenClock
from storage import outbox
from storage.db import Database
from tests.sender.conftest import OTHER_GROUP, PRIVATE_CHAT, TEAM_GROUP, Outbox

LEASE = timedelta(seconds=60)


async def heads(db: Database, clock: FrozenClock, **kwargs: object) -> list[tuple[int, str]]:
    async with db.read() as session:
        due = await outbox.due_heads(session, clock.now(), limit=100, **kwargs)  # type: ignore[arg-type]
    return [(m.chat_id, m.text) for m in due]


async def lease(db: Database, clock: FrozenClock, message_id: int) -> bool:
    async with db.write() as session:
        return await outbox.lease(session, message_id, clock.now(), clock.now() + LEASE)


async def test_only_the_oldest_pending_message_of_each_chat_is_due(
    db: Database, clock: FrozenClock, outbox_rows: Outbox
) -> None:
    first = await outbox_rows.add(TEAM_GROUP, "team 1")
    await outbox_rows.add(PRIVATE_CHAT, "private 1")
    await outbox_rows.add(TEAM_GROUP, "team 2")
    await outbox_rows.add(OTHER_GROUP, "later", at=clock.now() + timedelta(minutes=5))
    assert await heads(db, clock) == [(TEAM_GROUP, "team 1"), (PRIVATE_CHAT, "private 1")]
    assert await heads(db, clock, exclude_chats={TEAM_GROUP}) == [(PRIVATE_CHAT, "private 1")]
    assert await heads(db, clock, exclude_ids={first}) == [(PRIVATE_CHAT, "private 1")]

    assert await lease(db, clock, first)  # in flight: neither it nor its successor is due
    assert await heads(db, clock) == [(PRIVATE_CHAT, "private 1")]
    async with db.write() as session:
        await outbox.mark_sent(session, first, clock.now())
    assert await heads(db, clock) == [(PRIVATE_CHAT, "private 1"), (TEAM_GROUP, "team 2")]


async def test_a_failed_message_no_longer_holds_back_its_chat(
    db: Database, clock: FrozenClock, outbox_rows: Outbox
) -> None:
    first = await outbox_rows.add(TEAM_GROUP, "team 1")
    await outbox_rows.add(TEAM_GROUP, "team 2")
    async with db.write() as session:
        await outbox.retry_at(session, first, clock.now() + timedelta(seconds=30), "NetworkError")
    assert await heads(db, clock) == []
    async with db.write() as session:
        await outbox.mark_failed(session, first, clock.now(), "Forbidden: bot was kicked")
    assert await heads(db, clock) == [(TEAM_GROUP, "team 2")]
    async with db.read() as session:
        assert await outbox.count_pending(session) == 1


async def test_a_later_message_cannot_be_leased_before_its_elders(
    db: Database, clock: FrozenClock, outbox_rows: Outbox
) -> None:
    first = await outbox_rows.add(TEAM_GROUP, "team 1")
    second = await outbox_rows.add(TEAM_GROUP, "team 2")
    assert not await lease(db, clock, second)
    assert await lease(db, clock, first)
    assert not await lease(db, clock, first)  # already leased
    clock.advance(LEASE)
    assert await lease(db, clock, first)  # the lease ran out: someone may try again


async def test_of_many_racing_leases_exactly_one_wins(
    db: Database, clock: FrozenClock, outbox_rows: Outbox
) -> None:
    """Several "processes" (own engines) race for one row, many times over."""
    others = [Database(db.url.render_as_string(hide_password=False)) for _ in range(3)]
    try:
        for n in range(10):
            row_id = await outbox_rows.add(-100800 - n, f"race {n}")
            results = await asyncio.gather(
                *(lease(engine, clock, row_id) for engine in [db, *others, db])
            )
            assert results.count(True) == 1, results
    finally:
        for engine in others:
            await engine.dispose()


async def test_moving_a_migrated_group_keeps_its_pending_messages(
    db: Database, clock: FrozenClock, outbox_rows: Outbox
) -> None:
    sent = await outbox_rows.add(TEAM_GROUP, "old news")
    await outbox_rows.add(TEAM_GROUP, "news")
    async with db.write() as session:
        await outbox.mark_sent(session, sent, clock.now())
        assert await outbox.move_chat(session, TEAM_GROUP, -1001234567890) == 1
    assert await heads(db, clock) == [(-1001234567890, "news")]
