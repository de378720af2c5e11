"""`GET /openapi.json`: an OpenAPI 3.1 document generated from the declared routes and the
very pydantic models that validate requests and shape responses, with the server it is
served from, an example of every request body (`EXAMPLES`) and the stable problem codes
each operation may answer with (`PROBLEM_CODES`, beside the shared `COMMON_CODES`). Tests
check that every body route has an example its own model accepts, and that every operation
lists its codes. The guide for people is `docs/api.md`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.http import openapi_events
from bot.http.outputs import Problem
from bot.http.problems import PROBLEM_TYPE, TITLES
from bot.http.routing import Route

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]

_PERIOD = {"starts_at": "2026-12-01T10:00:00+07:00", "ends_at": "2026-12-02T10:00:00+07:00"}
_LINES = [
    {"product_id": "LIP-01", "unit_price": 2500, "quantity": 2},
    {"product_id": "TEE-02", "unit_price": 1500, "quantity": 1},
]
# One example request body per operation that takes a body, by operation id.
EXAMPLES: dict[str, dict[str, Any]] = {
    "upsert_product": {"name": "Velvet lipstick", "category": "beauty", "price": 2500},
    "create_voucher": {
        "name": "LIVE 20% off",
        "kind": "live",
        "discount": {"type": "percent", "percent": 20, "max_discount": 1000},
        "min_spend": 2000,
        "scope": {"type": "products", "product_ids": ["LIP-01"]},
        "total_quantity": 100,
        "per_customer_limit": 1,
        **_PERIOD,
    },
    "edit_voucher": {"total_quantity": 150},
    "start_session": {"account_id": 2},
    "record_watch": {"buyer_id": "buyer-42", "watched_seconds": 300},
    "record_follow": {"buyer_id": "buyer-42", "host_handle": "lily.live", "action": "follow"},
    "issue_distribution": {"voucher_id": 7, "task": {"type": "watch", "minutes": 5}},
    "schedule_drop": {"voucher_id": 7, "task": {"type": "follow"}, "in_seconds": 300},
    "enter_draw": {"buyer_id": "buyer-42"},
    "claim_voucher": {"buyer_id": "buyer-42", "session_id": 3},
    "quote": {"buyer_id": "buyer-42", "lines": _LINES},
    "place_order": {"order_id": "ORD-1001", "buyer_id": "buyer-42", "lines": _LINES},
}

EXAMPLES.update(openapi_events.EXAMPLES)  # R-ev1–R-ev4

# Codes every operation of a kind may answer with (see `_problem_statuses`).
COMMON_CODES: dict[int, tuple[str, ...]] = {
    400: ("malformed_json",),
    401: ("unauthorized",),
    404: ("not_found",),
    413: ("body_too_large",),
    422: ("validation_failed",),
}
_VOUCHER_404 = {404: ("voucher_not_found",)}
_SESSION_404 = {404: ("session_not_found",)}
# The refusals of each operation beyond COMMON_CODES, by status, by operation id.
PROBLEM_CODES: dict[str, dict[int, tuple[str, ...]]] = {
    "healthz": {503: ("database_unavailable",)},
    "metrics": {404: ("not_found",)},
    "openapi_document": {},
    "telegram_webhook": {403: ("forbidden",), 503: ("telegram_unavailable",)},
    "upsert_product": {},
    "search_products": {},
    "create_voucher": {},
    "list_vouchers": {},
    "get_voucher": _VOUCHER_404,
    "edit_voucher": {**_VOUCHER_404, 409: ("edit_not_allowed",)},
    "deactivate_voucher": {**_VOUCHER_404, 409: ("edit_not_allowed",)},
    "list_accounts": {},
    "start_session": {404: ("account_not_found",), 409: ("session_active",)},
    "end_session": _SESSION_404,
    "list_sessions": {},
    "get_session": _SESSION_404,
    "record_watch": _SESSION_404,
    "record_follow": {},
    "issue_distribution": {
        **_SESSION_404,
        409: (
            "session_ended",
            "not_live_voucher",
            "not_distributable",
            "sold_out",
            "distribution_active",
        ),
    },
    "stop_distribution": {404: ("distribution_not_found",)},
    "schedule_drop": {**_SESSION_404, 409: ("session_ended", "not_live_voucher")},
    "enter_draw": {
        404: ("distribution_not_found",),
        409: ("not_claimable", "draw_closed", "task_not_met", "limit_reached", "not_a_draw"),
    },
    "get_draw": {404: ("distribution_not_found", "draw_not_found")},
    "draw_figures": {},
    "list_drops": _SESSION_404,
    "cancel_drop": {404: ("drop_not_found",), 409: ("drop_not_pending",)},
    "claim_voucher": {
        **_VOUCHER_404,
        409: (
            "not_claimable",
            "no_active_distribution",
            "task_not_met",
            "limit_reached",
            "sold_out",
            "draw_only",
            "idempotency_key_reused",
            "conflict",
        ),
    },
    "buyer_wallet": {},
    "quote": {},
    "place_order": {
        404: ("claim_not_found",),
        409: ("order_conflict", "claim_not_usable", "claim_contention"),
    },
    "cancel_order": {404: ("order_not_found",)},
    "analytics_summary": {},
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
    statuses = set(r.problems)
    if r.auth:
        statuses |= {401, 404, 422}
    if r.body is not None:
        statuses |= {400, 413, 422}
    if r.params is not None or r.query is not None:
        statuses.add(422)
    return sorted(statuses)


def _operation(r: Route, refs: dict[tuple[type[BaseModel], Mode], Any]) -> dict[str, Any]:
    problem = _content(PROBLEM_TYPE, refs[(Problem, "serialization")])
    success = refs.get((r.response, "serialization")) if r.response else None
    responses: dict[str, Any] = {
        str(r.status): {"description": r.summary, "content": _content(r.media_type, success)}
    }
    for status, description in r.other_responses.items():
        responses[str(status)] = {
            "description": description,
            "content": _content(r.media_type, success),
        }
    codes = problem_codes(r)
    for status in sorted(set(_problem_statuses(r)) | set(codes)):
        title = TITLES.get(status, "Error")
        listed = ", ".join(f"`{c}`" for c in codes.get(status, ()))
        responses[str(status)] = {
            "description": f"{title}: {listed}" if listed else title,
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
            for h in r.headers
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
        if r.operation_id in EXAMPLES:
            content["application/json"]["example"] = EXAMPLES[r.operation_id]
        op["requestBody"] = {"required": True, "content": content}
    return op


def problem_codes(r: Route) -> dict[int, tuple[str, ...]]:
    """The codes of every problem status the operation may answer with."""
    codes: dict[int, tuple[str, ...]] = {}
    for status in _problem_statuses(r):
        codes[status] = COMMON_CODES.get(status, ())
    for status, own in PROBLEM_CODES.get(r.operation_id, {}).items():
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
) -> dict[str, Any]:
    refs, schemas = models_json_schema(_models(routes), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = _operation(r, refs)
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
