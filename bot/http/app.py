"""The aiohttp application: the routes of the modules in `ROUTE_MODULES`, authentication,
problem documents for every error, and request metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource

from bot.config import Settings
from bot.http import (
    routes_accounts,
    routes_analytics,
    routes_checkout,
    routes_claims,
    routes_draws,
    routes_drops,
    routes_events,
    routes_live,
    routes_overlay,
    routes_products,
    routes_service,
    routes_streams,
    routes_vouchers,
    routes_webhooks,
)
from bot.http.auth import ApiKeyCache
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
from bot.metrics import RouteMetrics
from core.errors import VoucherbotError
from core.services import Services

log = logging.getLogger(__name__)
API_TITLE = "Voucherbot API"
API_VERSION = "1.0.0"

WebhookHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_Next = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, _Next], Awaitable[web.StreamResponse]]


# Every route module, in the order its routes are registered and listed in /openapi.json.
# A new module joins the API by being added here (a test checks that none is left out).
ROUTE_MODULES = (
    routes_service,  # /healthz, /metrics, /openapi.json, /telegram/webhook
    routes_products,
    routes_vouchers,
    routes_accounts,
    routes_live,
    routes_drops,
    routes_draws,
    routes_claims,
    routes_checkout,
    routes_analytics,
    routes_events,  # R-ev1
    routes_webhooks,  # R-ev2
    routes_streams,  # R-ev3
    routes_overlay,  # R-ev4
)


def all_routes() -> list[Route]:
    """The routes of `ROUTE_MODULES`, in order."""
    return [route for module in ROUTE_MODULES for route in module.ROUTES]


def _route_label(resource: AbstractResource | None) -> str:
    return resource.canonical if resource is not None else "unmatched"


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}


def _problem_of(request: web.Request, exc: Exception) -> web.Response:
    """Every refusal and failure leaves as an RFC 9457 problem document; never a traceback."""
    if isinstance(exc, HttpProblem):
        return exc.response()
    if isinstance(exc, VoucherbotError):
        return from_core(exc).response()
    if isinstance(exc, web.HTTPException):
        code = _HTTP_CODES.get(exc.status, "http_error")
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return HttpProblem(exc.status, code, exc.reason, headers=headers).response()
    log.exception("unexpected error answering %s %s", request.method, request.path, exc_info=exc)
    return HttpProblem(500, "internal_error", "Something went wrong on our side.").response()


def answering() -> Middleware:
    """Request metrics around problem documents, in one middleware: every answer is counted
    with its final status (a refusal as its problem's status; 500 if nothing was answered).

    The metric children of a (route, method) are resolved once per app: looking them up by
    labels on every request cost more than the increments themselves."""
    metrics: dict[tuple[AbstractResource | None, str], RouteMetrics] = {}

    @web.middleware
    async def observe(request: web.Request, handler: _Next) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = _problem_of(request, exc)
            except Exception as exc:
                response = _problem_of(request, exc)
            status = response.status
            return response
        finally:
            # Matched routes live as long as the app; every unmatched request has a fresh
            # route object, so those are keyed by None (label "unmatched").
            resource = request.match_info.route.resource
            key = (resource, request.method)
            route_metrics = metrics.get(key)
            if route_metrics is None:
                route_metrics = metrics[key] = RouteMetrics(_route_label(resource), key[1])
            route_metrics.record(status, time.perf_counter() - started)

    return observe


def create_app(
    services: Services,
    settings: Settings,
    *,
    telegram_webhook: WebhookHandler | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[answering()])
    routes = [r for r in all_routes() if r.enabled(settings)]
    app[SERVICES] = services
    app[SETTINGS] = settings
    app[API_KEYS] = ApiKeyCache(services.api_keys, changes=services.changes)
    app[TELEGRAM_WEBHOOK] = telegram_webhook
    document = build_openapi(routes, title=API_TITLE, version=API_VERSION)
    app[OPENAPI_DOCUMENT] = json.dumps(document).encode()
    for route in routes:
        app.router.add_route(route.method, route.path, aiohttp_handler(route))
    routes_streams.install(app)  # R-ev3: the process's live-stream hub
    return app
