"""Where draws get the drand round they wait for (R-draw4): a `BeaconFetcher` the composition
root builds from `DRAND_URLS` (bot/drand_client.py), or none (`DRAND_URLS=off`: seed-only
draws). Mirrors are not trusted: every answer is verified here against quicknet's public key,
and the first that verifies is kept."""

from __future__ import annotations

import asyncio
from typing import Protocol

from core.rules import drand


class BeaconFetcher(Protocol):
    async def answers(self, round_number: int) -> list[str]:
        """The signatures (hex) the mirrors answered for `round_number` (each mirror asked at
        most once; an unreachable or failing mirror answers nothing)."""
        ...


async def fetch_verified(fetcher: BeaconFetcher, round_number: int) -> drand.BeaconRound | None:
    """The round, verified (py_ecc's pairing check runs on a worker thread: about 0.3–1 s of
    CPU), or None when no mirror gave a signature that verifies."""
    for signature in dict.fromkeys(await fetcher.answers(round_number)):
        checked = await asyncio.to_thread(drand.checked, round_number, signature)
        if checked is not None:
            return checked
    return None
