"""Local webhook receivers for the tests: they verify each delivery with the reference
Standard Webhooks library and answer as told (2xx, 5xx, a redirect, or never)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks.webhooks import Webhook

from core.events import EventType, emit
from core.services import Services


@dataclass
class Receiver:
    """Answers `statuses` in turn (then 200); `hang` never answers."""

    statuses: list[int] = field(default_factory=list)
    hang: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: int = 0
    url: str = ""
    hold: asyncio.Event | None = None  # when set: each request waits for it

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        mid = request.headers.get("webhook-id", "")
        self.in_flight[mid] = self.in_flight.get(mid, 0) + 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight[mid])
        try:
            self.received.append({"headers": dict(request.headers), "body": body})
            if self.hang:
                await asyncio.Event().wait()
            if self.hold is not None:
                await self.hold.wait()
            status = self.statuses.pop(0) if self.statuses else 200
            if status in (301, 302, 307, 308):
                raise web.HTTPFound(self.url + "elsewhere")
            return web.Response(status=status)
        finally:
            self.in_flight[mid] -= 1

    def verified(self, secret: str, received: list[dict[str, Any]] | None = None) -> list[Any]:
        """Each delivery's JSON, verified with `secret` (raises when one does not verify)."""
        chosen = self.received if received is None else received
        return [Webhook(secret).verify(r["body"], r["headers"]) for r in chosen]


@asynccontextmanager
async def receiver(r: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", r.handle)
    app.router.add_post("/elsewhere", r.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    r.url = str(server.make_url("/"))
    try:
        yield r
    finally:
        await server.close()


async def an_event(services: Services, shop_id: int, n: int = 1) -> None:
    async with services.db.write() as session:
        for i in range(n):
            await emit(session, shop_id, EventType.DROP_FIRED, {"drop_id": i}, services.clock.now())
