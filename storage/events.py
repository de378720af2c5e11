"""SQL of the event log (R-ev1): append an event with the shop's next `seq`, read the log,
prune it.

`seq` comes from the shop's `eventcounter` row, raised by one UPDATE in the transaction of
the change. On PostgreSQL the UPDATE's row lock makes the shop's writers take their numbers
one after another and commit in that order; on SQLite there is one writer. A transaction that
rolls back gives its number back with everything else, so the numbers that commit have no
gaps. A reader may see seq 7 only after seq 6 has committed (the lock is held to commit).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.changes import announce
from storage.db import Database
from storage.models import Event, EventCounter, TimedDrop, WebhookAttempt, WebhookDelivery
from storage.sql import row_id

# A change notice for other processes' streams (R-ev3): the topic published on PostgreSQL.
EVENT_TOPIC = "event"


@dataclass(frozen=True)
class StoredEvent:
    """One row of the log, as readers need it."""

    pk: int
    id: str
    shop_id: int
    seq: int
    type: str
    live_session_id: int | None
    created_at: datetime
    data: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "type": self.type,
            "created_at": self.created_at.isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }

    @cached_property
    def envelope_json(self) -> str:
        """The envelope as a live stream sends it: encoded once, however many subscribers
        receive the same event (R-ev3's fan-out)."""
        return json.dumps(self.envelope(), ensure_ascii=False)


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(18)


def data_text(data: dict[str, Any]) -> str:
    """The `data` column's text (also written so by the claim stores' batches)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def _next_seq(session: AsyncSession, shop_id: int) -> int:
    bump = (
        update(EventCounter)
        .where(col(EventCounter.shop_id) == shop_id)
        .values(last_seq=col(EventCounter.last_seq) + 1)
        .returning(col(EventCounter.last_seq))
    )
    seq = (await session.execute(bump)).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    # The shop's first event: make its counter (a racing first writer is met by the UPDATE).
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(
            pg_insert(EventCounter).values(shop_id=shop_id, last_seq=0).on_conflict_do_nothing()
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(
            sqlite_insert(EventCounter).values(shop_id=shop_id, last_seq=0).on_conflict_do_nothing()
        )
    return int((await session.execute(bump)).scalar_one())


async def once_recorded(session: AsyncSession, once_key: str) -> bool:
    stmt = select(col(Event.id)).where(col(Event.once_key) == once_key)
    return (await session.execute(stmt)).first() is not None


async def append(
    session: AsyncSession,
    shop_id: int,
    type_: str,
    data: dict[str, Any],
    now: datetime,
    *,
    live_session_id: int | None = None,
    once_key: str | None = None,
) -> StoredEvent | None:
    """Writes one event in the caller's transaction; None when `once_key` was recorded."""
    if once_key is not None and await once_recorded(session, once_key):
        return None
    seq = await _next_seq(session, shop_id)
    public_id = new_event_id()
    stmt = (
        insert(Event)
        .values(
            public_id=public_id,
            shop_id=shop_id,
            seq=seq,
            type=type_,
            live_session_id=live_session_id,
            once_key=once_key,
            created_at=now,
            data=data_text(data),
        )
        .returning(col(Event.id))
    )
    pk = int((await session.execute(stmt)).scalar_one() or 0)
    announce(session.sync_session, f"{EVENT_TOPIC}:{shop_id}")
    return StoredEvent(pk, public_id, shop_id, seq, type_, live_session_id, now, data)


def stored(row: Event) -> StoredEvent:
    return StoredEvent(
        row_id(row),
        row.public_id,
        row.shop_id,
        row.seq,
        row.type,
        row.live_session_id,
        row.created_at,
        json.loads(row.data),
    )


async def list_after(
    session: AsyncSession,
    shop_id: int,
    after: int,
    *,
    types: Sequence[str] = (),
    limit: int = 100,
    live_session_id: int | None = None,
) -> list[StoredEvent]:
    """The shop's events with seq > after, in seq order."""
    stmt = select(Event).where(col(Event.shop_id) == shop_id, col(Event.seq) > after)
    if types:
        stmt = stmt.where(col(Event.type).in_(list(types)))
    if live_session_id is not None:
        stmt = stmt.where(col(Event.live_session_id) == live_session_id)
    stmt = stmt.order_by(col(Event.seq)).limit(limit)
    return [stored(row) for row in (await session.execute(stmt)).scalars()]


async def get_by_public_id(
    session: AsyncSession, shop_id: int, public_id: str
) -> StoredEvent | None:
    stmt = select(Event).where(col(Event.shop_id) == shop_id, col(Event.public_id) == public_id)
    row = (await session.execute(stmt)).scalar_one_or_none()
    return stored(row) if row is not None else None


async def get_by_pk(session: AsyncSession, pk: int) -> StoredEvent | None:
    row = await session.get(Event, pk)
    return stored(row) if row is not None else None


async def last_seq(session: AsyncSession, shop_id: int) -> int:
    stmt = select(col(EventCounter.last_seq)).where(col(EventCounter.shop_id) == shop_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)


async def max_pk(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(col(Event.id))))).scalar_one() or 0)


async def prune(session: AsyncSession, before: datetime, *, batch: int = 5000) -> int:
    """Deletes up to `batch` events older than `before` (with their deliveries and attempts);
    the counters stay, so `seq` keeps rising."""
    old = (
        select(col(Event.id))
        .where(col(Event.created_at) < before)
        .order_by(col(Event.id))
        .limit(batch)
    )
    ids = [int(i or 0) for i in (await session.execute(old)).scalars()]
    if not ids:
        return 0
    await session.execute(delete(WebhookAttempt).where(col(WebhookAttempt.event_id).in_(ids)))
    await session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.event_id).in_(ids)))
    await session.execute(delete(Event).where(col(Event.id).in_(ids)))
    return len(ids)


async def drops_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[TimedDrop]:
    if not ids:
        return []
    stmt = select(TimedDrop).where(col(TimedDrop.id).in_(list(ids))).order_by(col(TimedDrop.id))
    return list((await session.execute(stmt)).scalars())


# --- this process's commits (R-ev3: the streams of the writing process hear at once) ------

class LogTop:
    """The log's highest row id on SQLite, read on a connection of this object's own, on the
    caller's thread: one lookup at the end of the table's primary key, some 10 µs with no
    thread hop, cheap enough for a process's live streams to look every few milliseconds for
    the events of other processes (SQLite has no NOTIFY). `read()` is None when SQLite is busy
    (the caller's regular read of the log answers instead)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._sql = f"SELECT max(id) FROM {Event.__tablename__}"

    @classmethod
    def of(cls, db: Database) -> LogTop | None:
        """One for a SQLite file; None on PostgreSQL (NOTIFY tells) or in memory."""
        path = db.url.database if db.is_sqlite else None
        return cls(path) if path and path != ":memory:" else None

    def read(self) -> int | None:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(
                    self._path, timeout=0, isolation_level=None, check_same_thread=False
                )
            return int(self._conn.execute(self._sql).fetchone()[0] or 0)
        except sqlite3.Error:
            return None  # never waits on the event loop's thread

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
