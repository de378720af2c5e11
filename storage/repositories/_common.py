"""Helpers shared by the query modules: id bounds, dialect INSERT, first/all."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

# Ids are 32-bit integer columns: a larger number names no row (and PostgreSQL would refuse
# to compare with it), so lookups answer "not found" without asking.
MAX_ID = 2**31 - 1


def _storable_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (for ON CONFLICT), on a session or a bare connection."""
    # a session's engine, or the bare connection passed in its place: either carries the dialect
    bind = cast("AsyncEngine | AsyncConnection", getattr(session, "bind", None) or session)
    dialect = bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


T = TypeVar("T")


async def _first(session: AsyncSession, stmt: SelectOfScalar[T]) -> T | None:
    return (await session.execute(stmt)).scalars().first()


async def _all(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.execute(stmt)).scalars().all())
