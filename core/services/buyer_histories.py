"""R-seg's reading of buyers from memory: per shop, the history of every buyer who ever ordered
or newly followed there, so a segment voucher's claim costs a dictionary lookup instead of a
database read (issue 21: the claim path with a segment within 10% of the plain one).

Why remembering is safe, and how it stays coherent (R-scale1):
- a buyer's history changes only when an order or a follow of that buyer is written (orders
  are never deleted; a cancellation is a write of the order). Every such write announces
  `buyer:<shop>:<buyer>` with its commit (`storage.changes`: NOTIFY on PostgreSQL, a change
  note on SQLite), which this process hears at once and every other one through its feed;
  the buyer's entry is then marked stale and read again alone at the next claim;
- a buyer absent from a shop's map has no order and no counted follow there: the map is the
  whole shop, loaded in one read. A shop with more than `SHOP_MAP_MAX` such buyers, or one
  that would take the process past `TOTAL_MAX`, is not kept: each claim reads its one buyer;
- time moves the answer but not the history: the windows are applied at each claim
  (`segment_met`);
- a load that straddled a forget-everything is not kept, and buyers announced while their
  shop or they themselves were being read stay stale (the read may predate their change);
- while the feed cannot vouch for memory (`fresh()` False), every answer is read.
The claim is judged before the claim store's locks, as it always was: an order arriving
meanwhile only moves the moment the segment was judged at.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.rules.targeting import BuyerHistory
from core.singleflight import SingleFlight

# Buyers kept in memory, about 300 bytes each: per shop, and in all (a shop that would pass
# either is read buyer by buyer instead).
SHOP_MAP_MAX = 100_000
TOTAL_MAX = 500_000

NEVER = BuyerHistory(None, None, None)

# A buyer's history as kept: a plain tuple of instants, which (unlike an object) Python's
# garbage collector stops tracking, so a shop of past buyers in memory does not lengthen
# every full collection on the claim path.
Instants = tuple[datetime | None, datetime | None, datetime | None]
ShopLoader = Callable[[int, int], Awaitable[dict[str, Instants] | None]]
BuyerLoader = Callable[[int, str], Awaitable[Instants]]


@dataclass
class _ShopMap:
    known: dict[str, Instants]  # every buyer with a history, except the stale ones
    stale: set[str] = field(default_factory=set)  # announced since: read again, alone


async def _no_shop(_shop_id: int, _limit: int) -> dict[str, Instants] | None:
    raise RuntimeError("BuyerHistories has no shop loader")


async def _no_buyer(_shop_id: int, _buyer_id: str) -> Instants:
    raise RuntimeError("BuyerHistories has no buyer loader")


class BuyerHistories:
    def __init__(
        self,
        *,
        load_shop: ShopLoader = _no_shop,
        load_buyer: BuyerLoader = _no_buyer,
        fresh: Callable[[], bool] = lambda: True,
        shop_max: int = SHOP_MAP_MAX,
        total_max: int = TOTAL_MAX,
    ) -> None:
        self.load_shop = load_shop
        self.load_buyer = load_buyer
        self.fresh = fresh  # the change feed's check, made before each answer
        self.shop_max = shop_max
        self.total_max = total_max
        self._kept = 0  # buyers in every kept shop
        self._shops: dict[int, _ShopMap | None] = {}  # None: too many buyers to keep
        self._epoch = 0  # moves with every forget-everything
        self._announced = 0  # moves with every buyer announced
        self._loading: dict[int, set[str]] = {}  # buyers announced while their shop loads
        self._shop_loads: SingleFlight[int, _ShopMap | None] = SingleFlight()

    async def of(self, shop_id: int, buyer_id: str) -> BuyerHistory:
        """The buyer's history in the shop, as every process would read it now."""
        if not self.fresh():
            return BuyerHistory(*await self.load_buyer(shop_id, buyer_id))
        if shop_id in self._shops:
            shop = self._shops[shop_id]
        else:
            shop = await self._shop_loads.run(shop_id, lambda: self._load_shop(shop_id))
        if shop is None:  # too many buyers to keep
            return BuyerHistory(*await self.load_buyer(shop_id, buyer_id))
        if buyer_id in shop.stale:
            return await self._reread(shop_id, shop, buyer_id)
        instants = shop.known.get(buyer_id)
        return NEVER if instants is None else BuyerHistory(*instants)

    async def _load_shop(self, shop_id: int) -> _ShopMap | None:
        epoch = self._epoch
        announced: set[str] = set()
        self._loading[shop_id] = announced
        try:
            known = await self.load_shop(shop_id, self.shop_max)
        finally:
            del self._loading[shop_id]
        shop = None
        if known is not None and self._kept + len(known) <= self.total_max:
            shop = _ShopMap(known, stale=announced)
            for buyer_id in announced:
                known.pop(buyer_id, None)
        if epoch == self._epoch and self.fresh():
            self._shops[shop_id] = shop
            self._kept += len(shop.known) if shop else 0
        return shop

    async def _reread(self, shop_id: int, shop: _ShopMap, buyer_id: str) -> BuyerHistory:
        announced, epoch = self._announced, self._epoch
        instants = await self.load_buyer(shop_id, buyer_id)
        # Kept only when no announcement came while reading (it may be of this buyer).
        if announced == self._announced and epoch == self._epoch:
            shop.stale.discard(buyer_id)
            if instants != (None, None, None):
                shop.known[buyer_id] = instants
        return BuyerHistory(*instants)

    # --- hearing ---------------------------------------------------------------------------

    def on_change(self, topic: str | None, ident: str | None) -> None:
        """The change feed's subscriber: `buyer` (`<shop>:<buyer>`), or everything."""
        if topic is None:
            self.forget_all()
        elif topic == "buyer" and ident is not None:
            shop_part, _, buyer_id = ident.partition(":")
            if shop_part.isdigit():
                self.forget_buyer(int(shop_part), buyer_id)
            else:
                self.forget_all()

    def forget_buyer(self, shop_id: int, buyer_id: str) -> None:
        self._announced += 1
        loading = self._loading.get(shop_id)
        if loading is not None:
            loading.add(buyer_id)
        shop = self._shops.get(shop_id)
        if shop is not None:
            shop.known.pop(buyer_id, None)
            shop.stale.add(buyer_id)

    def forget_all(self) -> None:
        self._epoch += 1  # a load under way is not kept
        self._shops.clear()
        self._kept = 0
