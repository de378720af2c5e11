"""R-c2 for every create: one Idempotency-Key mechanism declared on the route; and the replay
marker (R-api1) on claims and orders."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.http.app import all_routes
from tests.api.conftest import Api, voucher_body

CREATES = {
    ("POST", "/v1/vouchers"),
    ("POST", "/v1/live/sessions"),
    ("POST", "/v1/live/sessions/{session_id}/distributions"),
    ("POST", "/v1/live/sessions/{session_id}/drops"),
    ("POST", "/v1/distributions/{distribution_id}/entries"),
    ("POST", "/v1/webhook-endpoints"),
}


def test_r_c2_every_create_route_takes_an_idempotency_key() -> None:
    declared = {(r.method, r.path) for r in all_routes() if r.idempotent}
    assert declared >= CREATES


async def _post(api: Api, path: str, body: dict[str, Any], key: str) -> tuple[int, Any, Any]:
    response = await api.client.post(path, json=body, headers={**api.auth, "Idempotency-Key": key})
    return response.status, await response.json(content_type=None), response.headers


async def test_r_c2_voucher_repeat_answers_the_first_and_creates_nothing_more(api: Api) -> None:
    body = voucher_body()
    status, first, headers = await _post(api, "/v1/vouchers", body, "v-1")
    assert status == 201 and "Idempotent-Replayed" not in headers
    # The same body, its members in another order: the same request.
    status, again, headers = await _post(api, "/v1/vouchers", dict(reversed(body.items())), "v-1")
    assert (status, again) == (201, first)
    assert headers["Idempotent-Replayed"] == "true"
    listed = await api.ok("GET", "/v1/vouchers")
    assert [v["id"] for v in listed["items"]] == [first["id"]]


async def test_r_c2_another_body_with_the_same_key_is_409(api: Api) -> None:
    await _post(api, "/v1/vouchers", voucher_body(), "v-2")
    status, problem, _ = await _post(api, "/v1/vouchers", voucher_body(name="Other"), "v-2")
    assert (status, problem["code"]) == (409, "idempotency_key_reused")
    # Another route with the key: another request too.
    status, problem, _ = await _post(api, "/v1/live/sessions", {"account_id": 1}, "v-2")
    assert (status, problem["code"]) == (409, "idempotency_key_reused")


async def test_r_c2_webhook_endpoint_create_replays_and_refuses_another_body(api: Api) -> None:
    api.services.webhooks.allow_private = True  # a local URL (WEBHOOK_ALLOW_PRIVATE=true)
    body = {"url": "http://127.0.0.1:9/hook", "types": ["voucher.created"]}
    status, first, headers = await _post(api, "/v1/webhook-endpoints", body, "w-1")
    assert status == 201 and "Idempotent-Replayed" not in headers
    status, again, headers = await _post(api, "/v1/webhook-endpoints", body, "w-1")
    assert (status, again, headers["Idempotent-Replayed"]) == (201, first, "true")
    other = {**body, "description": "another"}
    status, problem, _ = await _post(api, "/v1/webhook-endpoints", other, "w-1")
    assert (status, problem["code"]) == (409, "idempotency_key_reused")
    listed = await api.ok("GET", "/v1/webhook-endpoints")
    assert [e["id"] for e in listed["items"]] == [first["id"]]


async def test_r_c2_a_refused_request_releases_its_key(api: Api) -> None:
    status, _, _ = await _post(api, "/v1/vouchers", voucher_body(total_quantity=0), "v-3")
    assert status == 422
    status, _, _ = await _post(api, "/v1/vouchers", voucher_body(), "v-3")
    assert status == 201


async def test_r_c2_concurrent_repeats_create_once(api: Api) -> None:
    body = voucher_body()
    results = await asyncio.gather(*(_post(api, "/v1/vouchers", body, "v-4") for _ in range(8)))
    created = {r[1]["id"] for r in results if r[0] == 201}
    assert len(created) == 1
    assert all(r[0] == 201 or r[1]["code"] == "idempotency_key_in_use" for r in results)
    listed = await api.ok("GET", "/v1/vouchers")
    assert len(listed["items"]) == 1


async def test_r_c2_session_and_distribution_replay(api: Api) -> None:
    accounts = await api.ok("GET", "/v1/accounts")
    account_id = accounts["items"][0]["id"]
    status, session, _ = await _post(api, "/v1/live/sessions", {"account_id": account_id}, "s-1")
    assert status == 201
    status, again, headers = await _post(
        api, "/v1/live/sessions", {"account_id": account_id}, "s-1"
    )
    assert (status, again["id"], headers["Idempotent-Replayed"]) == (201, session["id"], "true")
    live = await api.voucher(kind="live")
    path = f"/v1/live/sessions/{session['id']}/distributions"
    body = {"voucher_id": live["id"], "task": {"type": "none"}}
    status, first, _ = await _post(api, path, body, "d-1")
    assert status == 201, first
    status, again, headers = await _post(api, path, body, "d-1")
    assert (status, again["id"], headers["Idempotent-Replayed"]) == (201, first["id"], "true")


async def test_r_api1_claim_replay_is_marked(api: Api) -> None:
    voucher = await api.voucher()
    path = f"/v1/vouchers/{voucher['id']}/claims"
    status, first, headers = await _post(api, path, {"buyer_id": "b1"}, "c-1")
    assert status == 201 and "Idempotent-Replayed" not in headers
    status, again, headers = await _post(api, path, {"buyer_id": "b1"}, "c-1")
    assert (status, again, headers["Idempotent-Replayed"]) == (201, first, "true")
    # Another body (here another live session named) with the same key: 409.
    status, problem, _ = await _post(api, path, {"buyer_id": "b1", "session_id": 9}, "c-1")
    assert (status, problem["code"]) == (409, "idempotency_key_reused")


async def test_r_api1_order_replay_is_marked(api: Api) -> None:
    body = {
        "order_id": "o-1",
        "buyer_id": "b1",
        "lines": [{"product_id": "p1", "unit_price": 3000, "quantity": 1}],
    }
    first = await api.client.post("/v1/orders", json=body, headers=api.auth)
    assert first.status == 201 and "Idempotent-Replayed" not in first.headers
    again = await api.client.post("/v1/orders", json=body, headers=api.auth)
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
