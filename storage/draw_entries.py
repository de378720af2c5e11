"""The entries of lucky draws (R-draw1): their group-committed writer, and what an entry is
checked against, read in one statement.

Entries and the close never interleave: the close turns a draw from `open` to `drawing` with a
conditional UPDATE, and every batch of entries reads the draw's status with a share lock
(PostgreSQL: `FOR SHARE`; SQLite write transactions are serial anyway) in the transaction that
inserts them. So an entry either commits before the close takes its row lock — and is in the
draw — or sees the draw closed and is refused; the set of entrants is frozen at the close.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.models import Draw, DrawEntry
from storage.repositories import MAX_ID, _insert

OPEN, DRAWING, DRAWN, CANCELLED = "open", "drawing", "drawn", "cancelled"
# Entries that arrive together are written in one transaction of at most this many.
MAX_ENTRY_BATCH = 500
PG_BATCHES_IN_FLIGHT = 4


def _storable(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


# --- the entry writer: group commit ---------------------------------------------------------

_DRAW_STATUS = "SELECT status, closes_at FROM draw WHERE distribution_id = ?"
_INSERT_ENTRY = (
    "INSERT INTO drawentry (distribution_id, buyer_id, entered_at) VALUES (?, ?, ?) "
    "ON CONFLICT (distribution_id, buyer_id) DO NOTHING RETURNING entered_at"
)
_ENTRY_AT = "SELECT entered_at FROM drawentry WHERE distribution_id = ? AND buyer_id = ?"
_INSERT_ENTRIES_PG = (
    "INSERT INTO drawentry (distribution_id, buyer_id, entered_at) "
    "SELECT $1, b, t FROM unnest($2::text[], $3::timestamptz[]) AS e(b, t) "
    "ON CONFLICT (distribution_id, buyer_id) DO NOTHING RETURNING buyer_id"
)
_DRAW_CONTEXT_PG = """
SELECT d.voucher_id, d.session_id, d.account_id, d.stopped_at, d.task_type, d.task_minutes,
       dr.status, dr.closes_at, v.starts_at, v.ends_at, v.deactivated_at, v.per_customer_limit
FROM distribution d
JOIN draw dr ON dr.distribution_id = d.id
JOIN voucher v ON v.id = d.voucher_id
WHERE d.id = $1 AND d.shop_id = $2
FOR SHARE OF dr
"""
_BUYER_CONTEXT_PG = """
SELECT u.b, e.entered_at, w.watched_seconds, vb.claims
FROM unnest($4::text[]) AS u(b)
LEFT JOIN drawentry e ON e.distribution_id = $1 AND e.buyer_id = u.b
LEFT JOIN watchrecord w ON w.session_id = $2 AND w.buyer_id = u.b
LEFT JOIN voucherbuyer vb ON vb.voucher_id = $3 AND vb.buyer_id = u.b
"""
_ENTRIES_AT_PG = (
    "SELECT buyer_id, entered_at FROM drawentry WHERE distribution_id = $1 AND buyer_id = ANY($2)"
)


def _sqlite_ts(value: datetime) -> str:
    """The text SQLAlchemy stores for a `UTCDateTime` on SQLite, so comparisons line up."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class EntryRequest:
    distribution_id: int
    buyer_id: str
    now: datetime
    # Where the checks run in the batch (PostgreSQL): the shop, and the rule that decides
    # an entry from its context (`EntryResult("enter")` to write it).
    shop_id: int | None = None
    verdict: Callable[[EntryContext | None, datetime], EntryResult] | None = None


@dataclass(frozen=True)
class EntryResult:
    """`outcome`: entered | repeat | closed (with the draw's status then); from a verdict
    also refused (with `error`), task (the task needs checking), missing (no such draw)."""

    outcome: str
    entered_at: datetime | None = None
    status: str | None = None
    error: Exception | None = None


