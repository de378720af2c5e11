"""Bearer API keys: one shop per key, checked against their hashes, with a short cache.

The cache keeps a key's shop for `TTL_SECONDS` (5 s) after a successful check, so a rush of
claims costs no database round trip for authentication. A revocation made in this process
(`services.api_keys.revoke`) drops the key at once; one made in another process takes effect
here within the TTL. Wrong keys are not cached: they cost a lookup each, like any miss.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from aiohttp import web

from bot.http.problems import HttpProblem
from core.rules.roles import Actor
from core.services.api_keys import ApiKeyService, split_key
from core.singleflight import SingleFlight

TTL_SECONDS = 5.0
MAX_ENTRIES = 10_000


class ApiKeyCache:
    def __init__(
        self,
        keys: ApiKeyService,
        *,
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, tuple[int, float, str]] = {}  # key → (shop, expiry, key id)
        self._loads: SingleFlight[str, int | None] = SingleFlight()
        keys.on_revoke.append(self.forget_key_id)

    async def shop_of(self, key: str) -> int | None:
        now = self._monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[1] > now:
            return entry[0]
        shop_id = await self._loads.run(key, lambda: self._keys.authenticate(key))
        if shop_id is None:
            self._entries.pop(key, None)
            return None
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        parts = split_key(key)
        self._entries[key] = (shop_id, now + self._ttl, parts[0] if parts else "")
        return shop_id

    def forget_key_id(self, key_id: str) -> None:
        for key in [k for k, entry in self._entries.items() if entry[2] == key_id]:
            del self._entries[key]


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
