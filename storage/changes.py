"""What one process tells the others about changes that in-memory caches depend on (R-scale1).

Publishing is automatic: every write session that changes a `Voucher`, an `ApiKey`, a `Shop`, a
`ShopOrder` or a `FollowEvent` row through the ORM (or calls `announce`) announces it inside the
same transaction, so the announcement commits (or rolls back) with the change:
- PostgreSQL: `pg_notify('voucherbot_changes', 'voucher:12')` — delivered to every listener at
  commit;
- SQLite: the change counter in the database header (`PRAGMA user_version`) goes up by one; a
  buyer's topic is a row of `changenote` instead (it forgets one buyer, not everything), and an
  event topic is written nowhere (other processes look at the event log itself).
The writing process hears every one of its announcements as it commits (`Publisher.hear`).

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
from storage.models import ApiKey, Distribution, FollowEvent, Shop, ShopOrder, Voucher

log = logging.getLogger(__name__)

CHANNEL = "voucherbot_changes"
RECONNECT_FIRST = 0.2
RECONNECT_MAX = 5.0
HEALTH_EVERY = 5.0  # seconds between the listener's liveness checks
START_TIMEOUT = 10.0  # seconds start() waits for the listener
SQLITE_CHECK_EVERY = 0.005  # seconds: SQLite's change check runs at most this often
# Topics that name one thing a cache may forget alone. On SQLite they are written as notes
# (`ChangeNote`) instead of moving the change counter, which makes everything forgotten.
TARGETED = ("buyer:",)
NOTES_KEPT = 10_000  # SQLite's latest notes kept; a process further behind forgets all
# Topics SQLite's other processes find by reading the table itself (the event log's top row,
# `storage.events.LogTop`): written nowhere, only heard by this process at its commit.
POLLED_ON_SQLITE = ("event:",)
_PENDING = "voucherbot_changes"
_COMMITTING = "voucherbot_changes_committing"

Subscriber = Callable[[str | None, str | None], None]


# --- publishing ----------------------------------------------------------------------------


def _topic(obj: object) -> str | None:
    if isinstance(obj, Voucher) and obj.id is not None:
        return f"voucher:{obj.id}"
    if isinstance(obj, Distribution):
        return f"voucher:{obj.voucher_id}"  # a LIVE claim's distribution (R-live3, R-scale1)
    if isinstance(obj, ApiKey):
        return f"api_key:{obj.key_id}"
    if isinstance(obj, Shop):
        return "shop:*"  # a shop's team chat is part of every claim target of the shop
    if isinstance(obj, ShopOrder | FollowEvent):
        return buyer_topic(obj.shop_id, obj.buyer_id)  # R-seg's history of that buyer
    return None


def buyer_topic(shop_id: int, buyer_id: str) -> str:
    """`buyer:<shop>:<buyer>`: the buyer's orders or follows in the shop changed (R-seg)."""
    return f"buyer:{shop_id}:{buyer_id}"


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
    session.info[_COMMITTING] = topics  # heard in this process once committed
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        for topic in sorted(topics):
            conn.execute(
                text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic}
            )
    elif conn.dialect.name == "sqlite":
        notes = sorted(t for t in topics if t.startswith(TARGETED))
        polled = [t for t in topics if t.startswith(POLLED_ON_SQLITE)]
        if len(notes) + len(polled) < len(topics):
            counter = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
            conn.exec_driver_sql(f"PRAGMA user_version = {(int(counter) + 1) % 2**31:d}")
        for note in notes:
            conn.exec_driver_sql("INSERT INTO changenote (topic) VALUES (?)", (note,))
        if notes:
            conn.exec_driver_sql(
                "DELETE FROM changenote WHERE seq <= last_insert_rowid() - ?", (NOTES_KEPT,)
            )


def _committed(session: Session) -> None:
    """This process hears its own changes at once, before the writer's caller goes on (the
    feed would hear them only at its next check: R-scale1's read-your-writes)."""
    topics = session.info.pop(_COMMITTING, None)
    if topics:
        for hear in _HEARERS.get(type(session), ()):
            for topic in sorted(topics):
                hear(topic)


def announce(session: Session, topic: str) -> None:
    """Announces a topic with this write, as an ORM write of a tracked row would: for a change
    made by a statement below the ORM (a distribution's stop), or one no cache row stands for
    (`event:3`, a shop's new event for the live streams, R-ev3)."""
    session.info.setdefault(_PENDING, set()).add(topic)


def _discard(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_COMMITTING, None)


_HOOKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("after_flush", _collect),
    ("before_commit", _publish),
    ("after_commit", _committed),
    ("after_rollback", _discard),
)
# Per hooked session class (one `Database`): the feeds of this process that hear its commits
# (`Publisher.hear`; one in a process, more in tests that build two sets of services).
_HEARERS: dict[type[Session], list[Callable[[str], None]]] = {}


class Publisher:
    """Hooks the sessions of one `Database` (its own session class, not every session of the
    process), from `install()` to `close()`: built and closed by the composition root with
    the other resources (`core.services.resources`). Reads have nothing to publish."""

    def __init__(self, db: Database) -> None:
        self._target = db.session_class
        self._feeds: list[ChangeFeed] = []

    def install(self) -> None:
        for name, hook in _HOOKS:
            if not event.contains(self._target, name, hook):
                event.listen(self._target, name, hook)

    def hear(self, feed: ChangeFeed) -> None:
        """This process's own commits reach `feed`'s subscribers as they commit."""
        self._feeds.append(feed)
        _HEARERS.setdefault(self._target, []).append(feed.deliver)

    def unhear(self, feed: ChangeFeed) -> None:
        if feed in self._feeds:
            self._feeds.remove(feed)
            _HEARERS.get(self._target, []).remove(feed.deliver)

    async def close(self) -> None:
        for feed in list(self._feeds):
            self.unhear(feed)
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

    def deliver(self, payload: str) -> None:
        """One announcement (`voucher:12`, `shop:*`, `buyer:3:b-1`) to the subscribers."""
        topic, _, ident = payload.partition(":")
        if not topic or ident == "*":
            self._emit(topic or None, None)
        else:
            self._emit(topic, ident)

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
        self._seq: int | None = None  # the last change note heard

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
            self._read_notes(self._conn)
        return True

    def _read_notes(self, conn: sqlite3.Connection) -> None:
        """The targeted notes since the last check, in commit order (seq). A gap means the
        notes this process had not read yet were pruned: everything is forgotten instead."""
        try:
            if self._seq is None:
                self._seq = conn.execute("SELECT coalesce(max(seq), 0) FROM changenote").fetchone()[
                    0
                ]
                return
            rows = conn.execute(
                "SELECT seq, topic FROM changenote WHERE seq > ? ORDER BY seq", (self._seq,)
            ).fetchall()
        except sqlite3.OperationalError:  # a database not migrated yet: no notes to hear
            return
        if not rows:
            return
        if rows[0][0] != self._seq + 1:
            self._emit(None, None)
        else:
            for _seq, topic in rows:
                self.deliver(topic)
        self._seq = rows[-1][0]

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
        self.deliver(payload)

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
