"""Segments, budgets, promo codes and redemption limits through HTTP (R-seg, R-budget, R-code,
R-redeem): the voucher shape of SPEC §11, the claim by code, 429 with Retry-After, the quote
and the order with a code, imported order history."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api, iso

LINES = [{"product_id": "sku-1", "unit_price": 3000, "quantity": 1}]


async def test_r_budget_voucher_shape_and_raise(api: Api) -> None:
    v = await api.voucher(
        segment="repeat_customers", budget=1_000, code="spring26", redemption_limit=5
    )
    assert v["segment"] == "repeat_customers" and v["code"] == "SPRING26"
    assert v["budget"] == {"amount": 1_000, "spent": 0, "reserved": 0, "left": 1_000}
    assert v["redemption_limit"] == 5
    plain = await api.voucher(name="Plain")
    assert (plain["segment"], plain["budget"], plain["code"], plain["redemption_limit"]) == (
        "all",
        None,
        None,
        None,
    )
    raised = await api.ok("PATCH", f"/v1/vouchers/{v['id']}", json={"budget": 2_000})
    assert raised["budget"]["amount"] == 2_000
    status, problem = await api.call("PATCH", f"/v1/vouchers/{v['id']}", json={"budget": 1_500})
    assert status == 422 and problem["errors"][0]["field"] == "budget"
    status, problem = await api.call("POST", "/v1/vouchers", json=_body(budget=100))
    assert status == 422 and problem["errors"][0]["field"] == "budget"


def _body(**overrides: object) -> dict:
    from tests.api.conftest import voucher_body

    return voucher_body(**overrides)


async def test_r_budget_spent_refusal_and_reservation_shown(api: Api) -> None:
    v = await api.voucher(budget=500)
    await api.ok("POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": "b1"})
    status, problem = await api.call(
        "POST", f"/v1/vouchers/{v['id']}/claims", json={"buyer_id": "b2"}
    )
    assert status == 409 and problem["code"] == "budget_spent"
    shown = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert shown["budget"] == {"amount": 500, "spent": 0, "reserved": 500, "left": 0}


async def test_r_code_claim_by_code_and_guessing_answers_429(api: Api) -> None:
    v = await api.voucher(code="GOODCODE")
    claim = await api.ok("POST", "/v1/claims", 201, json={"code": "goodcode", "buyer_id": "b1"})
    assert claim["voucher_id"] == v["id"]
    for _ in range(10):
        status, problem = await api.call(
            "POST", "/v1/claims", json={"code": "BADCODE1", "buyer_id": "guess"}
        )
        assert status == 404 and problem["code"] == "code_not_found"
    response = await api.client.post(
        "/v1/claims", json={"code": "GOODCODE", "buyer_id": "guess"}, headers=api.auth
    )
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert (await response.json(content_type=None))["code"] == "too_many_wrong_codes"


async def test_r_code_quote_and_order_with_code(api: Api) -> None:
    v = await api.voucher(code="CHECKOUT")
    q = await api.ok(
        "POST", "/v1/checkout/quote", json={"buyer_id": "b1", "lines": LINES, "code": "checkout"}
    )
    assert q["best"] == {"claim_id": None, "voucher_id": v["id"], "discount": 500}
    order = await api.ok(
        "POST",
        "/v1/orders",
        201,
        json={"order_id": "o1", "buyer_id": "b1", "lines": LINES, "code": "checkout"},
    )
    assert order["voucher_id"] == v["id"] and order["claim_id"] is not None
    assert order["discount"] == 500


async def test_r_seg_order_import_and_segment_refusal(api: Api) -> None:
    v = await api.voucher(segment="new_customers")
    imported = await api.ok(
        "POST",
        "/v1/orders",
        201,
        json={
            "order_id": "past-1",
            "buyer_id": "old",
            "lines": LINES,
            "placed_at": iso(-timedelta(days=400)),
            "status": "cancelled",
        },
    )
    assert imported["status"] == "cancelled" and imported["claim_id"] is None
    status, problem = await api.call(
        "POST", f"/v1/vouchers/{v['id']}/claims", json={"buyer_id": "old"}
    )
    assert status == 409 and problem["code"] == "segment_not_met"
    assert problem["segment"] == "new_customers"
    status, problem = await api.call(
        "POST",
        "/v1/orders",
        json={
            "order_id": "past-2",
            "buyer_id": "old",
            "lines": LINES,
            "placed_at": iso(-timedelta(days=4 * 365)),
        },
    )
    assert status == 422 and problem["errors"][0]["field"] == "placed_at"


async def test_r_redeem_quote_reason(api: Api) -> None:
    v = await api.voucher(redemption_limit=1)
    for buyer in ("b1", "b2"):
        await api.ok("POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": buyer})
    await api.ok(
        "POST", "/v1/orders", 201, json={"order_id": "o1", "buyer_id": "b1", "lines": LINES}
    )
    q = await api.ok("POST", "/v1/checkout/quote", json={"buyer_id": "b2", "lines": LINES})
    assert q["best"] is None
    assert q["considered"][0]["reason"] == "redemption_limit_reached"
