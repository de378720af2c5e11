"""The drand mirrors over HTTP (R-draw4): `GET {mirror}/{chain hash}/public/{round}` on each
mirror of `DRAND_URLS` at once. Answers are only collected here; core.services.beacon
verifies each signature against quicknet's public key, so a wrong or lying mirror costs
nothing but its answer."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from core.rules import drand

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=5)


class DrandMirrors:
    def __init__(self, mirrors: list[str], chain_hash: str = drand.CHAIN_HASH) -> None:
        self.mirrors = list(mirrors)
        self.chain_hash = chain_hash
        self._session: aiohttp.ClientSession | None = None

    async def answers(self, round_number: int) -> list[str]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        results = await asyncio.gather(
            *(self._ask(m, round_number) for m in self.mirrors), return_exceptions=True
        )
        return [r for r in results if isinstance(r, str)]

    async def _ask(self, mirror: str, round_number: int) -> str | None:
        url = f"{mirror}/{self.chain_hash}/public/{round_number}"
        assert self._session is not None
        try:
            async with self._session.get(url) as response:
                if response.status != 200:
                    return None
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.info("drand mirror %s: %s", mirror, exc)
            return None
        if not isinstance(body, dict) or body.get("round") != round_number:
            return None
        signature = body.get("signature")
        return signature if isinstance(signature, str) else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def build_beacon(mirrors: list[str]) -> DrandMirrors | None:
    """The mirrors of `DRAND_URLS`, or None for `off` (seed-only draws)."""
    return DrandMirrors(mirrors) if mirrors else None
