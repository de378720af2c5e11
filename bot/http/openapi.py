"""`GET /openapi.json`: an OpenAPI 3.1 document generated from the declared routes and the
very pydantic models that validate requests and shape responses, with the server it is
served from, an example of every request body (`EXAMPLES`) and the stable problem codes
each operation may answer with (`PROBLEM_CODES`, beside the shared `COMMON_CODES`). Tests
check that every body route has an example its own model accepts, and that every operation
lists its codes. The guide for people is `docs/api.md`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.http import openapi_events
from bot.http.outputs import Problem
from bot.http.problems import PROBLEM_TYPE, TITLES
from bot.http.routing import Header, Route

REF = "#/components/schemas/{model}"
REQUEST_ID_HEADER = Header(
    "X-Request-Id",
    "Your id for this request (1–128 of `A-Z a-z 0-9 . _ : -`), echoed in the answer and the "
    "server's logs; another value is replaced by one the server makes.",
    max_length=128,
)
Mode = Literal["validation", "serialization"]

_LINES = [
    {"product_id": "LIP-01", "unit_price": 2500, "quantity": 2},
    {"product_id": "TEE-02", "unit_price": 1500, "quantity": 1},
]


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def examples(now: datetime) -> dict[str, dict[str, Any]]:
    """One example request body per operation that takes a body, by operation id; instants
    relative to `now`, so the examples are valid when the document is served (R-api7)."""
    hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    period = {"starts_at": _instant(hour), "ends_at": _instant(hour + timedelta(days=1))}
    return {
        "upsert_product": {"name": "Velvet lipstick", "category": "beauty", "price": 2500},
        "batch_products": {
            "items": [
                {"product_id": "LIP-01", "name": "Velvet lipstick", "price": 2500},
                {"product_id": "TEE-02", "name": "Logo tee", "category": "apparel", "price": 1500},
            ]
        },
        "create_voucher": {
            "name": "LIVE 20% off",
            "kind": "live",
            "discount": {"type": "percent", "percent": 20, "max_discount": 1000},
            "min_spend": 2000,
            "scope": {"type": "products", "product_ids": ["LIP-01"]},
            "total_quantity": 100,
            "per_customer_limit": 1,
            **period,
        },
        "edit_voucher": {"total_quantity": 150},
        "create_account": {"role": "official", "platform_handle": "lily.live"},
        "update_account": {"platform_handle": "lily.live"},
        "set_segment_windows": {"repeat_days": 60, "lapsed_quiet_days": 120},
        "start_session": {"account_id": 2},
        "record_watch": {"buyer_id": "buyer-42", "watched_seconds": 300},
        "record_follow": {"buyer_id": "buyer-42", "host_handle": "lily.live", "action": "follow"},
        "issue_distribution": {"voucher_id": 7, "task": {"type": "watch", "minutes": 5}},
        "schedule_drop": {"voucher_id": 7, "task": {"type": "follow"}, "in_seconds": 300},
        "enter_draw": {"buyer_id": "buyer-42"},
        "claim_voucher": {"buyer_id": "buyer-42", "session_id": 3},
        "claim_by_code": {"code": "SPRING26", "buyer_id": "buyer-42"},
        "quote": {"buyer_id": "buyer-42", "lines": _LINES},
        "place_order": {"order_id": "ORD-1001", "buyer_id": "buyer-42", "lines": _LINES},
        **openapi_events.EXAMPLES,  # R-ev1–R-ev4
    }


EXAMPLES = examples(datetime.now(UTC))

# Codes every operation of a kind may answer with (see `_problem_statuses`).
COMMON_CODES: dict[int, tuple[str, ...]] = {
    400: ("malformed_json",),
    401: ("unauthorized",),
    404: ("not_found",),
    405: ("method_not_allowed",),
    413: ("body_too_large",),
    422: ("validation_failed",),
    429: ("rate_limited",),
    500: ("internal_error",),
    503: ("busy",),
}
# R-c2: what a route declared `idempotent` may add.
IDEMPOTENT_CODES = {409: ("idempotency_key_reused", "idempotency_key_in_use")}
_VOUCHER_404: dict[int, tuple[str, ...]] = {404: ("voucher_not_found",)}
# R-seg, R-code: what creating or editing a voucher with a segment or a code may meet.
_TARGETING_409 = ("code_taken", "new_customers_voucher_exists")
# R-c1 for a claim by promo code (R-code), in R-c1's order.
_CODE_CLAIM_409 = ("not_claimable", "segment_not_met", "limit_reached", "sold_out", "budget_spent")
_SESSION_404: dict[int, tuple[str, ...]] = {404: ("session_not_found",)}
# The refusals of each operation beyond COMMON_CODES, by status, by operation id.
PROBLEM_CODES: dict[str, dict[int, tuple[str, ...]]] = {
    "healthz": {503: ("database_unavailable",)},
    "metrics": {404: ("not_found",)},
    "openapi_document": {},
    "telegram_webhook": {403: ("forbidden",), 503: ("telegram_unavailable",)},
    "upsert_product": {},
    "search_products": {},
    "create_voucher": {409: _TARGETING_409},
    "list_vouchers": {},
    "get_voucher": _VOUCHER_404,
    "edit_voucher": {**_VOUCHER_404, 409: ("edit_not_allowed", *_TARGETING_409)},
    "deactivate_voucher": {**_VOUCHER_404, 409: ("edit_not_allowed",)},
    "list_accounts": {},
    "get_shop": {},
    "get_segment_windows": {},
    "set_segment_windows": {},
    "create_account": {409: ("role_full", "handle_taken")},
    "update_account": {404: ("account_not_found",), 409: ("handle_taken",)},
    "unlink_account": {404: ("account_not_found",), 403: ("cannot_unlink_seller",)},
    "get_product": {404: ("product_not_found",)},
    "delete_product": {404: ("product_not_found",), 409: ("product_in_use",)},
    "batch_products": {},
    "get_claim": {404: ("claim_not_found",)},
    "get_order": {404: ("order_not_found",)},
    "get_distribution": {404: ("distribution_not_found",)},
    "start_session": {404: ("account_not_found",), 409: ("session_active",)},
    "end_session": _SESSION_404,
    "list_sessions": {},
    "get_session": _SESSION_404,
    "record_watch": _SESSION_404,
    "record_follow": {404: ("account_not_found",)},
    "issue_distribution": {
        **_SESSION_404,
        409: (
            "session_ended",
            "not_live_voucher",
            "not_distributable",
            "sold_out",
            "distribution_active",
            "draw_outlives_voucher",
        ),
    },
    "stop_distribution": {404: ("distribution_not_found",)},
    "schedule_drop": {**_SESSION_404, 409: ("session_ended", "not_live_voucher")},
    "enter_draw": {
        404: ("distribution_not_found",),
        409: ("not_claimable", "draw_closed", "task_not_met", "limit_reached", "not_a_draw"),
    },
    "get_draw": {404: ("distribution_not_found", "draw_not_found")},
    "verify_page": {},
    "draw_figures": {},
    "list_drops": _SESSION_404,
    "cancel_drop": {404: ("drop_not_found",), 409: ("drop_not_pending",)},
    "claim_voucher": {
        **_VOUCHER_404,
        409: (
            "not_claimable",
            "no_active_distribution",
            "task_not_met",
            "segment_not_met",
            "limit_reached",
            "sold_out",
            "budget_spent",
            "draw_only",
            "idempotency_key_reused",
            "conflict",
        ),
    },
    "claim_by_code": {
        404: ("code_not_found",),
        409: (*_CODE_CLAIM_409, "idempotency_key_reused", "conflict"),
        429: ("too_many_wrong_codes",),
    },
    "buyer_wallet": {},
    "quote": {404: ("code_not_found",), 429: ("too_many_wrong_codes",)},
    "place_order": {
        404: ("claim_not_found", "code_not_found"),
        409: ("order_conflict", "claim_not_usable", "claim_contention", *_CODE_CLAIM_409),
        429: ("too_many_wrong_codes",),
    },
    "cancel_order": {404: ("order_not_found",)},
    "analytics_summary": {},
    "analytics_segments": {},
    "analytics_vouchers": {},
    "analytics_trend": {404: ("voucher_not_found", "session_not_found")},
}
PROBLEM_CODES.update(openapi_events.PROBLEM_CODES)  # R-ev1–R-ev4


def _models(routes: Sequence[Route]) -> list[tuple[type[BaseModel], Mode]]:
    wanted: dict[tuple[type[BaseModel], Mode], None] = {(Problem, "serialization"): None}
    for r in routes:
        if r.body is not None:
            wanted[(r.body, "validation")] = None
        if r.response is not None:
            wanted[(r.response, "serialization")] = None
    return list(wanted)


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        out.append(param)
    return out


def _content(media_type: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    return {media_type: {"schema": schema if schema is not None else {}}}


def _problem_statuses(r: Route) -> list[int]:
    statuses = set(r.problems) | {405, 500}
    if r.idempotent:
        statuses.add(409)
    if r.auth:
        statuses |= {401, 404, 422, 429, 503}
    if r.body is not None:
        statuses |= {400, 413, 422}
    if r.params is not None or r.query is not None:
        statuses.add(422)
    return sorted(statuses)


_HEADER_DOCS = {
    "X-Request-Id": "The request's id: the client's `X-Request-Id` when valid, else one made "
    "by the server; quote it in a support ticket (it is in the server's logs).",
    "RateLimit-Policy": 'R-api6: the quota of this route class, e.g. `"writes";q=1200;w=60`.',
    "RateLimit": 'R-api6: what is left of it, e.g. `"writes";r=1187;t=41` (t: seconds left).',
    "Retry-After": "Seconds to wait before retrying.",
    "Idempotent-Replayed": "`true` when this is the first answer of an Idempotency-Key, "
    "replayed (nothing new was done).",
}


def _headers(*names: str) -> dict[str, Any]:
    return {n: {"description": _HEADER_DOCS[n], "schema": {"type": "string"}} for n in names}


def _replays(r: Route) -> bool:
    return (
        r.idempotent
        or any(h.name == "Idempotency-Key" for h in r.headers)
        or (r.operation_id == "place_order")
    )


def _operation(
    r: Route, refs: Mapping[tuple[type[Any], Mode], Any], examples: dict[str, Any]
) -> dict[str, Any]:
    problem = _content(PROBLEM_TYPE, refs[(Problem, "serialization")])
    success = refs.get((r.response, "serialization")) if r.response else None
    names = ("X-Request-Id", "RateLimit-Policy", "RateLimit") if r.auth else ("X-Request-Id",)
    success_headers = _headers(*names, *(("Idempotent-Replayed",) if _replays(r) else ()))
    responses: dict[str, Any] = {
        str(r.status): {
            "description": r.summary,
            "headers": success_headers,
            "content": _content(r.media_type, success),
        }
    }
    for status, description in r.other_responses.items():
        responses[str(status)] = {
            "description": description,
            "headers": success_headers,
            "content": _content(r.media_type, success),
        }
    codes = problem_codes(r)
    for status in sorted(set(_problem_statuses(r)) | set(codes)):
        title = TITLES.get(status, "Error")
        listed = ", ".join(f"`{c}`" for c in codes.get(status, ()))
        retry = ("Retry-After",) if status in (429, 503) else ()
        responses[str(status)] = {
            "description": f"{title}: {listed}" if listed else title,
            "headers": _headers("X-Request-Id", *retry),
            "content": problem,
        }
    op: dict[str, Any] = {
        "operationId": r.operation_id,
        "summary": r.summary,
        "tags": [r.tag],
        "parameters": _parameters(r.params, "path")
        + _parameters(r.query, "query")
        + [
            {
                "name": h.name,
                "in": "header",
                "required": False,
                "description": h.description,
                "schema": {"type": "string", "minLength": 1, "maxLength": h.max_length},
            }
            for h in (*r.all_headers, REQUEST_ID_HEADER)
        ],
        "responses": responses,
        "security": [{"bearerAuth": []}] if r.auth else [],
        # The stable `code` of each problem this operation may answer with, by status.
        "x-problem-codes": {str(s): list(c) for s, c in sorted(codes.items())},
    }
    if r.description:
        op["description"] = r.description
    if r.body is not None:
        content = _content("application/json", refs[(r.body, "validation")])
        if r.operation_id in examples:
            content["application/json"]["example"] = examples[r.operation_id]
        op["requestBody"] = {"required": True, "content": content}
    return op


def problem_codes(r: Route) -> dict[int, tuple[str, ...]]:
    """The codes of every problem status the operation may answer with."""
    codes: dict[int, tuple[str, ...]] = {}
    for status in _problem_statuses(r):
        codes[status] = COMMON_CODES.get(status, ())
    own_codes = dict(PROBLEM_CODES.get(r.operation_id, {}))
    if r.idempotent:
        for status, extra in IDEMPOTENT_CODES.items():
            own_codes[status] = (*own_codes.get(status, ()), *extra)
    for status, own in own_codes.items():
        codes[status] = tuple(dict.fromkeys((*codes.get(status, ()), *own)))
    return {s: c for s, c in codes.items() if c}


def _openapi_path(aiohttp_path: str) -> str:
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", aiohttp_path)


def build_openapi(
    routes: Sequence[Route],
    *,
    title: str,
    version: str,
    servers: Sequence[dict[str, str]] = ({"url": "/", "description": "this service"},),
    now: datetime | None = None,
) -> dict[str, Any]:
    refs, schemas = models_json_schema(_models(routes), ref_template=REF)
    bodies = examples(now or datetime.now(UTC))
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = _operation(r, refs, bodies)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Seller Vouchers for livestream shops: the livestream or shop "
            "platform syncs products, reports watch time and follows, claims vouchers for "
            "viewers, asks for the best voucher at checkout and reports orders. Money is in "
            "integer minor units of the shop's currency (`500` is $5.00); instants are RFC "
            "3339 with an offset; errors are RFC 9457 problem documents with a stable `code` "
            "(each operation lists its codes under `x-problem-codes`). Every `/v1` request "
            "acts on the shop of its API key. The guide with examples is docs/api.md in the "
            "repository; the rules (R-…) are in docs/rules.md.",
        },
        "servers": [dict(s) for s in servers],
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The shop's API key (`voucherbot apikey create`).",
                }
            },
        },
    }


class ServedDocument:
    """The document as `GET /openapi.json` serves it: built once, its examples' instants
    renewed every hour of the service's clock (R-api7: valid when served)."""

    def __init__(self, routes: Sequence[Route], now: Callable[[], datetime], **kw: Any) -> None:
        self._routes = list(routes)
        self._now = now
        self._kw = kw
        self._document: dict[str, Any] | None = None
        self._hour: datetime | None = None
        self._body = b""

    def body(self) -> bytes:
        now = self._now()
        hour = now.replace(minute=0, second=0, microsecond=0)
        if hour != self._hour:
            if self._document is None:
                self._document = build_openapi(self._routes, now=now, **self._kw)
            bodies = examples(now)
            for r in self._routes:
                operation = self._document["paths"][_openapi_path(r.path)][r.method.lower()]
                content = operation.get("requestBody", {}).get("content", {})
                if r.operation_id in bodies and "application/json" in content:
                    content["application/json"]["example"] = bodies[r.operation_id]
            self._body = json.dumps(self._document).encode()
            self._hour = hour
        return self._body
