"""R-api5: every list pages the same way — `limit` 1–200 and an opaque cursor bound to its
list and filters. A cursor carries a short hash of the route, its path parameters and its
query (less `cursor` and `limit`); the handler of a declared route sets that scope
(`scoped`), so a cursor of another list, or of the same list with other filters, is a 422."""

from __future__ import annotations

import base64
import binascii
import contextvars
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from bot.http.problems import validation_problem
from core.errors import FieldError

MAX_POSITION = 2**31 - 1
_NOT_PAGING = ("cursor", "limit")

_scope: contextvars.ContextVar[str] = contextvars.ContextVar("cursor_scope", default="")

T = TypeVar("T")


def scope_of(route_key: str, path: Mapping[str, str], query: Mapping[str, str]) -> str:
    parts = [route_key, *sorted(f"{k}={v}" for k, v in path.items())]
    parts += sorted(f"?{k}={v}" for k, v in query.items() if k not in _NOT_PAGING)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def scoped(scope: str) -> None:
    """The list the current request reads (set per request, in its own task's context)."""
    _scope.set(scope)


def encode_cursor(position: int | None) -> str | None:
    if position is None:
        return None
    text = f"id:{position}:{_scope.get()}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _foreign() -> Exception:
    return validation_problem([FieldError("cursor", "is not a cursor of this list and filters")])


def decode_cursor(cursor: str | None) -> int | None:
    """The position after which the next page starts; a cursor is opaque to clients."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value, scope = text.split(":")
        position = int(value)
        if kind != "id" or not 0 <= position <= MAX_POSITION:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _foreign() from None
    if scope != _scope.get():
        raise _foreign()
    return position


def page(items: list[Any], limit: int, id_of: Callable[[Any], int]) -> tuple[list[Any], str | None]:
    """Trims a `limit + 1` fetch to one page and the cursor of the next (None at the end)."""
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, encode_cursor(id_of(items[-1]))


class _Paged(Protocol):
    limit: int
    cursor: str | None


class _PagedCall(Protocol):
    @property
    def query(self) -> Any: ...


def page_of(
    call: _PagedCall, rows: list[T], id_of: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """One page of a list read whole (short lists: accounts, a session's drops), in id order."""
    q: _Paged = call.query
    after = decode_cursor(q.cursor)
    ordered = sorted(rows, key=id_of)
    if after is not None:
        ordered = [r for r in ordered if id_of(r) > after]
    return page(ordered, q.limit, id_of)
