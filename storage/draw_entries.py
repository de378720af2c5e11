"""The entries of lucky draws (R-draw1): their group-committed writer, and what an entry is
checked against, read in one statement (on PostgreSQL, one statement per batch of entries).

Core decides an entry from what the reader read *before* the write (`EntryContext`); the
writer's transaction checks only data — is the draw still open — and inserts, so storage
never calls back into core inside a transaction. Entries and the close never interleave: the
close turns a draw from `open` to `drawing` with a conditional UPDATE, and every batch of
entries reads the draw's status with a share lock (PostgreSQL: `FOR SHARE`; SQLite write
transactions are serial anyway) in the transaction that inserts them. So an entry either
commits before the close takes its row lock — and is in the draw — or sees the draw closed and
is refused; the set of entrants is frozen at the close.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlmodel import col, select

from storage.claim_store.batcher import GroupCommit, SqliteBatches
from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.models import Draw, DrawEntry
from storage.repositories._common import MAX_ID, _insert

OPEN, DRAWING, DRAWN, CANCELLED = "open", "drawing", "drawn", "cancelled"
# Entries that arrive together are written in one transaction of at most this many.
MAX_ENTRY_BATCH = 500
PG_BATCHES_IN_FLIGHT = 4
_ONE_QUEUE = 0  # every entry waits in one queue (the batch groups them by draw)


def _storable(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


class EntryOutcome(StrEnum):
    """What an entry gets. Core's verdict (`core.services.draw_life.entry_verdict`) gives
    ENTER (write it), REFUSED (with the error), TASK (the task needs the claim path's check),
    MISSING (no such draw), REPEAT or CLOSED; the writer gives ENTERED, REPEAT or CLOSED."""

    ENTER = "enter"
    ENTERED = "entered"
    REPEAT = "repeat"
    CLOSED = "closed"
    REFUSED = "refused"
    TASK = "task"
    MISSING = "missing"


# --- the entry writer: group commit ---------------------------------------------------------

_DRAW_STATUS = "SELECT status, closes_at FROM draw WHERE distribution_id = ?"
_INSERT_ENTRY = (
    "INSERT INTO drawentry (distribution_id, buyer_id, entered_at) VALUES (?, ?, ?) "
    "ON CONFLICT (distribution_id, buyer_id) DO NOTHING RETURNING entered_at"
)
_ENTRY_AT = "SELECT entered_at FROM drawentry WHERE distribution_id = ? AND buyer_id = ?"
# One statement a draw, atomic by itself (no BEGIN/COMMIT round trips): the draw row FOR
# SHARE — the close's UPDATE waits for this batch (module doc) —, the entries inserted while
# it is open, and what it was.
_ENTER_PG = """
WITH d AS (SELECT status, closes_at FROM draw WHERE distribution_id = $1 FOR SHARE),
ins AS (
    INSERT INTO drawentry (distribution_id, buyer_id, entered_at)
    SELECT $1, e.b, e.t
    FROM unnest($2::text[], $3::timestamptz[]) AS e(b, t), d
    WHERE d.status = 'open' AND e.t < d.closes_at
    ON CONFLICT (distribution_id, buyer_id) DO NOTHING
    RETURNING buyer_id
)
SELECT (SELECT status FROM d), (SELECT closes_at FROM d), ARRAY(SELECT buyer_id FROM ins)
"""
_ENTRIES_AT_PG = (
    "SELECT buyer_id, entered_at FROM drawentry WHERE distribution_id = $1 AND buyer_id = ANY($2)"
)


def _sqlite_ts(value: datetime) -> str:
    """The text SQLAlchemy stores for a `UTCDateTime` on SQLite, so comparisons line up."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class EntryRequest:
    """An entry core has decided to write (its verdict was ENTER)."""

    distribution_id: int
    buyer_id: str
    now: datetime


@dataclass(frozen=True)
class EntryResult:
    outcome: EntryOutcome
    entered_at: datetime | None = None
    status: str | None = None  # the draw's status, with CLOSED
    error: Exception | None = None  # with REFUSED


def _open_at(status: str | None, closes_at: datetime | None, now: datetime) -> bool:
    return status == OPEN and closes_at is not None and now < closes_at


def _closed(status: str | None) -> EntryResult:
    return EntryResult(EntryOutcome.CLOSED, status=status or CANCELLED)


async def _no_reset(_conn: Any) -> None:
    """The pool's reset between batches: none (the default is one more round trip a batch,
    and these statements change no session state)."""


class _PgPool:
    """A small pool of asyncpg connections of its own, opened on first use: a batch costs its
    statement alone, without the ORM pool's checkout ping (the claim store's way)."""

    def __init__(self, db: Database) -> None:
        self._dsn = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def pool(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=PG_BATCHES_IN_FLIGHT, reset=_no_reset
                )
        return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class EntryWriter:
    """Writes the entries that arrive together in one transaction (the group-commit batcher
    the claim stores use): a rush of entries costs one commit per batch instead of one per
    viewer (100,000 entries in a minute). On SQLite the batch runs in plain SQL on the
    writer's own connection (`SqliteBatches`, the claim store's way); on PostgreSQL each
    draw's entries of a batch are one statement (`_ENTER_PG`), its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._sqlite: SqliteBatches[EntryRequest, EntryResult] | None = None
        if db.is_sqlite and db.url.database not in (None, "", ":memory:"):
            self._sqlite = SqliteBatches(
                db.url.database or "", self._apply_sqlite, thread_name="entry-writer"
            )
        # SQLite has one writer at a time anyway; on PostgreSQL a few batches in flight
        # overlap their commits (the server merges concurrent WAL flushes).
        in_flight = PG_BATCHES_IN_FLIGHT if db.dialect == "postgresql" else 1
        self._pg = _PgPool(db)
        self._batches: GroupCommit[int, EntryRequest, EntryResult] = GroupCommit(
            self._write_batch, max_batch=MAX_ENTRY_BATCH, in_flight=in_flight
        )

    async def enter(self, request: EntryRequest) -> EntryResult:
        return await self._batches.submit(_ONE_QUEUE, request)

    async def _write_batch(self, _key: int, requests: list[EntryRequest]) -> list[EntryResult]:
        if self._sqlite is not None:
            async with self.db.sqlite_write_turn():
                return await self._sqlite.run(requests)
        if self.db.dialect == "postgresql":
            return await self._write_pg(requests)
        return await self._write(requests)

    async def close(self) -> None:
        await self._batches.drain()
        if self._sqlite is not None:
            await self._sqlite.close()
        await self._pg.close()

    # --- SQLite ------------------------------------------------------------------------------

    def _apply_sqlite(
        self, conn: sqlite3.Connection, requests: list[EntryRequest]
    ) -> list[EntryResult]:
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            results = self._entries_sqlite(cursor, requests)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        return results

    @staticmethod
    def _entries_sqlite(cursor: sqlite3.Cursor, requests: list[EntryRequest]) -> list[EntryResult]:
        draws: dict[int, tuple[str | None, datetime | None]] = {}
        results: list[EntryResult] = []
        for r in requests:
            if r.distribution_id not in draws:
                row = cursor.execute(_DRAW_STATUS, (r.distribution_id,)).fetchone()
                draws[r.distribution_id] = (row[0], _instant(row[1])) if row else (None, None)
            status, closes_at = draws[r.distribution_id]
            if not _open_at(status, closes_at, r.now):
                results.append(_closed(status))
                continue
            at = _sqlite_ts(r.now)
            inserted = cursor.execute(_INSERT_ENTRY, (r.distribution_id, r.buyer_id, at)).fetchone()
            if inserted is not None:
                results.append(EntryResult(EntryOutcome.ENTERED, r.now))
                continue
            first = cursor.execute(_ENTRY_AT, (r.distribution_id, r.buyer_id)).fetchone()
            results.append(EntryResult(EntryOutcome.REPEAT, _instant(first[0]) if first else r.now))
        return results

    # --- PostgreSQL: asyncpg itself, set-wise statements ----------------------------------------

    async def _write_pg(self, requests: list[EntryRequest]) -> list[EntryResult]:
        results: dict[int, EntryResult] = {}
        by_draw: dict[int, list[int]] = {}
        for i, r in enumerate(requests):
            by_draw.setdefault(r.distribution_id, []).append(i)
        async with (await self._pg.pool()).acquire() as raw:
            for distribution_id, positions in by_draw.items():
                await self._batch_pg(raw, distribution_id, positions, requests, results)
        return [results[i] for i in range(len(requests))]

    @staticmethod
    async def _batch_pg(
        raw: Any,
        distribution_id: int,
        positions: list[int],
        requests: list[EntryRequest],
        results: dict[int, EntryResult],
    ) -> None:
        fresh: dict[str, datetime] = {}  # each buyer's first request of the batch
        for i in positions:
            fresh.setdefault(requests[i].buyer_id, requests[i].now)
        status, closes_at, inserted_list = await raw.fetchrow(
            _ENTER_PG, distribution_id, list(fresh), list(fresh.values())
        )
        inserted = set(inserted_list)
        earlier = [b for b in fresh if b not in inserted and _open_at(status, closes_at, fresh[b])]
        known = dict(await raw.fetch(_ENTRIES_AT_PG, distribution_id, earlier)) if earlier else {}
        first_in_batch: set[str] = set()
        for i in positions:
            r = requests[i]
            b = r.buyer_id
            if not _open_at(status, closes_at, r.now):
                results[i] = _closed(status)
            elif b in inserted and b not in first_in_batch:
                first_in_batch.add(b)
                results[i] = EntryResult(EntryOutcome.ENTERED, fresh[b])
            else:  # the same buyer again in this batch, or entered by an earlier batch
                results[i] = EntryResult(EntryOutcome.REPEAT, known.get(b, fresh[b]))

    # --- any other database: the ORM's connection -------------------------------------------------

    async def _write(self, requests: list[EntryRequest]) -> list[EntryResult]:
        results: dict[int, EntryResult] = {}
        by_draw: dict[int, list[int]] = {}
        for i, r in enumerate(requests):
            by_draw.setdefault(r.distribution_id, []).append(i)
        async with self.db.write() as session:
            for distribution_id, positions in by_draw.items():
                stmt = select(Draw.status, Draw.closes_at).where(
                    Draw.distribution_id == distribution_id
                )
                if not self.db.is_sqlite:
                    stmt = stmt.with_for_update(read=True)  # FOR SHARE: see the module doc
                row = (await session.execute(stmt)).first()
                status, closes_at = (row[0], row[1]) if row else (None, None)
                fresh: dict[str, datetime] = {}
                for i in positions:
                    r = requests[i]
                    if not _open_at(status, closes_at, r.now):
                        results[i] = _closed(status)
                    else:
                        fresh.setdefault(r.buyer_id, r.now)
                inserted: set[str] = set()
                if fresh:
                    stmt_in = (
                        _insert(session, DrawEntry)
                        .values(
                            [
                                {"distribution_id": distribution_id, "buyer_id": b, "entered_at": t}
                                for b, t in fresh.items()
                            ]
                        )
                        .on_conflict_do_nothing(index_elements=["distribution_id", "buyer_id"])
                        .returning(DrawEntry.buyer_id)
                    )
                    inserted = {row[0] for row in (await session.execute(stmt_in)).all()}
                earlier = [b for b in fresh if b not in inserted]
                known: dict[str, datetime] = {}
                if earlier:
                    stmt_known = select(DrawEntry.buyer_id, DrawEntry.entered_at).where(
                        DrawEntry.distribution_id == distribution_id,
                        col(DrawEntry.buyer_id).in_(earlier),
                    )
                    known = {b: t for b, t in (await session.execute(stmt_known)).all()}
                first_in_batch: set[str] = set()
                for i in positions:
                    if i in results:
                        continue
                    b = requests[i].buyer_id
                    if b in inserted and b not in first_in_batch:
                        first_in_batch.add(b)
                        results[i] = EntryResult(EntryOutcome.ENTERED, fresh[b])
                    else:
                        results[i] = EntryResult(EntryOutcome.REPEAT, known.get(b, fresh[b]))
        return [results[i] for i in range(len(requests))]


# --- what an entry is checked against, in one statement --------------------------------------

_ENTRY_CONTEXT = """
SELECT d.voucher_id, d.session_id, d.account_id, d.stopped_at, d.task_type, d.task_minutes,
       dr.status, dr.closes_at, v.starts_at, v.ends_at, v.deactivated_at, v.per_customer_limit,
       e.entered_at, w.watched_seconds, vb.claims
FROM distribution d
JOIN draw dr ON dr.distribution_id = d.id
JOIN voucher v ON v.id = d.voucher_id
LEFT JOIN drawentry e ON e.distribution_id = d.id AND e.buyer_id = :buyer
LEFT JOIN watchrecord w ON w.session_id = d.session_id AND w.buyer_id = :buyer
LEFT JOIN voucherbuyer vb ON vb.voucher_id = d.voucher_id AND vb.buyer_id = :buyer
WHERE d.id = :did AND d.shop_id = :shop
"""


# PostgreSQL: the context of a whole batch of buyers of one draw in one statement.
_ENTRY_CONTEXTS_PG = """
SELECT u.b, d.voucher_id, d.session_id, d.account_id, d.stopped_at, d.task_type,
       d.task_minutes, dr.status, dr.closes_at, v.starts_at, v.ends_at, v.deactivated_at,
       v.per_customer_limit, e.entered_at, w.watched_seconds, vb.claims
FROM distribution d
JOIN draw dr ON dr.distribution_id = d.id
JOIN voucher v ON v.id = d.voucher_id
CROSS JOIN unnest($3::text[]) AS u(b)
LEFT JOIN drawentry e ON e.distribution_id = d.id AND e.buyer_id = u.b
LEFT JOIN watchrecord w ON w.session_id = d.session_id AND w.buyer_id = u.b
LEFT JOIN voucherbuyer vb ON vb.voucher_id = d.voucher_id AND vb.buyer_id = u.b
WHERE d.id = $1 AND d.shop_id = $2
"""


@dataclass(frozen=True)
class EntryContext:
    voucher_id: int
    session_id: int
    account_id: int
    stopped_at: datetime | None
    task_type: str
    task_minutes: int | None
    status: str
    closes_at: datetime
    starts_at: datetime
    ends_at: datetime
    deactivated_at: datetime | None
    per_customer_limit: int
    entered_at: datetime | None  # the buyer's first entry, if any
    watched_seconds: int
    buyer_claims: int


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    # SQLite: naive UTC text; PostgreSQL: the driver's aware datetime
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _instant_of(value: Any) -> datetime:
    """A NOT NULL column's instant."""
    at = _instant(value)
    if at is None:
        raise ValueError("an instant was expected")
    return at


def _context(row: Any) -> EntryContext:
    """An `EntryContext` from the columns of `_ENTRY_CONTEXT`, in its order."""
    return EntryContext(
        voucher_id=row[0],
        session_id=row[1],
        account_id=row[2],
        stopped_at=_instant(row[3]),
        task_type=row[4],
        task_minutes=row[5],
        status=row[6],
        closes_at=_instant_of(row[7]),
        starts_at=_instant_of(row[8]),
        ends_at=_instant_of(row[9]),
        deactivated_at=_instant(row[10]),
        per_customer_limit=row[11],
        entered_at=_instant(row[12]),
        watched_seconds=int(row[13] or 0),
        buyer_claims=int(row[14] or 0),
    )


class EntryContextReader:
    """Reads everything an entry is checked against (the draw, its distribution, voucher, and
    the buyer's entry, watch time and claims), outside any transaction, before core decides
    the entry. On SQLite it is one point query on its own connection on the event loop's
    thread (a WAL reader never waits for the writer, and a point query takes microseconds,
    less than a hop to a driver thread); on PostgreSQL the buyers of one draw that ask
    together are read in one statement (the group-commit batcher's queue, one round trip a
    batch)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None
        self._pg = _PgPool(db)
        self._batches: GroupCommit[tuple[int, int], str, EntryContext | None] = GroupCommit(
            self._read_pg, max_batch=MAX_ENTRY_BATCH, in_flight=PG_BATCHES_IN_FLIGHT
        )

    async def read(self, shop_id: int, distribution_id: int, buyer_id: str) -> EntryContext | None:
        if not _storable(distribution_id):
            return None
        params = {"buyer": buyer_id, "did": distribution_id, "shop": shop_id}
        if self.db.is_sqlite and self.db.url.database not in (None, "", ":memory:"):
            row = self._sqlite().execute(_ENTRY_CONTEXT, params).fetchone()
        elif self.db.dialect == "postgresql":
            return await self._batches.submit((distribution_id, shop_id), buyer_id)
        else:
            async with self.db.read() as session:
                row = (await session.execute(text(_ENTRY_CONTEXT), params)).first()
        return None if row is None else _context(row)

    async def _read_pg(self, key: tuple[int, int], buyers: list[str]) -> list[EntryContext | None]:
        distribution_id, shop_id = key
        # asyncpg itself, one statement outside any transaction: one round trip.
        async with (await self._pg.pool()).acquire() as raw:
            rows = await raw.fetch(
                _ENTRY_CONTEXTS_PG, distribution_id, shop_id, list(dict.fromkeys(buyers))
            )
        found = {row[0]: _context(row[1:]) for row in rows}
        return [found.get(b) for b in buyers]

    def _sqlite(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.db.url.database or "",
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: no read transaction outlives its query
                check_same_thread=False,
            )
            conn.execute("PRAGMA query_only=ON")
            self._conn = conn
        return self._conn

    async def close(self) -> None:
        await self._batches.drain()
        await self._pg.close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
