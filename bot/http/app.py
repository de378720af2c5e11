"""The aiohttp application: the routes of the modules in `ROUTE_MODULES`, authentication,
problem documents for every error, and request metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler as _Next
from aiohttp.typedefs import Middleware
from aiohttp.web_urldispatcher import AbstractResource

from bot import webapp
from bot.config import Settings
from bot.http import (
    request_ids,
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
from bot.http.contention import busy_problem, contention_of
from bot.http.openapi import ServedDocument
from bot.http.problems import HttpProblem, from_core
from bot.http.rate_limits import RateClass, RateLimiter
from bot.http.routing import (
    API_KEYS,
    EXTRA_HEADERS,
    IDEMPOTENCY,
    MAX_BODY_BYTES,
    OPENAPI_DOCUMENT,
    RATE_LIMITER,
    SERVICES,
    SETTINGS,
    TELEGRAM_WEBHOOK,
    Route,
    aiohttp_handler,
)
from bot.metrics import RouteMetrics
from core.errors import VoucherbotError
from core.services import Services
from core.services.idempotency import IdempotencyService
from core.services.rate_windows import RateWindowService

log = logging.getLogger(__name__)
API_TITLE = "Voucherbot API"
API_VERSION = "1.1.0"

WebhookHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    contention = contention_of(exc)
    if contention is not None:
        # R-api1: busy, not broken: the transaction rolled back; the client retries.
        log.warning("%s %s answered 503 (%s): %s", request.method, request.path, contention, exc)
        return busy_problem(contention).response()
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
        request_id = request_ids.request_id_of(request.headers.get(request_ids.HEADER))
        request[REQUEST_ID] = request_id
        request_ids.current.set(request_id)
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


REQUEST_ID = web.RequestKey("request_id", str)


async def _stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """R-api1: `X-Request-Id` on every answer, streams and problems included; and the
    request's RateLimit headers (R-api6)."""
    request_id = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[request_ids.HEADER] = request_id
    extra = request.get(EXTRA_HEADERS)
    if extra:
        for name, value in extra.items():
            response.headers.setdefault(name, value)


def rate_limiter(services: Services, settings: Settings) -> RateLimiter | None:
    if not settings.rate_limits_enabled:
        return None
    quotas = {
        RateClass.VIEWERS: settings.rate_limit_viewers_per_minute,
        RateClass.WRITES: settings.rate_limit_writes_per_minute,
        RateClass.READS: settings.rate_limit_reads_per_minute,
    }
    return RateLimiter(RateWindowService(services.db, services.clock), quotas)


def create_app(
    services: Services,
    settings: Settings,
    *,
    telegram_webhook: WebhookHandler | None = None,
) -> web.Application:
    request_ids.install_log_field()
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[answering()])
    app.on_response_prepare.append(_stamp_request_id)
    routes = [r for r in all_routes() if r.enabled(settings)]
    app[SERVICES] = services
    app[SETTINGS] = settings
    app[API_KEYS] = ApiKeyCache(services.api_keys, changes=services.changes)
    app[IDEMPOTENCY] = IdempotencyService(services.db, services.clock)
    app[RATE_LIMITER] = rate_limiter(services, settings)
    app[TELEGRAM_WEBHOOK] = telegram_webhook
    document = ServedDocument(routes, services.clock.now, title=API_TITLE, version=API_VERSION)
    app[OPENAPI_DOCUMENT] = document.body
    for route in routes:
        app.router.add_route(route.method, route.path, aiohttp_handler(route))
    webapp.register(app)  # the Mini App under /app/ (R-app1, bot/webapp/)
    routes_streams.install(app)  # R-ev3: the process's live-stream hub
    return app
