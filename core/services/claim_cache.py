"""What the claim path remembers between requests, so a rush's refusals cost no database work.

Everything here is safe to remember because of how the rules move:
- a buyer who reached a voucher's per-customer limit stays there (claims are counted as made,
  and the limit can only change while the voucher is upcoming, before any claim);
- a sold-out voucher stays sold out until its quantity is raised, and while it is sold out no
  claim can happen anywhere, so the set of buyers at their limit is frozen too;
- a voucher's other fields change only through an edit or a deactivation, which this process
  forgets at once, and which other processes' changes reach here within `ttl` seconds.
A stale entry can only make this process refuse for up to `ttl` a claim that would now pass
(e.g. right after another process raised the quantity); it can never let a claim through,
because the write re-checks every limit under its row locks.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, TypeVar

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

    @property
    def sold_out(self) -> bool:
        return self.claimed >= self.total_quantity


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


class ClaimCache:
    def __init__(
        self,
        ttl: float = 1.0,
        *,
        size: int = 200_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._targets: dict[int, tuple[float, ClaimTarget | None]] = {}
        self._at_limit: _Lru[tuple[int, str], bool] = _Lru(size)
        self._sold_out_buyers: dict[int, tuple[int, frozenset[str]]] = {}
        self._replays: _Lru[tuple[int, str], object] = _Lru(size)

    # --- vouchers --------------------------------------------------------------------------

    def target(self, voucher_id: int) -> tuple[bool, ClaimTarget | None]:
        """(known, target): unknown when never loaded or older than ttl."""
        entry = self._targets.get(voucher_id)
        if entry is None or self._monotonic() - entry[0] > self.ttl:
            return False, None
        return True, entry[1]

    def put_target(self, voucher_id: int, target: ClaimTarget | None) -> None:
        known = self._targets.get(voucher_id)
        old = known[1] if known else None
        if old is None or target is None or old.total_quantity != target.total_quantity:
            self._sold_out_buyers.pop(voucher_id, None)
        self._targets[voucher_id] = (self._monotonic(), target)

    def note_taken(self, voucher_id: int, claimed: int, total: int) -> None:
        """What a write saw of the quota: claims only grow, so keep the largest."""
        entry = self._targets.get(voucher_id)
        if entry is None or entry[1] is None:
            return
        stamp, target = entry
        if target.total_quantity != total:
            self.forget(voucher_id)
            return
        if claimed > target.claimed:
            self._targets[voucher_id] = (stamp, replace(target, claimed=claimed))

    def forget(self, voucher_id: int) -> None:
        """After an edit or deactivation in this process: read the voucher again."""
        self._targets.pop(voucher_id, None)
        self._sold_out_buyers.pop(voucher_id, None)

    # --- buyers ----------------------------------------------------------------------------

    def at_limit(self, voucher_id: int, buyer_id: str) -> bool:
        return bool(self._at_limit.get((voucher_id, buyer_id)))

    def mark_at_limit(self, voucher_id: int, buyer_id: str) -> None:
        self._at_limit.put((voucher_id, buyer_id), True)

    def sold_out_buyers(self, voucher_id: int, total: int) -> frozenset[str] | None:
        entry = self._sold_out_buyers.get(voucher_id)
        return entry[1] if entry and entry[0] == total else None

    def put_sold_out_buyers(self, voucher_id: int, total: int, buyers: frozenset[str]) -> None:
        self._sold_out_buyers[voucher_id] = (total, buyers)

    # --- idempotency -----------------------------------------------------------------------

    def replay(self, shop_id: int, key: str) -> object | None:
        return self._replays.get((shop_id, key))

    def remember(self, shop_id: int, key: str, result: object) -> None:
        self._replays.put((shop_id, key), result)
