"""`/openapi.json` is the product's own: it names its server, has an example of every request
body (one its own model accepts), lists the problem codes of every operation, and points at
nothing outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.http.app import API_TITLE, API_VERSION, all_routes
from bot.http.openapi import EXAMPLES, PROBLEM_CODES, build_openapi

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = build_openapi(all_routes(), title=API_TITLE, version=API_VERSION)


def test_servers() -> None:
    assert DOCUMENT["servers"] and all("url" in s for s in DOCUMENT["servers"])


@pytest.mark.parametrize("route", [r for r in all_routes() if r.body], ids=lambda r: r.operation_id)
def test_every_request_body_has_an_example_its_model_accepts(route) -> None:  # type: ignore[no-untyped-def]
    path = DOCUMENT["paths"][re.sub(r"\{(\w+)(?::[^}]*)?\}", r"{\1}", route.path)]
    content = path[route.method.lower()]["requestBody"]["content"]["application/json"]
    example = content["example"]
    assert route.body is not None
    route.body.model_validate_json(json.dumps(example))  # raises if the example is wrong


def test_every_operation_lists_its_problem_codes() -> None:
    operations = {r.operation_id for r in all_routes()}
    assert set(PROBLEM_CODES) == operations
    assert set(EXAMPLES) == {r.operation_id for r in all_routes() if r.body}
    claim = DOCUMENT["paths"]["/v1/vouchers/{voucher_id}/claims"]["post"]
    assert "sold_out" in claim["x-problem-codes"]["409"]
    assert "`limit_reached`" in claim["responses"]["409"]["description"]
    for path in DOCUMENT["paths"].values():
        for operation in path.values():
            for status, codes in operation["x-problem-codes"].items():
                assert status in operation["responses"]
                assert codes


def test_no_reference_outside_the_repository() -> None:
    text = json.dumps(DOCUMENT)
    assert "SPEC" not in text
    assert "../shared" not in text
    for path in re.findall(r"docs/[\w.-]+\.md", text):
        assert (ROOT / path).exists(), path
