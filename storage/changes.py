"""What one process tells the others about changes that in-memory caches depend on (R-scale1).

Publishing is automatic: every write session that changes a `Voucher`, an `ApiKey` or a `Shop`
row through the ORM announces it inside the same transaction, so the announcement commits (or
rolls back) with the change:
- PostgreSQL: `pg_notify('voucherbot_changes', 'voucher:12')` — delivered to every listener at
  commit;
- SQLite: the change counter in the database header (`PRAGMA user_version`) goes up by one.

Hearing is a `ChangeFeed` per process, which calls its subscribers with (topic, id), or
(None, None) for "forget everything":
- `PostgresChangeFeed` keeps a dedicated asyncpg connection LISTENing. Until it is listening,
  and after it is lost (it reconnects by itself), `fresh()` is False, so caches answer from
  the database; each (re)connection starts by dropping every cache, since what changed while
  nobody listened is unknown.
- `SqliteChangeFeed.fresh()` is the cheap check before an answer: `PRAGMA data_version` on a
  connection of its own (changes when any other connection commits), then, only when it
  moved, the change counter; a new counter value drops every cache. The check costs ~5 µs,
  a tenth of a cached refusal, so it runs at most every `SQLITE_CHECK_EVERY` (5 ms): a
  change is still seen well within R-scale1's 100 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from itertools import chain
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from storage.db import SQLITE_BUSY_TIMEOUT_MS, Database
from storage.models import ApiKey, Shop, Voucher

log = logging.getLogger(__name__)

CHANNEL = "voucherbot_changes"
RECONNECT_FIRST = 0.2
RECONNECT_MAX = 5.0
HEALTH_EVERY = 5.0  # seconds between the listener's liveness checks
START_TIMEOUT = 10.0  # seconds start() waits for the listener
SQLITE_CHECK_EVERY = 0.005  # seconds: SQLite's change check runs at most this often
_PENDING = "voucherbot_changes"

Subscriber = Callable[[str | None, str | None], None]


# --- publishing ----------------------------------------------------------------------------


def _topic(obj: object) -> str | None:
    if isinstance(obj, Voucher) and obj.id is not None:
        return f"voucher:{obj.id}"
    if isinstance(obj, ApiKey):
        return f"api_key:{obj.key_id}"
    if isinstance(obj, Shop):
        return "shop:*"  # a shop's team chat is part of every claim target of the shop
    return None


def _collect(session: Session, *_: Any) -> None:
    topics = {_topic(o) for o in chain(session.new, session.dirty, session.deleted)}
    topics.discard(None)
    if topics:
        session.info.setdefault(_PENDING, set()).update(topics)


def _publish(session: Session) -> None:
    if not (session.new or session.dirty or session.deleted or _PENDING in session.info):
        return  # a read, or a write with nothing tracked: the common case, kept cheap
    session.flush()  # what is still unflushed would otherwise be flushed after this hook
    topics = session.info.pop(_PENDING, None)
    if not topics:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        for topic in sorted(topics):
            conn.execute(
                text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
            )
    elif conn.dialect.name == "sqlite":
        counter = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        conn.exec_driver_sql(f"PRAGMA user_version = {(int(counter) + 1) % 2**31:d}")


def announce(session: Session, topic: str) -> None:
    """Announces a topic with this write on PostgreSQL (e.g. `event:3`, a shop's new event
    for the streams of every process, R-ev3). SQLite's readers poll instead, so nothing is
    announced there (a counter change would drop every cache)."""
    if session.get_bind().dialect.name == "postgresql":
        session.info.setdefault(_PENDING, set()).add(topic)


def _discard(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _collect),
    ("before_commit", _publish),
    ("after_rollback", _discard),
)


class Publisher:
    """Hooks the sessions of one `Database` (its own session class, not every session of the
    process), from `install()` to `close()`: built and closed by the composition root with
    the other resources (`core.services.resources`). Reads have nothing to publish."""

    def __init__(self, db: Database) -> None:
        self._target = db.session_class

    def install(self) -> None:
        for name, hook in _HOOKS:
            if not event.contains(self._target, name, hook):
                event.listen(self._target, name, hook)

    async def close(self) -> None:
        for name, hook in _HOOKS:
            if event.contains(self._target, name, hook):
                event.remove(self._target, name, hook)


# --- hearing -------------------------------------------------------------------------------


class ChangeFeed:
    """No other process can change anything (an in-memory database): caches are always right."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def _emit(self, topic: str | None, ident: str | None) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(topic, ident)
            except Exception:  # one cache's bug must not keep the others stale
                log.exception("a change subscriber failed")

    def fresh(self) -> bool:
        """Whether what was announced so far has reached the subscribers, so a cache may answer
        from memory. Called before each answer: must be cheap."""
        return True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _dispatch(feed: ChangeFeed, payload: str) -> None:
    topic, _, ident = payload.partition(":")
    if not topic or ident == "*":
        feed._emit(topic or None, None)
    else:
        feed._emit(topic, ident)


class SqliteChangeFeed(ChangeFeed):
    def __init__(
        self,
        path: str,
        *,
        every: float = SQLITE_CHECK_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._path = path
        self._every = every
        self._monotonic = monotonic
        self._checked_at = float("-inf")
        self._conn: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self._counter: int | None = None

    def fresh(self) -> bool:
        now = self._monotonic()
        if now - self._checked_at < self._every:
            return True
        self._checked_at = now
        if self._conn is None:
            self._conn = sqlite3.connect(
                self._path,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version != self._data_version:
            self._data_version = data_version
            counter = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if counter != self._counter:
                known, self._counter = self._counter, counter
                if known is not None:
                    self._emit(None, None)
        return True

    async def start(self) -> None:
        self.fresh()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresChangeFeed(ChangeFeed):
    def __init__(self, dsn: str) -> None:
        super().__init__()
        self._dsn = dsn
        self._listening = False
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()  # set while listening (tests wait on it)

    def fresh(self) -> bool:
        if self._task is None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to start yet
                self._task = asyncio.get_running_loop().create_task(self._listen())
        return self._listening

    async def start(self) -> None:
        """Waits (a bounded time) for the listener, so the first answers can come from the
        caches; if it cannot connect yet, serving goes on, reading the database each time."""
        self.fresh()
        try:
            await asyncio.wait_for(self.connected.wait(), START_TIMEOUT)
        except TimeoutError:
            log.warning("the change listener is not connected yet: caches are off until it is")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listening = False

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        _dispatch(self, payload)

    async def _listen(self) -> None:
        import asyncpg

        delay = RECONNECT_FIRST
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                # Whatever changed before this point was not heard: start from the database.
                self._emit(None, None)
                self._listening = True
                self.connected.set()
                delay = RECONNECT_FIRST
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), HEALTH_EVERY)
                    if not lost.is_set():
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), HEALTH_EVERY)
                log.warning("the change listener's connection was closed: reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("the change listener failed (%s): reconnecting in %.1f s", exc, delay)
            finally:
                self._listening = False
                self.connected.clear()
                self._emit(None, None)
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(delay)  # a back-off between reconnections, not a test's wait
            delay = min(delay * 2, RECONNECT_MAX)


def build_change_feed(db: Database) -> ChangeFeed:
    if db.dialect == "postgresql":
        dsn = db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresChangeFeed(dsn)
    if db.is_sqlite and db.url.database and db.url.database != ":memory:":
        return SqliteChangeFeed(db.url.database)
    return ChangeFeed()
