"""Start-up failures the operator fixes with a setting (R-run1).

Each failure the service can explain becomes a `StartupFailure`: one or two lines that say
what went wrong and name the setting to fix. `voucherbot` prints it without a traceback and
exits non-zero. A failure nobody foresaw still shows its traceback: that one is a bug.

`open_database(url)` is the one way the commands open the database: it checks the URL,
connects once (so an unreachable or refusing server is told apart from a schema problem) and
applies pending migrations.
"""

from __future__ import annotations

import errno
import re
import socket
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from storage.db import Database
from storage.migrate import upgrade

# URL schemes whose driver is synchronous (or absent), with the async spelling to use.
_ASYNC_SPELLING = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+pg8000": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}
_ASYNC_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")
# A bot token as Telegram issues them: `<bot id>:<secret>`.
_TOKEN = re.compile(r"\b(\d+):[A-Za-z0-9_-]{20,}")


class StartupFailure(Exception):
    """A failure explained in one or two lines that name the setting to fix."""


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def check_database_url(url: str) -> None:
    """DATABASE_URL must name one of the async drivers the service runs on."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if not scheme:
        raise StartupFailure(
            f"DATABASE_URL={url!r} is not a database URL.\n"
            "Use sqlite+aiosqlite:///data/voucherbot.db or postgresql+asyncpg://user:password@host/db."
        )
    if scheme in _ASYNC_DRIVERS:
        try:
            make_url(url)
        except ArgumentError as error:
            raise StartupFailure(f"DATABASE_URL cannot be read: {error}.") from None
        return
    rest = url.partition("://")[2]
    if scheme in _ASYNC_SPELLING:
        good = _ASYNC_SPELLING[scheme]
        raise StartupFailure(
            f"DATABASE_URL starts with {scheme}://, which has no async driver: "
            f"write {safe_url(f'{good}://{rest}')} instead."
        )
    raise StartupFailure(
        f"DATABASE_URL uses {scheme}://, which Voucherbot does not run on: use "
        "postgresql+asyncpg://… (PostgreSQL) or sqlite+aiosqlite:///… (SQLite)."
    )


def _root_cause(error: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's and asyncio's wrappers."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "orig", None) or error.__cause__
        if not isinstance(inner, BaseException):
            break
        error = inner
    return error


def reason(error: BaseException) -> str:
    """One line saying why, without the driver's class path or SQL."""
    cause = _root_cause(error)
    text = " ".join(str(cause).split()) or type(cause).__name__
    if isinstance(cause, ConnectionRefusedError) or "Connect call failed" in text:
        text = "connection refused (is the server running, on that host and port?)"
    elif isinstance(cause, socket.gaierror):
        text = "unknown host name"
    elif isinstance(cause, TimeoutError):
        text = "no answer (timed out)"
    text = text.split("\n", 1)[0].split(" [SQL:", 1)[0]
    return text if len(text) <= 200 else text[:199] + "…"


async def open_database(url: str, *, pool_size: int = 10) -> Database:
    """Checks the URL, connects, migrates; every explained failure is a `StartupFailure`."""
    check_database_url(url)
    where = safe_url(url)
    try:
        db = Database(url, pool_size=pool_size)
    except (OSError, ValueError, ImportError) as error:
        raise StartupFailure(
            f"Cannot open the database {where}: {reason(error)}.\nCheck DATABASE_URL."
        ) from None
    try:
        try:
            await db.ping()
        except Exception as error:
            raise StartupFailure(
                f"Cannot connect to the database {where}: {reason(error)}.\n"
                "Check DATABASE_URL (host, port, user, password, database name)."
            ) from None
        try:
            await upgrade(db)
        except Exception as error:
            raise StartupFailure(
                f"The database schema could not be brought up to date: {reason(error)}.\n"
                f"Nothing was changed; check DATABASE_URL ({where}) points at this product's "
                "database, and that this version is not older than the one that migrated it."
            ) from None
    except BaseException:
        await db.dispose()
        raise
    return db


def listen_failure(error: OSError, host: str, port: int) -> StartupFailure:
    """Why the HTTP API could not listen on HTTP_HOST:HTTP_PORT."""
    if error.errno == errno.EADDRINUSE:
        return StartupFailure(
            f"Port {port} on {host} is already in use by another program.\n"
            "Stop that program, or set HTTP_PORT (and HTTP_HOST) to a free address."
        )
    if error.errno == errno.EACCES:
        return StartupFailure(
            f"Not allowed to listen on port {port}: ports below 1024 need privileges.\n"
            "Set HTTP_PORT to 1024 or above."
        )
    if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        return StartupFailure(
            f"HTTP_HOST={host} is not an address of this machine.\n"
            "Set HTTP_HOST to 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)."
        )
    return StartupFailure(
        f"The HTTP API cannot listen on {host}:{port}: {reason(error)}.\n"
        "Check HTTP_HOST and HTTP_PORT."
    )


def mask_token(token: str) -> str:
    """`123456:ABC…` → `123456:***`: the bot id stays readable, the secret does not."""
    bot_id, sep, _ = token.partition(":")
    return f"{bot_id}:***" if sep else "***"


def telegram_failure(error: BaseException, url: str, retry_in: float) -> str:
    """One log line for a failed attempt to reach Telegram, naming the setting to check."""
    from telegram.error import Forbidden, InvalidToken, NetworkError, TimedOut

    cause: Any = error
    if isinstance(cause, InvalidToken):
        what, setting = "Telegram refused the bot token", "TELEGRAM_BOT_TOKEN"
    elif isinstance(cause, Forbidden):
        what, setting = "Telegram refused the request", "TELEGRAM_BOT_TOKEN"
    elif isinstance(cause, TimedOut | NetworkError | OSError):
        what, setting = "Telegram is unreachable", "TELEGRAM_API_BASE_URL or the network"
    else:
        what, setting = "The Telegram side could not start", "WEBHOOK_URL / TELEGRAM_BOT_TOKEN"
    why = _TOKEN.sub(lambda m: f"{m.group(1)}:***", reason(error))  # PTB quotes the token
    return f"{what} at {url} ({why}); check {setting}; retrying in {retry_in:g} s"
