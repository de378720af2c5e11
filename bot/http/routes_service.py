"""Routes of the service itself: health, metrics, the OpenAPI document, Telegram's webhook."""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web

from bot.http.outputs import HealthOut
from bot.http.problems import HttpProblem
from bot.http.routing import OPENAPI_DOCUMENT, SERVICES, SETTINGS, TELEGRAM_WEBHOOK, Route
from bot.metrics import exposition

log = logging.getLogger(__name__)
HEALTH_TIMEOUT_SECONDS = 2.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def healthz(request: web.Request) -> web.StreamResponse:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            ok = await request.app[SERVICES].db.ping()
    except Exception:  # any failure to answer means unhealthy; the reason goes to the log
        log.warning("health check: the database did not answer", exc_info=True)
        ok = False
    if not ok:
        raise HttpProblem(503, "database_unavailable", "The database does not answer.")
    return web.json_response(HealthOut(status="ok").model_dump())


async def metrics(request: web.Request) -> web.StreamResponse:
    body, content_type = exposition()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def openapi_document(request: web.Request) -> web.StreamResponse:
    return web.Response(body=request.app[OPENAPI_DOCUMENT](), content_type="application/json")


async def telegram_webhook(request: web.Request) -> web.StreamResponse:
    secret = request.app[SETTINGS].webhook_secret
    if secret:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise HttpProblem(403, "forbidden", f"Wrong or missing {SECRET_HEADER}.")
    handler = request.app[TELEGRAM_WEBHOOK]
    if handler is None:
        raise HttpProblem(
            503,
            "telegram_unavailable",
            "This process does not run the Telegram side (the leader process does).",
        )
    return await handler(request)


ROUTES = [
    Route(
        "GET",
        "/healthz",
        "Health: ok when the database answers",
        "service",
        raw=healthz,
        response=HealthOut,
        auth=False,
        problems=(503,),
    ),
    Route(
        "GET",
        "/metrics",
        "Prometheus metrics",
        "service",
        raw=metrics,
        auth=False,
        media_type="text/plain",
        enabled=lambda settings: settings.metrics_enabled,
    ),
    Route(
        "GET",
        "/openapi.json",
        "This OpenAPI 3.1 document",
        "service",
        raw=openapi_document,
        auth=False,
    ),
    Route(
        "POST",
        "/telegram/webhook",
        "Telegram updates in webhook mode",
        "service",
        raw=telegram_webhook,
        auth=False,
        problems=(403, 503),
        description=f"Checks `{SECRET_HEADER}` against WEBHOOK_SECRET.",
    ),
]
