"""The aiohttp application: routes from every `routes_*` module, authentication, problem
documents for every error, and request metrics."""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

import bot.http as package
from bot.config import Settings
from bot.http.auth import ApiKeyCache
from bot.http.metrics import HTTP_LATENCY, HTTP_REQUESTS
from bot.http.openapi import build_openapi
from bot.http.problems import HttpProblem, from_core
from bot.http.routing import (
    API_KEYS,
    MAX_BODY_BYTES,
    OPENAPI_DOCUMENT,
    SERVICES,
    SETTINGS,
    TELEGRAM_WEBHOOK,
    Route,
    aiohttp_handler,
)
from core.errors import VoucherbotError
from core.services import Services

log = logging.getLogger(__name__)
API_TITLE = "Voucherbot API"
API_VERSION = "1.0.0"

WebhookHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_Next = Callable[[web.Request], Awaitable[web.StreamResponse]]


def all_routes() -> list[Route]:
    """Every module of this package named `routes_*` contributes its `ROUTES` (so a new
    feature, like `routes_analytics.py`, only has to exist)."""
    routes: list[Route] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(package.__path__)):
        if module.startswith("routes_"):
            routes.extend(importlib.import_module(f"bot.http.{module}").ROUTES)
    return routes


def _route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: _Next) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        route = _route_label(request)
        HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        HTTP_LATENCY.labels(route, request.method).observe(time.perf_counter() - started)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


@web.middleware
async def problems(request: web.Request, handler: _Next) -> web.StreamResponse:
    """Every refusal and failure leaves as an RFC 9457 problem document; never a traceback."""
    try:
        return await handler(request)
    except HttpProblem as problem:
        return problem.response()
    except VoucherbotError as exc:
        return from_core(exc).response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return HttpProblem(exc.status, code, exc.reason, headers=headers).response()
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return HttpProblem(500, "internal_error", "Something went wrong on our side.").response()


def create_app(
    services: Services,
    settings: Settings,
    *,
    telegram_webhook: WebhookHandler | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[observe, problems])
    routes = [r for r in all_routes() if r.enabled(settings)]
    app[SERVICES] = services
    app[SETTINGS] = settings
    app[API_KEYS] = ApiKeyCache(services.api_keys)
    app[TELEGRAM_WEBHOOK] = telegram_webhook
    document = build_openapi(routes, title=API_TITLE, version=API_VERSION)
    app[OPENAPI_DOCUMENT] = json.dumps(document).encode()
    for route in routes:
        app.router.add_route(route.method, route.path, aiohttp_handler(route))
    return app
