"""What a LIVE claim remembers between requests (R-live2, R-live3, R-draw1, R-scale1): the
voucher's active distribution as a claim reads it, and the viewers who already met a WATCH task.

Why remembering is safe:
- a distribution's fields a claim reads (its session, host account, task, and whether it is a
  draw — a draw is opened in the distribution's own transaction) never change while it is
  active; what changes is *which* distribution is active, and only through a write of a
  `Distribution` row: issued (at once, by a timed drop or as a draw), stopped, drawn, ended with
  its session, its account or its voucher, its claim period over. Every such write is announced
  as its voucher (`voucher:<id>`, as `ClaimCache` hears a voucher's edit; the stop below the
  ORM through `storage.distribution_changes`), heard by this process at its commit and by
  every other through the change feed. While the feed cannot vouch for the
  cache (`fresh()` is False), every answer is read from the database. A load that raced with a
  change is not kept (`VoucherMemo`, as in `ClaimCache`).
- a viewer's watch time in a session only grows (the platform reports a cumulative maximum,
  `repositories.live.record_watch`), so one who met a distribution's WATCH task once meets it
  for as long as that distribution is active; the follow task is read at every claim (an
  unfollow ends it).
The claim store re-checks under its locks that the distribution it was given is still active,
so even a stale entry could never give a claim through a stopped distribution.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.services.claim_cache import _Lru
from core.services.voucher_memo import DEFAULT_TTL, VoucherMemo


@dataclass(frozen=True)
class LiveTarget:
    """A voucher's active distribution, as a claim reads it."""

    id: int
    voucher_id: int
    session_id: int
    account_id: int
    task_type: str
    task_minutes: int | None
    is_draw: bool  # R-draw1: its claims are given at the draw's close


LiveLoader = Callable[[int], Awaitable[LiveTarget | None]]


async def _no_loader(_voucher_id: int) -> LiveTarget | None:
    raise RuntimeError("LiveClaimCache has no loader")


class LiveClaimCache:
    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        size: int = 200_000,
        monotonic: Callable[[], float] = time.monotonic,
        load: LiveLoader = _no_loader,
        fresh: Callable[[], bool] = lambda: True,
    ) -> None:
        self.load = load
        self.fresh = fresh  # the change feed's check, made before each answer
        self._active: VoucherMemo[LiveTarget] = VoucherMemo(
            lambda voucher_id: self.load(voucher_id),
            fresh=lambda: self.fresh(),
            ttl=ttl,
            monotonic=monotonic,
        )
        # (distribution, buyer) pairs that met the WATCH task: met stays met.
        self._watched: _Lru[tuple[int, str], bool] = _Lru(size)

    async def active(self, voucher_id: int) -> LiveTarget | None:
        """The voucher's active distribution as every process would read it now."""
        return await self._active.get(voucher_id)

    def forget(self, voucher_id: int) -> None:
        """A distribution of the voucher changed, here or in another process."""
        self._active.forget(voucher_id)

    def forget_all(self) -> None:
        """When the change feed cannot say what changed (a reconnection, SQLite's counter)."""
        self._active.forget_all()

    def on_change(self, topic: str | None, ident: str | None) -> None:
        """The change feed's subscriber."""
        if topic == "voucher" and ident is not None and ident.isdigit():
            self.forget(int(ident))
        elif topic in (None, "voucher"):
            self.forget_all()

    # --- R-live2's WATCH task ----------------------------------------------------------------

    def watch_met(self, distribution_id: int, buyer_id: str) -> bool:
        return bool(self._watched.get((distribution_id, buyer_id)))

    def mark_watch_met(self, distribution_id: int, buyer_id: str) -> None:
        self._watched.put((distribution_id, buyer_id), True)
