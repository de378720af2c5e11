"""R-api1: contention answers 503 with `Retry-After`, never 500 — the one place that knows
which database failures mean "busy, try again" on SQLite and on PostgreSQL.

Contention is: SQLite's busy timeout ("database is locked", "database table is locked"),
PostgreSQL's lock timeout (55P03), serialization failure (40001), deadlock (40P01), statement
timeout (57014), too many connections (53300), and an exhausted connection pool
(SQLAlchemy's `TimeoutError`). The exception is looked for along the whole chain, since the
ORM wraps the driver's error (`exc.orig`, `__cause__`) and the claim stores raise the
driver's own.
"""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from sqlalchemy import exc as sa_exc

from bot.http.problems import HttpProblem

RETRY_AFTER_SECONDS = 1


class ContentionCode(StrEnum):
    """The `reason` of a 503 `busy` problem."""

    LOCK_TIMEOUT = "lock_timeout"
    SERIALIZATION_FAILURE = "serialization_failure"
    DEADLOCK = "deadlock"
    POOL_EXHAUSTED = "pool_exhausted"


_SQLSTATES = {
    "55P03": ContentionCode.LOCK_TIMEOUT,  # lock_not_available (lock_timeout, NOWAIT)
    "57014": ContentionCode.LOCK_TIMEOUT,  # query_canceled (statement_timeout)
    "40001": ContentionCode.SERIALIZATION_FAILURE,
    "40P01": ContentionCode.DEADLOCK,
    "53300": ContentionCode.POOL_EXHAUSTED,  # too_many_connections
}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 16:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        orig = getattr(e, "orig", None)
        todo.extend([e.__cause__, e.__context__, orig if isinstance(orig, BaseException) else None])
    return seen


def contention_of(exc: BaseException) -> ContentionCode | None:
    """Which kind of contention `exc` is, or None when it is something else."""
    for e in _chain(exc):
        if isinstance(e, sa_exc.TimeoutError):
            return ContentionCode.POOL_EXHAUSTED
        if isinstance(e, sqlite3.OperationalError) or (
            isinstance(e, sa_exc.OperationalError) and "sqlite" in type(e.orig).__module__
        ):
            text = str(e).lower()
            if any(marker in text for marker in _SQLITE_BUSY):
                return ContentionCode.LOCK_TIMEOUT
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and state in _SQLSTATES:
            return _SQLSTATES[state]
    return None


def busy_problem(reason: ContentionCode) -> HttpProblem:
    return HttpProblem(
        503,
        "busy",
        "The database is busy; nothing was changed. Retry after the time in Retry-After "
        "(with the same Idempotency-Key for a create).",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra={"reason": str(reason)},
    )
