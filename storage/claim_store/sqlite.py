"""The claim store on SQLite: group commit on its own sqlite3 connection with plain SQL.

No awaits per statement, which is what made a claim cost milliseconds through the async ORM.
The batch (all vouchers together: SQLite has one writer) runs on the event loop's thread when
SQLite's write lock is free (no thread hop, no GIL handovers), else on a dedicated thread that
waits for the lock. A refused claim undoes exactly what it wrote, so it costs nothing to the
others (a failure with no written undo redoes the batch with a SAVEPOINT per claim).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, overload

from storage.analytics_queries import bucket_start
from storage.claim_store.batcher import GroupCommit
from storage.claim_store.contract import ClaimStore, History, TakeRequest, TakeResult
from storage.claim_store.event_rows import due_events
from storage.claim_store.outcomes import TakeOutcome
from storage.claim_store.segment_reads import (
    SQLITE_FOLLOWED,
    SQLITE_HISTORY,
    SQLITE_SHOP_HISTORIES,
)
from storage.claim_store.task_reads import (
    SQLITE_FOLLOW,
    SQLITE_WATCHED,
    FollowState,
    follow_state,
)
from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.events import data_text, new_event_id

log = logging.getLogger(__name__)
# The SQLite writer checkpoints the WAL after this many batches (see `_checkpoint_now_and_then`):
# about SQLite's default of 1,000 pages at a rush's few dozen pages per batch.
CHECKPOINT_EVERY_BATCHES = 32


def _log_checkpoint_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("WAL checkpoint failed", exc_info=done.exception())


# --- SQLite: group commit on a dedicated connection ----------------------------------------


@overload
def _ts(value: datetime) -> str: ...
@overload
def _ts(value: None) -> None: ...
def _ts(value: datetime | None) -> str | None:
    """The text SQLAlchemy stores for a `UTCDateTime` on SQLite, so comparisons line up."""
    if value is None:
        return None
    if value.tzinfo is UTC and value.year >= 1000:
        # What strftime below gives, less its format parsing: the claim path's hot spot.
        return value.isoformat(" ", "microseconds")[:26]  # without "+00:00"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


_BUMP = (
    "INSERT INTO voucherbuyer (voucher_id, buyer_id, claims) VALUES (?, ?, 1) "
    "ON CONFLICT (voucher_id, buyer_id) DO UPDATE SET claims = claims + 1 WHERE claims < ? "
    "RETURNING claims"
)
# Undoing a bump: the first claim inserted the buyer's row, a later one counted up.
_UNBUMP_FIRST = "DELETE FROM voucherbuyer WHERE voucher_id = ? AND buyer_id = ?"
_UNBUMP = "UPDATE voucherbuyer SET claims = claims - 1 WHERE voucher_id = ? AND buyer_id = ?"
# R-v12 and R-budget in one conditional update: a unit of quota and the claim's reservation
# (`budget_hold`, 0 without a budget) are taken together or not at all.
_TAKE = (
    "UPDATE voucher SET claimed = claimed + 1, budget_reserved = budget_reserved + budget_hold "
    "WHERE id = ? AND claimed < total_quantity "
    "AND (budget IS NULL OR budget_spent + budget_reserved + budget_hold <= budget) "
    "AND deactivated_at IS NULL AND starts_at <= ? AND ends_at > ? "
    "RETURNING claimed, total_quantity, budget_hold, budget, budget_spent, budget_reserved"
)
_UNTAKE = (
    "UPDATE voucher SET claimed = claimed - 1, budget_reserved = budget_reserved - budget_hold "
    "WHERE id = ?"
)
_VOUCHER_NOW = (
    "SELECT claimed, total_quantity, starts_at, ends_at, deactivated_at, "
    "budget IS NOT NULL AND budget_spent + budget_reserved + budget_hold > budget "
    "FROM voucher WHERE id = ?"
)
_DISTRIBUTION_STOPPED = "SELECT stopped_at FROM distribution WHERE id = ?"
_INSERT_CLAIM = (
    "INSERT INTO claim (shop_id, voucher_id, buyer_id, session_id, distribution_id, account_id, "
    "claimed_at, redeem_until, status, idempotency_key, reserved) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'claimed', ?, ?) RETURNING id"
)
_COUNT_CLAIM = (
    "INSERT INTO claimbucket (voucher_id, session_key, account_key, bucket, shop_id, claims) "
    "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (voucher_id, session_key, account_key, bucket) "
    "DO UPDATE SET claims = claims + 1"
)
_NOTIFY = (
    "INSERT INTO notification (shop_id, event_key, kind, chat_id, text, buttons, created_at, "
    "next_attempt_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) "
    "ON CONFLICT (event_key) DO NOTHING"
)

# R-ev1: an event of the claim, numbered from the shop's counter in the batch's transaction.
_EVENT_LOGGED = "SELECT 1 FROM event WHERE once_key = ?"
_NEXT_SEQ = (
    "INSERT INTO eventcounter (shop_id, last_seq) VALUES (?, 1) "
    "ON CONFLICT (shop_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq"
)
_LOG_EVENT = (
    "INSERT INTO event (public_id, shop_id, seq, type, live_session_id, once_key, created_at, "
    "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqliteClaimStore(ClaimStore):
    def __init__(self, db: Database) -> None:
        self.db = db
        self._path = db.url.database or ""
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="claim-writer")
        self._conn: sqlite3.Connection | None = None
        self._checkpointer: sqlite3.Connection | None = None  # the writer thread's own
        self._waits = True  # whether the connection waits for a busy lock (busy_timeout)
        self._batches_since_checkpoint = 0
        self._checkpoint: asyncio.Future[None] | None = None
        self._batches = GroupCommit(self._write_batch, after_batch=self._checkpoint_now_and_then)
        self._bucket: tuple[str, str] = ("", "")  # (minute, its bucket) last written
        self._reader: sqlite3.Connection | None = None  # R-seg's reads, on the loop's thread

    async def buyer_history(self, shop_id: int, buyer_id: str) -> History:
        """Two index-only reads on a connection of their own, on the event loop's thread
        (WAL readers never wait for the writer; each read costs microseconds)."""
        if self._reader is None:
            self._reader = self._open()
            self._reader.execute("PRAGMA query_only=ON")
        latest, kept = self._reader.execute(SQLITE_HISTORY, (shop_id, buyer_id)).fetchone()
        followed = self._reader.execute(SQLITE_FOLLOWED, (shop_id, buyer_id)).fetchone()[0]
        return _parse_ts(latest), _parse_ts(kept), _parse_ts(followed)

    async def shop_histories(self, shop_id: int, limit: int) -> dict[str, History] | None:
        """On a thread, with a connection of its own: a large shop takes a while to read."""
        return await asyncio.to_thread(self._read_shop_histories, shop_id, limit)

    def _read_shop_histories(self, shop_id: int, limit: int) -> dict[str, History] | None:
        conn = self._open()
        try:
            rows = conn.execute(SQLITE_SHOP_HISTORIES, (shop_id, shop_id, limit + 1)).fetchall()
        finally:
            conn.close()
        if len(rows) > limit:
            return None
        return {b: (_parse_ts(o), _parse_ts(k), _parse_ts(f)) for b, o, k, f in rows}

    async def take(self, request: TakeRequest) -> TakeResult:
        return await self._batches.submit(0, request)

    async def watched_seconds(self, session_id: int, buyer_id: str) -> int:
        row = self._task_reader().execute(SQLITE_WATCHED, (session_id, buyer_id)).fetchone()
        return int(row[0]) if row else 0

    async def follow_state(self, shop_id: int, session_id: int, buyer_id: str) -> FollowState:
        params = {"shop": shop_id, "session": session_id, "buyer": buyer_id}
        row = self._task_reader().execute(SQLITE_FOLLOW, params).fetchone()
        return follow_state(None if row is None else (row[0], _parse_ts(row[1])))

    def _task_reader(self) -> sqlite3.Connection:
        """R-live2's reads share the reader connection (index reads of microseconds, on the
        event loop's thread like `buyer_history`'s)."""
        if self._reader is None:
            self._reader = self._open()
            self._reader.execute("PRAGMA query_only=ON")
        return self._reader

    async def _write_batch(self, _key: int, requests: list[TakeRequest]) -> list[TakeResult]:
        # Queue behind this process's other writers instead of busy-waiting.
        async with self.db.sqlite_write_turn():
            return await self._write(requests)

    async def _write(self, requests: list[TakeRequest]) -> list[TakeResult]:
        """The batch on the event loop's own thread when SQLite's write lock is free, which
        is the rule (this process's writers take turns): a batch costs a few statements per
        claim, less than handing it to a thread and back, whose GIL handovers used to cost
        more than the statements. When another process holds the lock, the batch waits for
        it on the writer thread instead, so the loop never blocks on a lock."""
        loop = asyncio.get_running_loop()
        if self._conn is None:
            await loop.run_in_executor(self._executor, self._connection)
        if self._waits:
            self._wait_for_locks(False)
        try:
            return self._apply(requests)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        return await loop.run_in_executor(self._executor, self._apply_waiting, requests)

    def _apply_waiting(self, requests: list[TakeRequest]) -> list[TakeResult]:
        self._wait_for_locks(True)
        return self._apply(requests)

    def _wait_for_locks(self, wait: bool) -> None:
        timeout = SQLITE_BUSY_TIMEOUT_MS if wait else 0
        self._connection().execute(f"PRAGMA busy_timeout={timeout}")
        self._waits = wait

    def _checkpoint_now_and_then(self) -> None:
        """Checkpoints on the writer thread: the claim connection's own automatic ones would
        block the event loop for their fsyncs."""
        self._batches_since_checkpoint += 1
        running = self._checkpoint is not None and not self._checkpoint.done()
        if self._batches_since_checkpoint < CHECKPOINT_EVERY_BATCHES or running:
            return
        self._batches_since_checkpoint = 0
        loop = asyncio.get_running_loop()
        self._checkpoint = loop.run_in_executor(self._executor, self._run_checkpoint)
        self._checkpoint.add_done_callback(_log_checkpoint_failure)

    def _run_checkpoint(self) -> None:
        if self._checkpointer is None:
            self._checkpointer = self._open()
        # PASSIVE: copies what it can without waiting for, or blocking, readers and writers.
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path,
            timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = self._open()
            conn.execute("PRAGMA wal_autocheckpoint=0")  # see _checkpoint_now_and_then
            self._conn = conn
            self._waits = True
        return self._conn

    def _apply(self, requests: list[TakeRequest]) -> list[TakeResult]:
        try:
            return self._in_transaction(requests, self._one)
        except sqlite3.IntegrityError:
            # A failure `_one` has no undo for (never seen: the refusals it expects are
            # undone in place): the batch was rolled back, so redo it the sure way.
            return self._in_transaction(requests, self._one_in_savepoint)

    def _in_transaction(
        self,
        requests: list[TakeRequest],
        one: Callable[[sqlite3.Cursor, TakeRequest], TakeResult],
    ) -> list[TakeResult]:
        conn = self._connection()
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            results = [one(cursor, r) for r in requests]
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        return results

    def _one_in_savepoint(self, cursor: sqlite3.Cursor, r: TakeRequest) -> TakeResult:
        """The slow and sure way: each claim in a savepoint that a failure rolls back whole."""
        cursor.execute("SAVEPOINT claim")
        try:
            result = self._one(cursor, r)
        except sqlite3.IntegrityError:
            result = TakeResult(TakeOutcome.DUPLICATE_KEY)
        if result.outcome != TakeOutcome.TAKEN:
            cursor.execute("ROLLBACK TO claim")
        cursor.execute("RELEASE claim")
        return result

    def _one(self, cursor: sqlite3.Cursor, r: TakeRequest) -> TakeResult:
        """One claim, without a savepoint: each refusal undoes exactly what it had written
        (a savepoint per claim was a third of the statements of a batch)."""
        bumped = cursor.execute(_BUMP, (r.voucher_id, r.buyer_id, r.per_customer_limit)).fetchone()
        if bumped is None:
            return TakeResult(TakeOutcome.LIMIT_REACHED)
        now = _ts(r.now)
        taken = cursor.execute(_TAKE, (r.voucher_id, now, now)).fetchone()
        if taken is None:
            self._unbump(cursor, r, bumped[0])
            claimed, total, starts, ends, deactivated, over = cursor.execute(
                _VOUCHER_NOW, (r.voucher_id,)
            ).fetchone()
            return TakeResult(
                TakeOutcome.NOT_TAKEN,
                claimed=claimed,
                total_quantity=total,
                starts_at=_parse_ts(starts),
                ends_at=_parse_ts(ends),
                deactivated_at=_parse_ts(deactivated),
                budget_spent=bool(over),
            )
        if r.distribution_id is not None:
            row = cursor.execute(_DISTRIBUTION_STOPPED, (r.distribution_id,)).fetchone()
            if row is None or row[0] is not None:
                self._untake(cursor, r, bumped[0])
                return TakeResult(TakeOutcome.DISTRIBUTION_STOPPED)
        try:
            (claim_id,) = cursor.execute(
                _INSERT_CLAIM,
                (
                    r.shop_id,
                    r.voucher_id,
                    r.buyer_id,
                    r.session_id,
                    r.distribution_id,
                    r.account_id,
                    now,
                    _ts(r.redeem_until),
                    r.idempotency_key,
                    taken[2],
                ),
            ).fetchone()
        except sqlite3.IntegrityError:  # the key won a race; the failed insert left nothing
            self._untake(cursor, r, bumped[0])
            return TakeResult(TakeOutcome.DUPLICATE_KEY)
        cursor.execute(
            _COUNT_CLAIM,
            (
                r.voucher_id,
                r.session_id or 0,
                r.account_id or 0,
                self._bucket_of(r.now, now),
                r.shop_id,
            ),
        )
        claimed, total = taken[0], taken[1]
        notice = r.notice_for(claimed, total)
        if notice is not None:
            cursor.execute(
                _NOTIFY,
                (
                    notice["shop_id"],
                    notice["event_key"],
                    notice["kind"],
                    notice["chat_id"],
                    notice["text"],
                    notice.get("buttons"),
                    _ts(notice["created_at"]),
                    _ts(notice["next_attempt_at"]),
                ),
            )
        if r.events:
            _log_events(cursor, r, taken, now)
        return TakeResult(
            TakeOutcome.TAKEN, claim_id, bumped[0], claimed, total, noticed=notice is not None
        )

    @staticmethod
    def _unbump(cursor: sqlite3.Cursor, r: TakeRequest, buyer_claims: int) -> None:
        undo = _UNBUMP_FIRST if buyer_claims == 1 else _UNBUMP
        cursor.execute(undo, (r.voucher_id, r.buyer_id))

    def _untake(self, cursor: sqlite3.Cursor, r: TakeRequest, buyer_claims: int) -> None:
        cursor.execute(_UNTAKE, (r.voucher_id,))
        self._unbump(cursor, r, buyer_claims)

    def _bucket_of(self, at: datetime, at_text: str) -> str | None:
        """`_ts(bucket_start(at))`, worked out once per minute (`at_text` is `_ts(at)`)."""
        minute = at_text[:16]
        if self._bucket[0] != minute:
            self._bucket = (minute, _ts(bucket_start(at)) or "")
        return self._bucket[1]

    async def close(self) -> None:
        await self._batches.drain()

        def _close() -> None:
            for conn in (self._conn, self._checkpointer, self._reader):
                if conn is not None:
                    conn.close()
            self._conn = self._checkpointer = self._reader = None

        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)


def _log_events(
    cursor: sqlite3.Cursor, r: TakeRequest, taken: tuple[Any, ...], at: str | None
) -> None:
    """R-ev1: the prepared events this claim crosses, in the claim's transaction (`taken` is
    the voucher row after the claim)."""
    for e in due_events(r.events, taken):
        if cursor.execute(_EVENT_LOGGED, (e.once_key,)).fetchone() is not None:
            continue
        (seq,) = cursor.execute(_NEXT_SEQ, (r.shop_id,)).fetchone()
        data = data_text(e.data)
        row = (new_event_id(), r.shop_id, seq, e.type, r.session_id, e.once_key, at, data)
        cursor.execute(_LOG_EVENT, row)
