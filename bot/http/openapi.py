"""`GET /openapi.json`: an OpenAPI 3.1 document generated from the declared routes and the
very pydantic models that validate requests and shape responses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.http.outputs import Problem
from bot.http.problems import PROBLEM_TYPE, TITLES
from bot.http.routing import Route

REF = "#/components/schemas/{model}"
Mode = Literal["validation", "serialization"]


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
    for status in _problem_statuses(r):
        responses[str(status)] = {"description": TITLES.get(status, "Error"), "content": problem}
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
    }
    if r.description:
        op["description"] = r.description
    if r.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": _content("application/json", refs[(r.body, "validation")]),
        }
    return op


def _openapi_path(aiohttp_path: str) -> str:
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", aiohttp_path)


def build_openapi(routes: Sequence[Route], *, title: str, version: str) -> dict[str, Any]:
    refs, schemas = models_json_schema(_models(routes), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(_openapi_path(r.path), {})[r.method.lower()] = _operation(r, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Seller Vouchers for livestream shops (SPEC §11). Money is in "
            "integer minor units; instants are RFC 3339 with an offset; errors are RFC 9457 "
            "problem documents with a stable `code`.",
        },
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
