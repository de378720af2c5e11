"""Bounded polling for outcomes another task or process produces (a log line, a row written
after a reply): the test waits for the outcome itself, up to a deadline, and fails with what it
was waiting for — never a fixed sleep that hopes a race is over."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    predicate: Callable[[], T | Awaitable[T]],
    what: str,
    *,
    within: float = 10.0,
    interval: float = 0.02,
) -> T:
    """The first truthy value of `predicate()` (sync or async) within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise AssertionError(f"waited {within:g} s for {what}")
        await asyncio.sleep(interval)
