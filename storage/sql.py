"""Typed access to what SQLAlchemy and SQLModel hand back loosely typed, so the queries and
services need no ignore comments for the type checker: a stored row's id, the rows a
statement changed, a model's table."""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, Result, Table
from sqlalchemy.orm import class_mapper
from sqlmodel import SQLModel


def changed_rows(result: Result[Any]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched. `AsyncSession.execute` is declared to
    return a plain `Result`; for these statements it is a `CursorResult`, which counts them."""
    return cast("CursorResult[Any]", result).rowcount


def table_of(model: type[SQLModel]) -> Table:
    """The table of a table model: the `__table__` SQLModel's metaclass sets without declaring
    it (the mapper's own table, the very same object)."""
    table = class_mapper(model).local_table
    assert isinstance(table, Table), f"{model.__name__} is not a table model"
    return table


class _Stored(Protocol):
    @property
    def id(self) -> int | None: ...


def row_id(row: _Stored) -> int:
    """The id of a stored row. The tables declare `id: int | None` because a new row has none
    until its insert is flushed; every row read back or flushed has one, so a missing id here
    is a programming error (a row used before `session.flush()`), never input."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} used before it was stored (no id yet)")
    return row.id
