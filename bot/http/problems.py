"""RFC 9457 problem documents, and how core's typed errors map onto them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from core.errors import (
    ClaimRefused,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VoucherbotError,
)

PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

# Encoded documents by what they are made of (see `HttpProblem.body`); cleared when full.
_BODIES: dict[tuple[Any, ...], bytes] = {}
_BODIES_MAX = 4096

# Refusals whose code means "no such thing here": another shop's ids look exactly like these.
_NOT_FOUND_CODES = frozenset({"voucher_not_found"})


class HttpProblem(Exception):
    """Raised anywhere in the HTTP layer; the problem middleware renders it."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        errors: Iterable[FieldError] = (),
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}
        self.extra = extra or {}

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": f"urn:voucherbot:problem:{self.code}",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        # Extra facts (missing_seconds, limit…) never override the standard members: a
        # voucher's `status` is told as `voucher_status`, beside the HTTP `status`.
        for key, value in self.extra.items():
            name = f"voucher_{key}" if key in doc else key
            if _jsonable(value):
                doc[name] = value
        if self.errors:
            doc["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        return doc

    def body(self) -> bytes:
        """The encoded document; the same refusal (a rush's `sold_out`) is encoded once."""
        key = self._cache_key()
        if key is None:
            return self._encode()
        body = _BODIES.get(key)
        if body is None:
            if len(_BODIES) >= _BODIES_MAX:
                _BODIES.clear()
            body = _BODIES[key] = self._encode()
        return body

    def response(self) -> web.Response:
        # The Content-Type header as `content_type=` would set it, after the others.
        return web.Response(
            status=self.status,
            body=self.body(),
            headers={**self.headers, "Content-Type": PROBLEM_TYPE},
        )

    def _encode(self) -> bytes:
        return json.dumps(self.document(), ensure_ascii=False).encode()

    def _cache_key(self) -> tuple[Any, ...] | None:
        """What the document is made of, when that is all plain values; the type is part of
        the key because `True == 1 == 1.0` would otherwise share one encoding."""
        if self.errors:
            return None
        extra = []
        for name, value in self.extra.items():
            if value is not None and not isinstance(value, (str, int, float)):
                return None
            extra.append((name, type(value), value))
        return (self.status, self.code, self.detail, *extra)


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def status_of_error(exc: VoucherbotError) -> int:
    if isinstance(exc, ValidationFailed):
        return 422
    if isinstance(exc, NotFound) or exc.code in _NOT_FOUND_CODES:
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, (ClaimRefused, Conflict)):
        return 409
    return 400


def from_core(exc: VoucherbotError) -> HttpProblem:
    errors = exc.errors if isinstance(exc, ValidationFailed) else ()
    detail = "The request has invalid fields." if errors else exc.detail
    return HttpProblem(status_of_error(exc), exc.code, detail, errors=errors, extra=exc.extra)


def validation_problem(errors: list[FieldError]) -> HttpProblem:
    return HttpProblem(422, "validation_failed", "The request has invalid fields.", errors=errors)
