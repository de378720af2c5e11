"""`WalBarrier`: answers wait here until everything committed before them is on disk.

PostgreSQL's claim batches commit asynchronously (their row locks are released before the WAL
is flushed) and their callers then `await barrier.wait()`. A wait is satisfied by a flush that
*began* after it was asked for: PostgreSQL flushes its WAL in order, so a synchronous commit
that started after a batch's commit covers that batch too.

One flush runs at a time; every wait asked for while it runs joins the next one, which starts
as soon as the running one ends. A rush therefore costs one flush (one `fsync`) for all the
batches committed meanwhile — the same group commit as the batches', one level down — and an
answer waits at most for the end of the running flush and one more.

A failed flush fails every wait that joined it: their claims are not known to be on disk, so
they are not acknowledged (the caller sees an error, as it would for a failed commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress


class WalBarrier:
    def __init__(self, flush: Callable[[], Awaitable[None]]) -> None:
        self._flush = flush
        self._running: asyncio.Future[None] | None = None
        self._next: asyncio.Future[None] | None = None
        self.flushes = 0  # how many flushes ran (tests, the benchmark's curiosity)

    async def wait(self) -> None:
        """Returns once a flush that began after this call has completed."""
        if self._next is None:
            self._next = asyncio.ensure_future(self._after(self._running))
        # Shielded: a caller that gives up does not cancel the flush the others wait for.
        await asyncio.shield(self._next)

    async def _after(self, running: asyncio.Future[None] | None) -> None:
        if running is not None:
            with suppress(BaseException):
                await running
        # From here on, new waits queue for the flush after this one: this one may already
        # have begun by the time their batch committed.
        self._running, self._next = self._next, None
        self.flushes += 1
        await self._flush()

    async def drain(self) -> None:
        """Waits for the flushes asked for (at close)."""
        for pending in (self._running, self._next):
            if pending is not None:
                with suppress(BaseException):
                    await pending
