"""Declared routes: each names its input and output models once, and the same declaration
both validates requests (here) and documents them (`openapi.py`), so the two cannot drift.

A feature module (`routes_*.py`) exposes `ROUTES: list[Route]`; `app.py` collects them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.http import idempotency, paging
from bot.http.auth import ApiKeyCache, authenticate
from bot.http.problems import HttpProblem, validation_problem
from bot.http.rate_limits import RateClass, RateLimiter, too_many
from core.errors import FieldError
from core.rules.roles import Actor
from core.services import Services
from core.services.api_keys import split_key
from core.services.idempotency import IdempotencyService

MAX_BODY_BYTES = 1024 * 1024
MAX_KNOWN_PATHS = 4096  # validated path parameters kept per route

RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("settings", Settings)
API_KEYS = web.AppKey("api_keys", ApiKeyCache)
TELEGRAM_WEBHOOK: web.AppKey[RawHandler | None] = web.AppKey("telegram_webhook")
OPENAPI_DOCUMENT: web.AppKey[Callable[[], bytes]] = web.AppKey("openapi_document")
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyService)
RATE_LIMITER: web.AppKey[RateLimiter | None] = web.AppKey("rate_limiter")
# Headers every answer to this request carries (RateLimit…), stamped by `app.py`.
EXTRA_HEADERS = web.RequestKey("extra_headers", dict)

B = TypeVar("B")
Q = TypeVar("Q")
P = TypeVar("P")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Call(Generic[B, Q, P]):
    """One parsed, authenticated request, as a handler sees it."""

    request: web.Request
    services: Services
    actor: Actor
    body: B
    query: Q
    path: P


@dataclass(frozen=True)
class Reply:
    model: BaseModel
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    max_length: int = 255


Handler = Callable[[Call[Any, Any, Any]], Awaitable[Reply | BaseModel]]

IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "R-c2: a repeat with the same key and the same request answers the first answer (with "
    "`Idempotent-Replayed: true`); with another request, a 409 `idempotency_key_reused`.",
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    tag: str
    handler: Handler | None = None
    raw: RawHandler | None = None  # takes the aiohttp request as is (health, metrics, …)
    response: type[BaseModel] | None = None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    params: type[BaseModel] | None = None
    headers: tuple[Header, ...] = ()
    problems: tuple[int, ...] = ()  # statuses of refusals beyond the common ones
    auth: bool = True
    description: str = ""
    other_responses: Mapping[int, str] = field(default_factory=dict)  # same model, other status
    media_type: str = "application/json"
    enabled: Callable[[Settings], bool] = lambda _settings: True
    # R-c2: a create that takes an Idempotency-Key (`bot/http/idempotency.py`)
    idempotent: bool = False
    # R-api6: its quota (`rate_limits.py`); None: reads for GET, writes otherwise
    rate: RateClass | None = None

    @property
    def rate_class(self) -> RateClass:
        if self.rate is not None:
            return self.rate
        return RateClass.READS if self.method == "GET" else RateClass.WRITES

    @property
    def all_headers(self) -> tuple[Header, ...]:
        return (*self.headers, IDEMPOTENCY_KEY) if self.idempotent else self.headers

    @property
    def operation_id(self) -> str:
        if self.handler is not None:
            return self.handler.__name__
        assert self.raw is not None, f"{self.method} {self.path} has no handler"
        return self.raw.__name__


# --- parsing -------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "timezone_aware": "must be an RFC 3339 date and time with an offset",
    "datetime_type": "must be an RFC 3339 date and time with an offset",
    "datetime_parsing": "must be an RFC 3339 date and time with an offset",
    "datetime_from_date_parsing": "must be an RFC 3339 date and time with an offset",
    "string_pattern_mismatch": "must be 1–64 characters of A-Z a-z 0-9 _ . : -",
}


_BOUNDS = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} items",
}


def _field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    errors = []
    for e in exc.errors(include_url=False):
        path = ".".join(str(part) for part in e["loc"])
        message = _MESSAGES.get(e["type"]) or _lower_first(e["msg"])
        if e["type"] == "value_error":
            message = str(e.get("ctx", {}).get("error", message))
        ctx = e.get("ctx", {})
        if e["type"] in _BOUNDS:
            message = _BOUNDS[e["type"]].format(**ctx)
        errors.append(FieldError(path or prefix or "body", message))
    return errors


def _lower_first(text: str) -> str:
    text = text.removeprefix("Value error, ")
    return text.replace("Input should", "should", 1) if text.startswith("Input should") else text


def parse_params(model: type[M], values: Mapping[str, str]) -> M:
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise validation_problem(_field_errors(exc)) from None


def parse_path(
    model: type[BaseModel], values: Mapping[str, str], known: dict[tuple[Any, ...], BaseModel]
) -> BaseModel:
    """Path parameters as their model, validated once per distinct path: a rush repeats one.
    (The models are only read; `known` is one route's, and starts over when full.)"""
    key = tuple(values.items())
    parsed = known.get(key)
    if parsed is None:
        parsed = parse_params(model, values)
        if len(known) >= MAX_KNOWN_PATHS:
            known.clear()
        known[key] = parsed
    return parsed


async def parse_body(model: type[BaseModel], request: web.Request) -> BaseModel:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large() from None
    if not raw.strip():
        raise HttpProblem(400, "malformed_json", "The body must be a JSON object.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        if first["type"] == "json_invalid":
            raise HttpProblem(
                400, "malformed_json", f"The body is not valid JSON: {first['msg']}."
            ) from None
        if first["type"] == "model_type" and not first["loc"]:
            raise HttpProblem(400, "malformed_json", "The body must be a JSON object.") from None
        raise validation_problem(_field_errors(exc)) from None


def _too_large() -> HttpProblem:
    return HttpProblem(
        413, "body_too_large", f"Request bodies are limited to {MAX_BODY_BYTES:,} bytes."
    )


def header_value(request: web.Request, header: Header) -> str | None:
    value = request.headers.get(header.name)
    if value is None:
        return None
    if not 1 <= len(value) <= header.max_length or not value.isascii() or not value.isprintable():
        raise validation_problem(
            [FieldError(header.name, f"must be 1–{header.max_length} printable ASCII characters")]
        )
    return value


# --- cursors (R-api5, `paging.py`) -------------------------------------------------------

decode_cursor = paging.decode_cursor
encode_cursor = paging.encode_cursor
page = paging.page


# --- the aiohttp handler of a declared route -----------------------------------------------


_JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


def _render(reply: Reply | BaseModel, default_status: int) -> web.Response:
    if isinstance(reply, BaseModel):
        model, status, headers = reply, default_status, _JSON_HEADERS
    else:
        model, status = reply.model, reply.status
        # The Content-Type header as `content_type=` would set it, after the others.
        headers = {**reply.headers, **_JSON_HEADERS} if reply.headers else _JSON_HEADERS
    return web.Response(status=status, body=model.model_dump_json().encode(), headers=headers)


_KEY_IDS: dict[str, str] = {}


def _key_id(request: web.Request, shop_id: int) -> str:
    """The API key's public id (its bucket for R-api6), from the authenticated header."""
    header = request.headers.get("Authorization", "")
    key_id = _KEY_IDS.get(header)
    if key_id is None:
        parts = split_key(header.partition(" ")[2])
        key_id = parts[0] if parts else f"shop-{shop_id}"
        if len(_KEY_IDS) >= MAX_KNOWN_PATHS:
            _KEY_IDS.clear()
        _KEY_IDS[header] = key_id
    return key_id


def aiohttp_handler(route: Route) -> RawHandler:
    if route.raw is not None:
        return route.raw
    handler = route.handler
    assert handler is not None, f"{route.method} {route.path} has no handler"

    paths: dict[tuple[Any, ...], BaseModel] = {}
    route_key = f"{route.method} {route.path}"
    rate_class = route.rate_class

    async def handle(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        actor = await authenticate(request, request.app[API_KEYS]) if route.auth else None
        limiter = request.app[RATE_LIMITER]
        if limiter is not None and actor is not None:
            key_id = _key_id(request, actor.shop_id)
            verdict = limiter.take_now(key_id, rate_class) or await limiter.take(key_id, rate_class)
            if not verdict.allowed:
                raise too_many(verdict)
            if verdict.told:
                request[EXTRA_HEADERS] = verdict.headers()
        path = parse_path(route.params, request.match_info, paths) if route.params else None
        query = parse_params(route.query, request.query) if route.query else None
        if route.query is None and request.query:
            raise validation_problem(
                [FieldError(name, "is not a known query parameter") for name in request.query]
            )
        if route.query is not None:
            paging.scoped(paging.scope_of(route_key, request.match_info, request.query))
        body = await parse_body(route.body, request) if route.body else None
        # Only raw routes are public (`auth=False`): a parsed handler always has its caller.
        assert actor is not None, f"{route_key} is public but has a parsed handler"
        call = Call(request, services, actor, body, query, path)
        key = header_value(request, IDEMPOTENCY_KEY) if route.idempotent else None
        if key is None:
            return _render(await handler(call), route.status)

        async def answer() -> web.Response:
            return _render(await handler(call), route.status)

        print_ = idempotency.fingerprint(request, body)
        return await idempotency.once(request.app[IDEMPOTENCY], actor.shop_id, key, print_, answer)

    handle.__name__ = handler.__name__
    return handle
