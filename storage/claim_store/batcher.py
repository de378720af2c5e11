"""Group commit, shared by the claim stores and the draw entries' writer (and the entries'
reader on PostgreSQL): the requests that arrive while a batch is being written form the next
batch, so a rush costs one transaction (one commit, one fsync) per batch instead of one per
request.

Batches are queued per key, with at most `in_flight` batches per key at a time (one by
default): SQLite has a single writer, so its users use one key; PostgreSQL's claim store keys
by voucher, so the claims of one voucher wait here in order instead of piling up on the
voucher's row lock inside the server, while other vouchers' batches run in parallel; the draw
entries' writer lets a few batches of one queue overlap their commits on PostgreSQL (the
server merges concurrent WAL flushes).

`SqliteBatches` is the other half SQLite's batch writers share: a batch runs on the writer's
own sqlite3 connection, on the event loop's thread when SQLite's write lock is free, and on a
dedicated thread that waits for the lock when another process holds it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from storage.db import SQLITE_BUSY_TIMEOUT_MS

K = TypeVar("K", bound=Hashable)
Req = TypeVar("Req")
Res = TypeVar("Res")

MAX_BATCH = 256


class GroupCommit(Generic[K, Req, Res]):
    def __init__(
        self,
        write: Callable[[K, list[Req]], Awaitable[list[Res]]],
        *,
        max_batch: int = MAX_BATCH,
        in_flight: int = 1,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._after_batch = after_batch
        self._pending: dict[K, list[tuple[Req, asyncio.Future[Res]]]] = {}
        self._flushers: dict[K, set[asyncio.Task[None]]] = {}

    async def submit(self, key: K, request: Req) -> Res:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Res] = loop.create_future()
        self._pending.setdefault(key, []).append((request, future))
        # Only the running flushers count: one that just returned is done before its
        # `finally` ran, and a request must never wait for nobody.
        flushers = self._flushers.setdefault(key, set())
        if sum(1 for t in flushers if not t.done()) < self._in_flight:
            flushers.add(loop.create_task(self._flush(key)))
        return await future

    async def _flush(self, key: K) -> None:
        try:
            while self._pending.get(key):
                queue = self._pending[key]
                batch, self._pending[key] = queue[: self._max_batch], queue[self._max_batch :]
                try:
                    results = await self._write(key, [r for r, _ in batch])
                except Exception as exc:  # the batch was rolled back: every caller hears it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                if self._after_batch is not None:
                    self._after_batch()
        finally:
            flushers = self._flushers.get(key, set())
            current = asyncio.current_task()
            if current is not None:
                flushers.discard(current)
            if not self._pending.get(key):
                self._pending.pop(key, None)
                if not flushers:
                    self._flushers.pop(key, None)

    async def drain(self) -> None:
        """Waits for the batches in flight (at close)."""
        flushers = [t for running in self._flushers.values() for t in running]
        if flushers:
            await asyncio.gather(*flushers, return_exceptions=True)


class SqliteBatches(Generic[Req, Res]):
    """Runs batches on one sqlite3 connection of their own, in plain SQL: no awaits per
    statement (through the async driver each statement cost a thread hop, which under load
    cost more than the statements). A batch runs on the event loop's thread with
    `busy_timeout=0` while SQLite's write lock is free, which is the rule (this process's
    writers take turns through `Database.sqlite_write_turn`); when another process holds
    the lock, it runs again on a dedicated thread that waits for it, so the loop never
    blocks on a lock."""

    def __init__(
        self,
        path: str,
        apply: Callable[[sqlite3.Connection, list[Req]], list[Res]],
        *,
        thread_name: str,
    ) -> None:
        self._path = path
        self._apply = apply
        self._thread_name = thread_name
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, requests: list[Req]) -> list[Res]:
        conn = self._connection()
        conn.execute("PRAGMA busy_timeout=0")
        try:
            return self._apply(conn, requests)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=self._thread_name)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._apply_waiting, requests)

    def _apply_waiting(self, requests: list[Req]) -> list[Res]:
        conn = self._connection()
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        return self._apply(conn, requests)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._conn = conn
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
