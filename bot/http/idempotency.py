"""R-c2 for every create route: a route declared `idempotent=True` takes an `Idempotency-Key`;
a repeat with the same request answers the first answer (status and body) with
`Idempotent-Replayed: true`; a repeat with another request is a 409
`idempotency_key_reused`; a repeat while the first is still running is a 409
`idempotency_key_in_use` with `Retry-After`.

"The same request" is the method, the path, the query and the body as validated (so the
order of JSON members and white space do not matter). Only answers below 400 are kept: a
refused or failed request releases its key, and may be retried with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import BaseModel

from bot.http.problems import HttpProblem
from core.services.idempotency import IdempotencyService, KeyState

REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED = {REPLAYED_HEADER: "true"}
IN_USE_RETRY_AFTER = "1"


def fingerprint(request: web.Request, body: BaseModel | None) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    raw = body.model_dump_json() if body is not None else ""
    text = f"{request.method} {request.path}?{query}\n{raw}"
    return hashlib.sha256(text.encode()).hexdigest()


def reused() -> HttpProblem:
    return HttpProblem(
        409,
        "idempotency_key_reused",
        "This Idempotency-Key was used with another request; use a new key for a new request.",
    )


async def once(
    keys: IdempotencyService,
    shop_id: int,
    key: str,
    print_: str,
    answer: Callable[[], Awaitable[web.Response]],
) -> web.Response:
    """`answer()` at most once per key; its answer again for every repeat."""
    check = await keys.begin(shop_id, key, print_)
    if check.state == KeyState.REUSED:
        raise reused()
    if check.state == KeyState.IN_USE:
        raise HttpProblem(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being answered; retry shortly.",
            headers={"Retry-After": IN_USE_RETRY_AFTER},
        )
    if check.state == KeyState.ANSWERED:
        return web.Response(
            status=check.status,
            body=(check.body or "").encode(),
            headers={**REPLAYED, "Content-Type": "application/json"},
        )
    try:
        response = await answer()
    except BaseException:
        await keys.release(shop_id, key, print_)
        raise
    if response.status >= 400 or not isinstance(response.body, bytes):
        await keys.release(shop_id, key, print_)
        return response
    await keys.finish(shop_id, key, print_, response.status, response.body.decode())
    return response
