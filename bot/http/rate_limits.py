"""R-api6: rate limits per API key and route class, counted across processes, answered 429
with `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` headers.

Fixed windows of `WINDOW_SECONDS` (wall-clock aligned, so every process agrees on them). A
process leases a share of a window's quota from the database at a time (`RateWindowService`)
and spends it in memory: the claim path costs one shared write per share, not per request.
Shares (1% of the quota) leased but not spent when the window ends are lost, so a key may be
refused up to 1% per process before its quota, never admitted beyond it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from bot.http.problems import HttpProblem
from core.services.rate_windows import RateWindowService

WINDOW_SECONDS = 60
SHARE_DIVISOR = 100  # a process leases 1% of a window's quota at a time


class RateClass(StrEnum):
    """Route classes: each has its own quota per API key."""

    VIEWERS = "viewers"  # claims, draw entries, watch reports, follows: a rush's traffic
    WRITES = "writes"  # every other change
    READS = "reads"  # GET


class Verdict(NamedTuple):
    """A request's standing against its quota (a tuple: made on every request)."""

    allowed: bool
    rate: RateClass
    quota: int
    remaining: int
    reset: int  # seconds until the window ends

    @property
    def told(self) -> bool:
        """Whether the answer carries the RateLimit headers: always, except on the claim
        path's class while more than half its quota is left (the rush stays cheap)."""
        return self.rate is not RateClass.VIEWERS or self.remaining * 2 < self.quota

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": _policy(self.rate, self.quota),
            "RateLimit": f'"{self.rate.value}";r={self.remaining};t={self.reset}',
        }


@functools.lru_cache(maxsize=64)
def _policy(rate: RateClass, quota: int) -> str:
    return f'"{rate.value}";q={quota};w={WINDOW_SECONDS}'


@dataclass
class _Bucket:
    window: int = -1
    granted: int = 0  # leased for this window by this process
    spent: int = 0
    seen: int = 0  # the window's count across processes after this process's last lease
    exhausted: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class RateLimiter:
    def __init__(
        self,
        leases: RateWindowService,
        quotas: Mapping[RateClass, int],
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._leases = leases
        self._quotas = dict(quotas)
        self._wall = wall
        self._buckets: dict[tuple[str, RateClass], _Bucket] = {}
        self._purged_window = -1

    def quota(self, rate: RateClass) -> int:
        return self._quotas[rate]

    def take_now(self, key_id: str, rate: RateClass) -> Verdict | None:
        """The verdict when this process can give it from memory (the hot path: no await);
        None when a share must be leased first (`take`)."""
        now = self._wall()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        bucket = self._buckets.get((key_id, rate))
        if bucket is None or bucket.window != window:
            return None
        quota = self._quotas[rate]
        reset = max(1, window + WINDOW_SECONDS - int(now))
        if bucket.spent < bucket.granted:
            bucket.spent += 1
            left = max(0, quota - bucket.seen + bucket.granted - bucket.spent)
            return Verdict(True, rate, quota, left, reset)
        if bucket.exhausted:
            return Verdict(False, rate, quota, 0, reset)
        return None

    async def take(self, key_id: str, rate: RateClass) -> Verdict:
        verdict = self.take_now(key_id, rate)
        if verdict is not None:
            return verdict
        now = self._wall()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        reset = max(1, window + WINDOW_SECONDS - int(now))
        quota = self._quotas[rate]
        name = f"{key_id}:{rate.value}"
        bucket = self._buckets.get((key_id, rate))
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._buckets.clear()
            bucket = self._buckets[(key_id, rate)] = _Bucket()
        if bucket.window != window:
            bucket.window, bucket.granted, bucket.spent = window, 0, 0
            bucket.seen, bucket.exhausted = 0, False
        if bucket.spent >= bucket.granted and not bucket.exhausted:
            async with bucket.lock:
                if bucket.window == window and bucket.spent >= bucket.granted:
                    await self._lease(bucket, name, window, quota)
        if bucket.window == window and bucket.spent < bucket.granted:
            bucket.spent += 1
            left = max(0, quota - bucket.seen + bucket.granted - bucket.spent)
            return Verdict(True, rate, quota, left, reset)
        return Verdict(False, rate, quota, 0, reset)

    async def _lease(self, bucket: _Bucket, name: str, window: int, quota: int) -> None:
        share = max(1, quota // SHARE_DIVISOR)
        if window != self._purged_window:
            self._purged_window = window
            await self._leases.purge(window)
        used = await self._leases.lease(name, window, share)
        if bucket.window != window:
            return  # the window ended while leasing
        granted = max(0, min(share, quota - (used - share)))
        bucket.granted += granted
        bucket.seen = used
        bucket.exhausted = granted == 0


def too_many(verdict: Verdict) -> HttpProblem:
    return HttpProblem(
        429,
        "rate_limited",
        f"This API key sent more than {verdict.quota} {verdict.rate} requests in "
        f"{WINDOW_SECONDS} seconds; retry after the time in Retry-After.",
        headers={"Retry-After": str(verdict.reset), **verdict.headers()},
        extra={"limit": verdict.quota, "route_class": str(verdict.rate)},
    )
