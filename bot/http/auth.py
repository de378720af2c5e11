"""Bearer API keys: one shop per key, checked against their hashes, with a cache.

The cache keeps a key's shop for `TTL_SECONDS` after a successful check, so a rush of claims
costs no database round trip for authentication. A revocation is refused everywhere once it
commits (R-scale1): this process drops the key at once (`services.api_keys.on_revoke`), and
every process hears of it through the change feed (`storage.changes`: LISTEN/NOTIFY on
PostgreSQL, the change counter checked before each answer on SQLite). While the feed cannot
vouch for the cache, keys are checked against the database. Wrong keys are not cached.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.http.problems import HttpProblem
from core.rules.roles import Actor
from core.services.api_keys import ApiKeyService, split_key
from core.singleflight import SingleFlight

if TYPE_CHECKING:
    from storage.changes import ChangeFeed

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class ApiKeyCache:
    def __init__(
        self,
        keys: ApiKeyService,
        *,
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        changes: ChangeFeed | None = None,
    ) -> None:
        self._keys = keys
        self._ttl = ttl
        self._monotonic = monotonic
        self._fresh: Callable[[], bool] = changes.fresh if changes else lambda: True
        self._epoch = 0  # moves with every forget: a check that straddles one is not kept
        self._entries: dict[str, tuple[int, float, str]] = {}  # key → (shop, expiry, key id)
        self._loads: SingleFlight[str, int | None] = SingleFlight()
        keys.on_revoke.append(self.forget_key_id)
        if changes is not None:
            changes.subscribe(self.on_change)

    async def shop_of(self, key: str) -> int | None:
        now = self._monotonic()
        fresh = self._fresh()
        entry = self._entries.get(key)
        if fresh and entry is not None and entry[1] > now:
            return entry[0]
        shop_id = await self._loads.run(key, lambda: self._check(key))
        return shop_id

    async def _check(self, key: str) -> int | None:
        epoch = self._epoch
        shop_id = await self._keys.authenticate(key)
        if shop_id is None:
            self._entries.pop(key, None)
            return None
        if epoch == self._epoch and self._fresh():
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            parts = split_key(key)
            expiry = self._monotonic() + self._ttl
            self._entries[key] = (shop_id, expiry, parts[0] if parts else "")
        return shop_id

    def forget_key_id(self, key_id: str) -> None:
        self._epoch += 1
        for key in [k for k, entry in self._entries.items() if entry[2] == key_id]:
            del self._entries[key]

    def on_change(self, topic: str | None, ident: str | None) -> None:
        """The change feed's subscriber: a revoked key, or everything when unsure."""
        if topic == "api_key" and ident is not None:
            self.forget_key_id(ident)
        elif topic is None:
            self._epoch += 1
            self._entries.clear()


def _unauthorized(detail: str) -> HttpProblem:
    return HttpProblem(
        401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="voucherbot"'}
    )


async def authenticate(request: web.Request, cache: ApiKeyCache) -> Actor:
    """The platform actor of the request's shop, or a 401 problem."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise _unauthorized("Send the shop's API key as `Authorization: Bearer <api key>`.")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("Use the Bearer scheme: `Authorization: Bearer <api key>`.")
    shop_id = await cache.shop_of(key.strip())
    if shop_id is None:
        raise _unauthorized("The API key is wrong or was revoked.")
    return _platform_actor(shop_id)


@functools.lru_cache(maxsize=MAX_ENTRIES)
def _platform_actor(shop_id: int) -> Actor:
    # Actors are frozen: one per shop serves every request, instead of one built per request.
    return Actor.platform(shop_id)
