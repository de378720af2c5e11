"""What the claim path remembers between requests, so a rush's refusals cost no database work:
a read-through cache that owns its loaders and stays coherent across processes (R-scale1).

Everything here is safe to remember because of how the rules move:
- a buyer who reached a voucher's per-customer limit stays there (claims are counted as made,
  and the limit can only change while the voucher is upcoming, before any claim);
- a sold-out voucher stays sold out until its quantity is raised, and while it is sold out no
  claim can happen anywhere, so the set of buyers at their limit is frozen too;
- a voucher's other fields change only through an edit, a raise or a deactivation. This
  process forgets the voucher at once; every other process hears of it through the change
  feed (`storage.changes`: LISTEN/NOTIFY on PostgreSQL, the change counter on SQLite) and
  forgets it too. While the feed cannot vouch for the cache (`fresh()` is False: the
  PostgreSQL listener is not connected), every answer is read from the database.
A load that raced with a change is not kept (the epoch moved while it read), so a notification
can never be overwritten by the stale row it announced the end of. The claim store re-checks
every limit under its row locks, so even a stale entry could never let a claim through.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

from core.services.voucher_memo import DEFAULT_TTL, VoucherMemo
from core.singleflight import SingleFlight

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class ClaimTarget:
    """The voucher fields a claim decision reads, with its shop's team chat."""

    voucher_id: int
    shop_id: int
    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    deactivated_at: datetime | None
    per_customer_limit: int
    total_quantity: int
    claimed: int
    redeem_until: datetime | None
    valid_days: int | None
    team_chat_id: int | None
    segment: str = "all"  # R-seg
    # The shop's segment windows (repeat, lapsed active, lapsed quiet, follower), in days.
    windows: tuple[int, ...] = (30, 365, 90, 30)

    @property
    def sold_out(self) -> bool:
        return self.claimed >= self.total_quantity


TargetLoader = Callable[[int], Awaitable[ClaimTarget | None]]
BuyersLoader = Callable[[ClaimTarget], Awaitable[frozenset[str]]]


async def _no_target(_voucher_id: int) -> ClaimTarget | None:
    raise RuntimeError("ClaimCache has no target loader")


async def _no_buyers(_target: ClaimTarget) -> frozenset[str]:
    raise RuntimeError("ClaimCache has no buyers loader")


class _Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


class ClaimCache:
    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        size: int = 200_000,
        monotonic: Callable[[], float] = time.monotonic,
        load_target: TargetLoader = _no_target,
        load_sold_out_buyers: BuyersLoader = _no_buyers,
        fresh: Callable[[], bool] = lambda: True,
    ) -> None:
        self.load_target = load_target
        self.load_sold_out_buyers = load_sold_out_buyers
        self.fresh = fresh  # the change feed's check, made before each answer
        self._targets: VoucherMemo[ClaimTarget] = VoucherMemo(
            lambda voucher_id: self.load_target(voucher_id),
            fresh=lambda: self.fresh(),
            ttl=ttl,
            monotonic=monotonic,
            keep=self.put_target,
        )
        self._at_limit: _Lru[tuple[int, str], bool] = _Lru(size)
        self._sold_out_buyers: dict[int, tuple[int, frozenset[str]]] = {}
        self._replays: _Lru[tuple[int, str], object] = _Lru(size)
        self._buyer_loads: SingleFlight[int, frozenset[str]] = SingleFlight()

    # --- vouchers --------------------------------------------------------------------------

    async def target(self, voucher_id: int) -> ClaimTarget | None:
        """The voucher as every process would read it now (R-scale1)."""
        return await self._targets.get(voucher_id)

    def put_target(self, voucher_id: int, target: ClaimTarget | None) -> None:
        known = self._targets.entry(voucher_id)
        old = known[1] if known else None
        if old is None or target is None or old.total_quantity != target.total_quantity:
            self._sold_out_buyers.pop(voucher_id, None)
        self._targets.put(voucher_id, target)

    def note_taken(self, voucher_id: int, claimed: int, total: int) -> None:
        """What a write saw of the quota: claims only grow, so keep the largest."""
        entry = self._targets.entry(voucher_id)
        if entry is None:
            return
        stamp, target = entry
        if target is None:
            return
        if target.total_quantity != total:
            self.forget(voucher_id)
            return
        if claimed > target.claimed:
            self._targets.put(voucher_id, replace(target, claimed=claimed), stamp)

    def forget(self, voucher_id: int) -> None:
        """After an edit, a raise or a deactivation, here or in another process."""
        self._targets.forget(voucher_id)
        self._sold_out_buyers.pop(voucher_id, None)

    def forget_all(self) -> None:
        """When the change feed cannot say what changed (a reconnection, SQLite's counter)."""
        self._targets.forget_all()
        self._sold_out_buyers.clear()

    def on_change(self, topic: str | None, ident: str | None) -> None:
        """The change feed's subscriber."""
        if topic == "voucher" and ident is not None and ident.isdigit():
            self.forget(int(ident))
        elif topic in (None, "voucher", "shop"):
            self.forget_all()

    # --- buyers ----------------------------------------------------------------------------

    def at_limit(self, voucher_id: int, buyer_id: str) -> bool:
        return bool(self._at_limit.get((voucher_id, buyer_id)))

    def mark_at_limit(self, voucher_id: int, buyer_id: str) -> None:
        self._at_limit.put((voucher_id, buyer_id), True)

    async def sold_out_buyers(self, target: ClaimTarget) -> frozenset[str]:
        """The buyers at their limit of a sold-out voucher (frozen while it stays sold out)."""
        vid, total = target.voucher_id, target.total_quantity
        entry = self._sold_out_buyers.get(vid)
        if entry is not None and entry[0] == total:
            return entry[1]
        return await self._buyer_loads.run(vid, lambda: self._load_buyers(target))

    async def _load_buyers(self, target: ClaimTarget) -> frozenset[str]:
        epoch = self._targets.epoch  # a forget of the voucher moves it
        buyers = await self.load_sold_out_buyers(target)
        if epoch == self._targets.epoch:
            self._sold_out_buyers[target.voucher_id] = (target.total_quantity, buyers)
        return buyers

    # --- idempotency -----------------------------------------------------------------------

    def replay(self, shop_id: int, key: str) -> object | None:
        return self._replays.get((shop_id, key))

    def remember(self, shop_id: int, key: str, result: object) -> None:
        self._replays.put((shop_id, key), result)
