"""A local stand-in for drand mirrors (R-draw4): serves RECORDED REAL quicknet rounds, so the
tests never reach the internet and still verify genuine League of Entropy signatures against
quicknet's real public key.

Where the rounds come from: public client repositories that recorded quicknet answers (a
drand fixture with round 1000 and 12040883; an entropy client's recorded rounds 32285085 and
32285086 of 2026-09-17; another client's live response for round 32281667). Their provenance
is checked where it matters: every round below verifies with py_ecc against quicknet's public
key (`test_r_draw4_recorded_rounds_are_real_quicknet_rounds`), which nobody without the
League of Entropy's threshold key could forge.

`serve` answers `GET /{chain hash}/public/{round}` like a mirror; a test can make it lie
(`forge`: another signature for a round) or fail (`down`).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from core.rules import drand

RECORDED_ROUNDS: dict[int, str] = {
    1000: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
    "e342b73a8dd2bacbe47e4b6b63ed5e39",
    12040883: "929906c959032ab363c9f26570d215d66f5c06cb0c44fe508c12bb5839f04ec8"
    "95bb6868e5b9ff13ab289bdb5266b394",
    32281667: "b0f5ae301358ff87a9d3dd539ed4a07c0148b1ab4f7b61a8ca43c7e9ca7ca955"
    "3e4faae9188deb30b2cd1a7f447e3e5b",
    32285085: "81dbce51d584d90d618547f4b50391d53ace6f6b9aeb8fb67e1879427af9d031"
    "0ac0ec6f519271d9a313ee84b378d416",
    32285086: "a64d99fd7fa3e48912be7209c7b69c72c88fc5224be2516949b6f29f3a4b7e3f"
    "a069dd58b2bbb4bf2c34ae61ef631a44",
}
# The randomness a mirror published beside round 32281667 (it is sha256(signature)).
RECORDED_RANDOMNESS_32281667 = "4fd2fc55983dbfa3f446d8a0bd56f16cc8c5e76afd1ec154b60d477cbabed13b"


def altered(signature: str) -> str:
    """The signature with its last hex digit changed: no longer the chain's."""
    last = signature[-1]
    return signature[:-1] + ("0" if last != "0" else "1")


@dataclass
class Mirror:
    rounds: dict[int, str] = field(default_factory=lambda: dict(RECORDED_ROUNDS))
    forged: dict[int, str] = field(default_factory=dict)  # round → the signature it lies with
    down: bool = False
    asked: list[int] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["chain"] != drand.CHAIN_HASH:
            return web.json_response({"error": "unknown chain"}, status=404)
        number = int(request.match_info["round"])
        self.asked.append(number)
        if self.down:
            return web.json_response({"error": "unavailable"}, status=503)
        signature = self.forged.get(number, self.rounds.get(number))
        if signature is None:
            return web.json_response({"error": "round not found"}, status=404)
        randomness = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
        return web.json_response(
            {"round": number, "randomness": randomness, "signature": signature}
        )


@asynccontextmanager
async def serve(mirror: Mirror) -> AsyncIterator[Mirror]:
    app = web.Application()
    app.router.add_get("/{chain}/public/{round}", mirror.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    mirror.url = f"http://127.0.0.1:{port}"
    try:
        yield mirror
    finally:
        await runner.cleanup()
