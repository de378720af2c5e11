"""Authentication, shop isolation, and bad input that must answer 4xx and write nothing."""

from __future__ import annotations

import json

from tests.api.conftest import Api, voucher_body


async def _status(api: Api, headers: dict[str, str]) -> tuple[int, dict]:
    response = await api.client.get("/v1/vouchers", headers=headers)
    assert response.content_type == "application/problem+json" or response.status == 200
    return response.status, await response.json(content_type=None)


async def test_no_key_wrong_key_and_wrong_scheme_are_401(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer vb_nope_nope"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": f"Basic {api.key}"},
        {"Authorization": f"Bearer {api.key}x"},
    ):
        status, problem = await _status(api, headers)
        assert status == 401, headers
        assert problem["code"] == "unauthorized"
        assert set(problem) >= {"type", "title", "status", "detail", "code"}


async def test_revoked_key_is_refused_at_once(api: Api) -> None:
    assert (await _status(api, api.auth))[0] == 200  # now cached
    await api.services.api_keys.revoke(api.key)
    status, problem = await _status(api, api.auth)
    assert status == 401 and problem["code"] == "unauthorized"


async def test_another_shops_ids_answer_404(api: Api, other_shop: tuple[int, str]) -> None:
    mine = await api.voucher()
    _, other_key = other_shop
    other = {"Authorization": f"Bearer {other_key}"}
    for method, path, body in (
        ("GET", f"/v1/vouchers/{mine['id']}", None),
        ("PATCH", f"/v1/vouchers/{mine['id']}", {"total_quantity": 500}),
        ("POST", f"/v1/vouchers/{mine['id']}/deactivate", None),
        ("POST", f"/v1/vouchers/{mine['id']}/claims", {"buyer_id": "b1"}),
    ):
        response = await api.client.request(method, path, json=body, headers=other)
        assert response.status == 404, (method, path, await response.text())
    assert (await api.ok("GET", f"/v1/vouchers/{mine['id']}"))["status"] == "ongoing"
    assert (await api.ok("GET", f"/v1/vouchers/{mine['id']}"))["total_quantity"] == 100
    listed = await api.client.get("/v1/vouchers", headers=other)
    assert (await listed.json())["items"] == []


async def _raw(api: Api, data: bytes, path: str = "/v1/vouchers") -> tuple[int, dict]:
    response = await api.client.post(
        path, data=data, headers={**api.auth, "Content-Type": "application/json"}
    )
    assert response.content_type == "application/problem+json"
    return response.status, await response.json(content_type=None)


async def test_bad_bodies_answer_problems_and_write_nothing(api: Api) -> None:
    status, problem = await _raw(api, b'{"name": ')
    assert status == 400 and problem["code"] == "malformed_json"
    status, problem = await _raw(api, b"")
    assert status == 400 and problem["code"] == "malformed_json"
    status, problem = await _raw(api, b"[1, 2]")
    assert status == 400 and problem["code"] == "malformed_json"

    wrong_types = voucher_body(total_quantity="100", discount={"type": "amount", "amount": 5.5})
    status, problem = await _raw(api, json.dumps(wrong_types).encode())
    assert status == 422
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"total_quantity", "discount.amount"}

    missing = voucher_body()
    del missing["ends_at"]
    status, problem = await _raw(api, json.dumps(missing).encode())
    assert status == 422 and problem["errors"] == [{"field": "ends_at", "message": "is required"}]

    naive = voucher_body(starts_at="2026-06-01T12:00:00")
    status, problem = await _raw(api, json.dumps(naive).encode())
    assert status == 422 and problem["errors"][0]["field"] == "starts_at"

    unknown = voucher_body(colour="red")
    status, problem = await _raw(api, json.dumps(unknown).encode())
    assert status == 422 and problem["errors"][0]["field"] == "colour"

    nul = voucher_body(name="bad\x00name")
    status, problem = await _raw(api, json.dumps(nul).encode())
    assert status == 422 and problem["errors"][0]["field"] == "name"

    assert (await api.ok("GET", "/v1/vouchers"))["items"] == []


async def test_oversized_body_is_413(api: Api) -> None:
    big = json.dumps(voucher_body(name="x" * (1024 * 1024 + 10))).encode()
    status, problem = await _raw(api, big)
    assert status == 413 and problem["code"] == "body_too_large"

    async def chunks():  # no Content-Length: the limit still holds while reading
        for _ in range(1100):
            yield b" " * 1024

    response = await api.client.post(
        "/v1/vouchers", data=chunks(), headers={**api.auth, "Content-Type": "application/json"}
    )
    assert response.status == 413
    assert (await api.ok("GET", "/v1/vouchers"))["items"] == []


async def test_unknown_route_and_method_are_problems(api: Api) -> None:
    response = await api.client.get("/v1/nothing-here", headers=api.auth)
    assert response.status == 404 and response.content_type == "application/problem+json"
    response = await api.client.delete("/v1/vouchers", headers=api.auth)
    assert response.status == 405 and (await response.json(content_type=None))["code"] == (
        "method_not_allowed"
    )