class EntryWriter:
    """Writes the entries that arrive together in one transaction: a rush of entries costs
    one commit per batch instead of one per viewer (100,000 entries in a minute).

    On SQLite the batch runs in plain SQL on the writer's own connection, on the event loop's
    thread when SQLite's write lock is free (this process's writers take turns through
    `sqlite_write_turn`), and on a dedicated thread that waits for the lock when another
    process holds it — the claim store's way, for the same reason: a statement through the
    async driver costs a thread hop each, which under load cost more than the statements."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[EntryRequest, asyncio.Future[EntryResult]]] = []
        self._flushers: set[asyncio.Task[None]] = set()
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._sqlite = db.is_sqlite and db.url.database not in (None, "", ":memory:")
        # PostgreSQL checks each entry inside the batch that writes it (one round trip for a
        # whole batch instead of one per entry); SQLite reads are cheaper one by one.
        self.checks_in_batch = db.dialect == "postgresql"

    async def enter(self, request: EntryRequest) -> EntryResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[EntryResult] = loop.create_future()
        self._pending.append((request, future))
        # SQLite has one writer at a time anyway; on PostgreSQL a few batches in flight
        # overlap their commits (the server merges concurrent WAL flushes).
        # (A flusher that just returned is done before its done-callback drops it from
        # the set: count only the running ones, or an entry could wait for nobody.)
        running = sum(1 for t in self._flushers if not t.done())
        if running < (PG_BATCHES_IN_FLIGHT if self.checks_in_batch else 1):
            task = loop.create_task(self._flush())
            self._flushers.add(task)
            task.add_done_callback(self._flushers.discard)
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_ENTRY_BATCH]
            self._pending = self._pending[MAX_ENTRY_BATCH:]
            try:
                if self._sqlite:
                    async with self.db.sqlite_write_turn():
                        results = await self._write_sqlite([r for r, _ in batch])
                elif self.db.dialect == "postgresql":
                    results = await self._write_pg([r for r, _ in batch])
                else:
                    results = await self._write([r for r, _ in batch])
            except Exception as exc:  # rolled back: every caller hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    # --- SQLite ------------------------------------------------------------------------------

    async def _write_sqlite(self, requests: list[EntryRequest]) -> list[EntryResult]:
        conn = self._connection()
        conn.execute("PRAGMA busy_timeout=0")
        try:
            return self._apply_sqlite(conn, requests)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="entry-writer")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._apply_waiting, requests)

    def _apply_waiting(self, requests: list[EntryRequest]) -> list[EntryResult]:
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return self._apply_sqlite(conn, requests)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.db.url.database or "", isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

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
            if status != OPEN or closes_at is None or r.now >= closes_at:
                results.append(EntryResult("closed", status=status or CANCELLED))
                continue
            at = _sqlite_ts(r.now)
            inserted = cursor.execute(_INSERT_ENTRY, (r.distribution_id, r.buyer_id, at)).fetchone()
            if inserted is not None:
                results.append(EntryResult("entered", r.now))
                continue
            first = cursor.execute(_ENTRY_AT, (r.distribution_id, r.buyer_id)).fetchone()
            results.append(EntryResult("repeat", _instant(first[0]) if first else r.now))
        return results

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # --- PostgreSQL: asyncpg itself, set-wise statements ----------------------------------------

    async def _write_pg(self, requests: list[EntryRequest]) -> list[EntryResult]:
        results: dict[int, EntryResult] = {}
        by_draw: dict[tuple[int, int], list[int]] = {}
        for i, r in enumerate(requests):
            by_draw.setdefault((r.distribution_id, r.shop_id or 0), []).append(i)
        async with self.db.write_engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            async with raw.transaction():
                for (distribution_id, shop_id), positions in by_draw.items():
                    await self._batch_pg(
                        raw, distribution_id, shop_id, positions, requests, results
                    )
        return [results[i] for i in range(len(requests))]

    @staticmethod
    async def _batch_pg(
        raw: Any,
        distribution_id: int,
        shop_id: int,
        positions: list[int],
        requests: list[EntryRequest],
        results: dict[int, EntryResult],
    ) -> None:
        # FOR SHARE of the draw row: the close's UPDATE waits for this batch (module doc).
        base = await raw.fetchrow(_DRAW_CONTEXT_PG, distribution_id, shop_id)
        buyers = list(dict.fromkeys(requests[i].buyer_id for i in positions))
        per_buyer: dict[str, tuple[Any, Any, Any]] = {}
        if base is not None:
            rows = await raw.fetch(
                _BUYER_CONTEXT_PG, distribution_id, base[1], base[0], buyers
            )
            per_buyer = {row[0]: (row[1], row[2], row[3]) for row in rows}
        fresh: dict[str, datetime] = {}
        first_of: dict[str, int] = {}
        for i in positions:
            r = requests[i]
            ctx = None
            if base is not None:
                entered, watched, claims = per_buyer.get(r.buyer_id, (None, None, None))
                ctx = EntryContext(
                    *base,
                    entered_at=entered,
                    watched_seconds=int(watched or 0),
                    buyer_claims=int(claims or 0),
                )
            verdict = r.verdict(ctx, r.now) if r.verdict else EntryResult("enter")
            if verdict.outcome != "enter":
                results[i] = verdict
            elif r.buyer_id in first_of:  # the same buyer twice in one batch
                results[i] = EntryResult("repeat", fresh[r.buyer_id])
            else:
                first_of[r.buyer_id] = i
                fresh[r.buyer_id] = r.now
        if not fresh:
            return
        inserted = {
            b
            for (b,) in await raw.fetch(
                _INSERT_ENTRIES_PG, distribution_id, list(fresh), list(fresh.values())
            )
        }
        earlier = [b for b in fresh if b not in inserted]
        known = dict(await raw.fetch(_ENTRIES_AT_PG, distribution_id, earlier)) if earlier else {}
        for b, i in first_of.items():
            if b in inserted:
                results[i] = EntryResult("entered", fresh[b])
            else:  # another process's batch entered it first
                results[i] = EntryResult("repeat", known.get(b, fresh[b]))

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
                    if status != OPEN or closes_at is None or r.now >= closes_at:
                        results[i] = EntryResult("closed", status=status or CANCELLED)
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
                        results[i] = EntryResult("entered", fresh[b])
                    else:
                        results[i] = EntryResult("repeat", known.get(b, fresh[b]))
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


_ENTRY_CONTEXT_PG = (
    _ENTRY_CONTEXT.replace(":buyer", "$1").replace(":did", "$2").replace(":shop", "$3")
)


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
    if isinstance(value, str):  # SQLite: naive UTC text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EntryContextReader:
    """Reads everything an entry is checked against (the draw, its distribution, voucher, and
    the buyer's entry, watch time and claims) in one statement: a rush of entries costs one
    point query each. On SQLite it runs on its own connection on the event loop's thread (a
    WAL reader never waits for the writer, and a point query takes microseconds, less than
    a hop to a driver thread); on PostgreSQL it is one round trip."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: sqlite3.Connection | None = None

    async def read(self, shop_id: int, distribution_id: int, buyer_id: str) -> EntryContext | None:
        if not _storable(distribution_id):
            return None
        params = {"buyer": buyer_id, "did": distribution_id, "shop": shop_id}
        if self.db.is_sqlite and self.db.url.database not in (None, "", ":memory:"):
            row = self._sqlite().execute(_ENTRY_CONTEXT, params).fetchone()
        elif self.db.dialect == "postgresql":
            # asyncpg itself, one statement outside any transaction: one round trip.
            async with self.db.read_engine.connect() as conn:
                raw = (await conn.get_raw_connection()).driver_connection
                row = await raw.fetchrow(_ENTRY_CONTEXT_PG, buyer_id, distribution_id, shop_id)  # type: ignore[union-attr]
        else:
            async with self.db.read() as session:
                row = (await session.execute(text(_ENTRY_CONTEXT), params)).first()
        if row is None:
            return None
        return EntryContext(
            voucher_id=row[0],
            session_id=row[1],
            account_id=row[2],
            stopped_at=_instant(row[3]),
            task_type=row[4],
            task_minutes=row[5],
            status=row[6],
            closes_at=_instant(row[7]),  # type: ignore[arg-type]
            starts_at=_instant(row[8]),  # type: ignore[arg-type]
            ends_at=_instant(row[9]),  # type: ignore[arg-type]
            deactivated_at=_instant(row[10]),
            per_customer_limit=row[11],
            entered_at=_instant(row[12]),
            watched_seconds=int(row[13] or 0),
            buyer_claims=int(row[14] or 0),
        )

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
        if self._conn is not None:
            self._conn.close()
            self._conn = None
