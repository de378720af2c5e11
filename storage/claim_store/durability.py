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


class CommitPace:
    """Chooses, batch by batch, how a claim batch reaches the disk.

    - *Synchronous*: the batch's own `COMMIT` waits for the flush, under the voucher's row
      lock. Best when a flush is cheap (a fast disk's `fsync` costs a fraction of a
      millisecond: a barrier would only add a transaction).
    - *Asynchronous*: the `COMMIT` returns at once and the answers wait for the `WalBarrier`.
      Best when a flush is slow (milliseconds): the voucher's next batch runs during the flush.

    Both are durable before any answer. The choice follows what a synchronous commit costs (a
    moving average over the synchronous commits that wrote claims): asynchronous from
    `SLOW_MS` up, synchronous again from `FAST_MS` down. While asynchronous, one batch in
    `PROBE_EVERY` still commits synchronously, to keep measuring. (The barrier's own duration is
    no measure: under load it includes waiting for the CPU and for other flushes.) `fixed`
    pins the choice (tests).
    """

    SLOW_MS = 2.0
    FAST_MS = 1.0
    WEIGHT = 0.2
    PROBE_EVERY = 8

    def __init__(self, fixed: bool | None = None) -> None:
        self.fixed = fixed
        self.asynchronous = bool(fixed)
        self.commit_ms = 0.0
        self._batches = 0

    def next_asynchronous(self) -> bool:
        """Whether the next batch commits asynchronously."""
        self._batches += 1
        if self.fixed is not None:
            return self.fixed
        return self.asynchronous and self._batches % self.PROBE_EVERY != 0

    def observe(self, seconds: float) -> None:
        """A synchronous commit that wrote claims took this long."""
        self.commit_ms += self.WEIGHT * (seconds * 1000 - self.commit_ms)
        if self.commit_ms >= self.SLOW_MS:
            self.asynchronous = True
        elif self.commit_ms <= self.FAST_MS:
            self.asynchronous = False
