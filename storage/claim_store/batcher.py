"""Group commit, shared by both stores: the claims that arrive while a batch is being written
form the next batch, so a rush costs one transaction (one commit, one fsync) per batch instead
of one per claim.

Batches are queued per key, with one batch per key in flight: SQLite has a single writer, so
its store uses one key; PostgreSQL's store keys by voucher, so the claims of one voucher wait
here in order instead of piling up on the voucher's row lock inside the server, while other
vouchers' batches run in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Req = TypeVar("Req")
Res = TypeVar("Res")

MAX_BATCH = 256


class GroupCommit(Generic[K, Req, Res]):
    def __init__(
        self,
        write: Callable[[K, list[Req]], Awaitable[list[Res]]],
        *,
        max_batch: int = MAX_BATCH,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._after_batch = after_batch
        self._pending: dict[K, list[tuple[Req, asyncio.Future[Res]]]] = {}
        self._flushers: dict[K, asyncio.Task[None]] = {}

    async def submit(self, key: K, request: Req) -> Res:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Res] = loop.create_future()
        self._pending.setdefault(key, []).append((request, future))
        flusher = self._flushers.get(key)
        if flusher is None or flusher.done():
            self._flushers[key] = loop.create_task(self._flush(key))
        return await future

    async def _flush(self, key: K) -> None:
        try:
            while self._pending.get(key):
                queue = self._pending[key]
                batch, self._pending[key] = queue[: self._max_batch], queue[self._max_batch :]
                try:
                    results = await self._write(key, [r for r, _ in batch])
                except Exception as exc:  # the batch was rolled back: every caller hears it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                if self._after_batch is not None:
                    self._after_batch()
        finally:
            if not self._pending.get(key):
                self._pending.pop(key, None)
                if self._flushers.get(key) is asyncio.current_task():
                    del self._flushers[key]

    async def drain(self) -> None:
        """Waits for the batches in flight (at close)."""
        flushers = list(self._flushers.values())
        if flushers:
            await asyncio.gather(*flushers, return_exceptions=True)
