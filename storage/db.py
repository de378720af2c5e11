"""Async engine and transactions over SQLite or PostgreSQL.

`Database.write()` is the only way to change data. On SQLite it starts the transaction with
`BEGIN IMMEDIATE` (a deferred read-then-write transaction fails with "database is locked"
under concurrency) and queues this process's writers on an asyncio lock, so they wait in
order instead of sleeping in SQLite's busy handler; the busy timeout still covers other
processes. On PostgreSQL writers run in parallel and the rules rely on row locks taken by
conditional updates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_database_url(data_dir: str | Path = "data") -> str:
    return f"sqlite+aiosqlite:///{Path(data_dir) / 'voucherbot.db'}"


def _sqlite_engine(url: URL, *, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands so we can choose IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Owns the engines; hands out read and write sessions."""

    def __init__(
        self, url: str, *, pool_size: int = 10, lock_timeout_ms: int | None = None
    ) -> None:
        """`lock_timeout_ms` (PostgreSQL): how long a statement waits for a row lock before
        failing with `lock_not_available` (answered 503 by the API, R-api1); None: forever."""
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(self.url, begin="BEGIN IMMEDIATE", pool_size=2)
            self.read_engine = _sqlite_engine(self.url, begin="BEGIN", pool_size=pool_size)
            self._write_lock: asyncio.Lock | None = asyncio.Lock()
        elif self.dialect == "postgresql":
            connect_args: dict[str, Any] = {}
            if lock_timeout_ms is not None:
                connect_args["server_settings"] = {"lock_timeout": str(lock_timeout_ms)}
            self.write_engine = create_async_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size * 2,
                pool_pre_ping=True,
                connect_args=connect_args,
            )
            self.read_engine = self.write_engine
            self._write_lock = None
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        self._closers: list[Callable[[], Awaitable[None]]] = []
        # This database's own session class: what is hooked to it (the change publisher,
        # `storage.changes.Publisher`) hooks this database's sessions only.
        self.session_class: type[Session] = type("DatabaseSession", (Session,), {})
        self._writer = async_sessionmaker(
            self.write_engine, expire_on_commit=False, sync_session_class=self.session_class
        )
        self._reader = async_sessionmaker(
            self.read_engine, expire_on_commit=False, sync_session_class=self.session_class
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits on success and rolls back on any exception."""
        async with (
            self._write_lock or nullcontext(),
            self._writer() as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def sqlite_write_turn(self) -> AsyncIterator[None]:
        """This process's turn to write to SQLite (for writers on their own connections)."""
        async with self._write_lock or nullcontext():
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        from sqlalchemy import text

        async with self.read() as session:
            one: int = (await session.execute(text("SELECT 1"))).scalar_one()
            return one == 1

    def on_dispose(self, closer: Callable[[], Awaitable[None]]) -> None:
        """Registers what must close before the engines (e.g. a writer's own connection)."""
        self._closers.append(closer)

    async def dispose(self) -> None:
        closers, self._closers = self._closers, []
        for close in closers:
            await close()
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
