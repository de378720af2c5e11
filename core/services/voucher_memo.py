"""One remembered value per voucher, read through a loader and kept while the change feed can
vouch for it (R-scale1): what `ClaimCache` keeps of a voucher (its claim target) and what
`LiveClaimCache` keeps of its active distribution.

- Answered from memory only while `fresh()` (the change feed's check) is True; otherwise, and
  after `ttl` seconds (a safety net: coherence comes from the feed), read again.
- Concurrent misses of one voucher share one read (`SingleFlight`).
- A read that straddled a forget is not kept (the epoch moved while it read), so a
  notification can never be overwritten by the stale row it announced the end of.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from core.singleflight import SingleFlight

V = TypeVar("V")

# A safety net only: coherence comes from the change feed, not from expiry.
DEFAULT_TTL = 60.0


class VoucherMemo(Generic[V]):
    def __init__(
        self,
        load: Callable[[int], Awaitable[V | None]],
        *,
        fresh: Callable[[], bool],
        ttl: float = DEFAULT_TTL,
        monotonic: Callable[[], float] = time.monotonic,
        keep: Callable[[int, V | None], None] | None = None,
    ) -> None:
        self._read = load
        self.fresh = fresh
        self.ttl = ttl
        self._monotonic = monotonic
        self._keep = keep or self.put  # what a kept read does (the owner may do more)
        self.epoch = 0  # moves with every forget: reads that straddle one are not kept
        self._values: dict[int, tuple[float, V | None]] = {}
        self._loads: SingleFlight[int, V | None] = SingleFlight()

    async def get(self, voucher_id: int) -> V | None:
        """The value as every process would read it now."""
        if self.fresh():
            entry = self._values.get(voucher_id)
            if entry is not None and self._monotonic() - entry[0] <= self.ttl:
                return entry[1]
        return await self._loads.run(voucher_id, lambda: self._load(voucher_id))

    async def _load(self, voucher_id: int) -> V | None:
        epoch = self.epoch
        value = await self._read(voucher_id)
        if epoch == self.epoch and self.fresh():
            self._keep(voucher_id, value)
        return value

    def entry(self, voucher_id: int) -> tuple[float, V | None] | None:
        """(when it was read, the value), or None when nothing is remembered."""
        return self._values.get(voucher_id)

    def put(self, voucher_id: int, value: V | None, stamp: float | None = None) -> None:
        self._values[voucher_id] = (self._monotonic() if stamp is None else stamp, value)

    def __contains__(self, voucher_id: int) -> bool:
        return voucher_id in self._values

    def forget(self, voucher_id: int) -> None:
        self.epoch += 1
        self._values.pop(voucher_id, None)

    def forget_all(self) -> None:
        self.epoch += 1
        self._values.clear()
