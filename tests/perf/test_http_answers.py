"""The HTTP layer's cheaper paths answer and count exactly as before: metric children resolved
once per route, problem documents encoded once per refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from bot.config import Settings
from bot.http import create_app, routing
from bot.http.inputs import VoucherPath
from bot.http.problems import HttpProblem
from core.errors import FieldError
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import draft

CLAIMS_ROUTE = "/v1/vouchers/{voucher_id}/claims"


def _requests(route: str, method: str, status: int) -> float:
    labels = {"route": route, "method": method, "status": str(status)}
    return REGISTRY.get_sample_value("voucherbot_http_requests_total", labels) or 0.0


def _timed(route: str, method: str) -> float:
    labels = {"route": route, "method": method}
    value = REGISTRY.get_sample_value("voucherbot_http_request_duration_seconds_count", labels)
    return value or 0.0


def _claims(outcome: str) -> float:
    return REGISTRY.get_sample_value("voucherbot_claims_total", {"outcome": outcome}) or 0.0


@pytest.fixture
async def client(
    sqlite_services: Services, shop_seller: Actor
) -> AsyncIterator[tuple[TestClient, dict[str, str], int]]:
    key = await sqlite_services.api_keys.create_for_shop(shop_seller.shop_id)
    voucher = await sqlite_services.vouchers.create(shop_seller, draft(total_quantity=1))
    settings = Settings(database_url="sqlite+aiosqlite:///unused.db", metrics_enabled=True)
    async with TestClient(TestServer(create_app(sqlite_services, settings))) as http:
        yield http, {"Authorization": f"Bearer {key.secret}"}, voucher.id  # type: ignore[misc]


async def test_every_answer_is_counted_by_route_method_and_status(
    client: tuple[TestClient, dict[str, str], int],
) -> None:
    http, auth, vid = client
    path = f"/v1/vouchers/{vid}/claims"
    before = {
        "201": _requests(CLAIMS_ROUTE, "POST", 201),
        "409": _requests(CLAIMS_ROUTE, "POST", 409),
        "404": _requests("unmatched", "GET", 404),
        "405": _requests("unmatched", "DELETE", 405),
        "timed": _timed(CLAIMS_ROUTE, "POST"),
        "claimed": _claims("claimed"),
        "limit_reached": _claims("limit_reached"),
        "sold_out": _claims("sold_out"),
    }
    answers = [
        (await http.post(path, json={"buyer_id": "ann"}, headers=auth)).status,
        (await http.post(path, json={"buyer_id": "ann"}, headers=auth)).status,
        (await http.post(path, json={"buyer_id": "bob"}, headers=auth)).status,
        (await http.get("/no/such/page")).status,
        (await http.get("/no/such/page")).status,
        (await http.delete(path, headers=auth)).status,
    ]
    assert answers == [201, 409, 409, 404, 404, 405]
    assert _requests(CLAIMS_ROUTE, "POST", 201) - before["201"] == 1
    assert _requests(CLAIMS_ROUTE, "POST", 409) - before["409"] == 2
    assert _requests("unmatched", "GET", 404) - before["404"] == 2
    assert _requests("unmatched", "DELETE", 405) - before["405"] == 1
    assert _timed(CLAIMS_ROUTE, "POST") - before["timed"] == 3
    assert _claims("claimed") - before["claimed"] == 1
    assert _claims("limit_reached") - before["limit_reached"] == 1
    assert _claims("sold_out") - before["sold_out"] == 1


async def test_an_unexpected_failure_is_a_counted_500_problem(
    client: tuple[TestClient, dict[str, str], int], sqlite_services: Services
) -> None:
    http, auth, vid = client

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    before = _requests(CLAIMS_ROUTE, "POST", 500)
    original = sqlite_services.claims.claim
    sqlite_services.claims.claim = broken  # type: ignore[method-assign]
    try:
        response = await http.post(
            f"/v1/vouchers/{vid}/claims", json={"buyer_id": "ann"}, headers=auth
        )
    finally:
        sqlite_services.claims.claim = original  # type: ignore[method-assign]
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    assert (await response.json(content_type=None))["code"] == "internal_error"
    assert _requests(CLAIMS_ROUTE, "POST", 500) - before == 1


@pytest.mark.parametrize(
    "problem",
    [
        HttpProblem(
            409, "limit_reached", "You have already claimed this voucher once.", extra={"limit": 1}
        ),
        HttpProblem(
            409,
            "limit_reached",
            "You have already claimed this voucher once.",
            extra={"limit": True},
        ),
        HttpProblem(
            409,
            "limit_reached",
            "You have already claimed this voucher once.",
            extra={"limit": 1.0},
        ),
        HttpProblem(
            409, "task_not_met", "Watch 2 min more.", extra={"task": "watch", "status": "x"}
        ),
        HttpProblem(
            409, "weird", "Odd extras.", extra={"list": [1, 2], "none": None, "obj": object()}
        ),
        HttpProblem(
            422, "validation_failed", "Bad.", errors=[FieldError("buyer_id", "is required")]
        ),
    ],
)
def test_problem_bodies_are_their_documents_every_time(problem: HttpProblem) -> None:
    expected = json.dumps(problem.document(), ensure_ascii=False).encode()
    assert problem.body() == expected
    assert problem.body() == expected  # the second time from the cache, when cached
    response = problem.response()
    assert response.body == expected
    assert response.headers["Content-Type"] == "application/problem+json"


def test_path_parameters_are_validated_once_per_distinct_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routing, "MAX_KNOWN_PATHS", 2)
    known: dict[tuple[Any, ...], Any] = {}
    first = routing.parse_path(VoucherPath, {"voucher_id": "7"}, known)
    assert first.voucher_id == 7  # type: ignore[attr-defined]
    assert routing.parse_path(VoucherPath, {"voucher_id": "7"}, known) is first
    for bad in ("abc", "0"):
        with pytest.raises(HttpProblem) as refused:
            routing.parse_path(VoucherPath, {"voucher_id": bad}, known)
        assert refused.value.status == 422
        assert [e.field for e in refused.value.errors] == ["voucher_id"]
    assert list(known) == [(("voucher_id", "7"),)]  # refusals are not kept
    routing.parse_path(VoucherPath, {"voucher_id": "8"}, known)
    routing.parse_path(VoucherPath, {"voucher_id": "9"}, known)  # full: starts over
    assert list(known) == [(("voucher_id", "9"),)]
