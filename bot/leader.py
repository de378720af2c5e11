"""Leader election (see docs/operations.md, scale-out): exactly one process runs the
scheduler, the Telegram side and the notification sender; the others serve the HTTP API and
wait to take over.

PostgreSQL: a session-level advisory lock held on a dedicated connection (outside the pool,
so nothing else ever runs on it or returns it). Followers try `pg_try_advisory_lock` every
`poll_interval`; the leader pings its connection every `check_interval` and steps down when the
ping fails. When the leader dies, its connection closes, the server releases the lock and a
follower takes it at its next try. The server-side TCP keepalives below make the server notice
a leader that vanished without closing its socket (a network partition) within ~15 s; by then
the leader itself has stepped down, because its own pings time out sooner.

SQLite: a database file can only be shared by processes on one machine, so the lock is an
exclusive `flock` on `<database file>.leader` — the kernel releases it when the holder dies.
A second process on the same file serves the HTTP API and takes over like a PostgreSQL
follower. An in-memory database is private to its process, which is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import URL, make_url

log = logging.getLogger(__name__)

# Any fixed number, the same in every process of a deployment ("vold"); the migration lock
# (storage.migrate.MIGRATION_LOCK_ID) is a different one.
LEADER_LOCK_ID = 0x766F6C64
POLL_INTERVAL = 1.0
CHECK_INTERVAL = 1.0
PING_TIMEOUT = 2.0
_KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


class Election(ABC):
    """`campaign()` returns once this process leads; `watch()` returns when it stopped
    leading; `resign()` gives the lead up (and is safe to call at any time)."""

    def __init__(self, *, poll_interval: float = POLL_INTERVAL) -> None:
        self.poll_interval = poll_interval

    async def campaign(self) -> None:
        # Polling is the protocol: nothing notifies a follower when a lock is released.
        while not await self._try_acquire():  # noqa: ASYNC110
            await asyncio.sleep(self.poll_interval)

    @abstractmethod
    async def _try_acquire(self) -> bool: ...

    @abstractmethod
    async def watch(self) -> None: ...

    @abstractmethod
    async def resign(self) -> None: ...


class PostgresElection(Election):
    def __init__(
        self,
        url: str | URL,
        *,
        lock_id: int = LEADER_LOCK_ID,
        poll_interval: float = POLL_INTERVAL,
        check_interval: float = CHECK_INTERVAL,
        ping_timeout: float = PING_TIMEOUT,
    ) -> None:
        super().__init__(poll_interval=poll_interval)
        self.dsn = asyncpg_dsn(url)
        self.lock_id = lock_id
        self.check_interval = check_interval
        self.ping_timeout = ping_timeout
        self._conn: Any = None

    async def _connect(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(
                self.dsn,
                timeout=self.ping_timeout * 2,
                server_settings={"application_name": "voucherbot-leader", **_KEEPALIVES},
            )
        return self._conn

    async def _try_acquire(self) -> bool:
        try:
            conn = await self._connect()
            return bool(
                await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1)", self.lock_id, timeout=self.ping_timeout
                )
            )
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            log.warning("leader election: database unreachable (%s); retrying", exc)
            await self._drop()
            return False

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            try:
                await self._conn.fetchval("SELECT 1", timeout=self.ping_timeout)
            except (TimeoutError, OSError, asyncpg.PostgresError, AttributeError) as exc:
                log.error("leader lock connection lost (%s): stepping down", exc)
                await self._drop()
                return

    async def resign(self) -> None:
        # Closing the session releases its advisory locks; no unlock round trip needed.
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), self.ping_timeout)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                conn.terminate()


class FileLockElection(Election):
    """An exclusive `flock` on a file next to the SQLite database."""

    def __init__(self, path: str | Path, *, poll_interval: float = POLL_INTERVAL) -> None:
        super().__init__(poll_interval=poll_interval)
        self.path = Path(path)
        self._fd: int | None = None
        self._lost = asyncio.Event()

    async def _try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        self._lost.clear()
        return True

    async def watch(self) -> None:
        # A lock the kernel holds for this open file cannot be lost while the process lives.
        await self._lost.wait()

    async def resign(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._lost.set()


class SoleElection(Election):
    """A private (in-memory) database: this process is the only one there can be."""

    def __init__(self) -> None:
        super().__init__()
        self._lost = asyncio.Event()

    async def _try_acquire(self) -> bool:
        self._lost.clear()
        return True

    async def watch(self) -> None:
        await self._lost.wait()

    async def resign(self) -> None:
        self._lost.set()


def election_for(database_url: str | URL, **options: Any) -> Election:
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return PostgresElection(url, **options)
    if backend == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            return SoleElection()
        return FileLockElection(f"{database}.leader", **options)
    raise ValueError(f"no leader election for {backend!r}")


def asyncpg_dsn(url: str | URL) -> str:
    """The plain `postgresql://` DSN asyncpg takes, from SQLAlchemy's `postgresql+asyncpg://`."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)
