"""Quotes, orders (idempotent per order_id) and cancellations through HTTP."""

from __future__ import annotations

from tests.api.conftest import Api

LINES = [{"product_id": "sku-1", "unit_price": 3000, "quantity": 1}]


async def _claimed(api: Api, **voucher: object) -> tuple[dict, dict]:
    v = await api.voucher(**voucher)
    claim = await api.ok("POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": "b1"})
    return v, claim


async def test_quote_picks_the_best_and_changes_nothing(api: Api) -> None:
    _, c_small = await _claimed(api)
    big, c_big = await _claimed(
        api, discount={"type": "percent", "percent": 50, "max_discount": 1000}, min_spend=0
    )
    q = await api.ok("POST", "/v1/checkout/quote", json={"buyer_id": "b1", "lines": LINES})
    assert q["subtotal"] == 3000 and q["total"] == 2000
    assert q["best"] == {"claim_id": c_big["id"], "voucher_id": big["id"], "discount": 1000}
    assert [c["claim_id"] for c in q["considered"]] == [c_big["id"], c_small["id"]]
    again = await api.ok("POST", "/v1/checkout/quote", json={"buyer_id": "b1", "lines": LINES})
    assert again == q
    below = await api.ok(
        "POST",
        "/v1/checkout/quote",
        json={"buyer_id": "b1", "lines": [{**LINES[0], "unit_price": 100}]},
    )
    assert below["best"]["voucher_id"] == big["id"] and below["total"] == 50


async def test_order_redeems_is_idempotent_and_cancel_releases(api: Api) -> None:
    v, claim = await _claimed(api)
    body = {"order_id": "o-1", "buyer_id": "b1", "lines": LINES}
    order = await api.ok("POST", "/v1/orders", 201, json=body)
    assert order["claim_id"] == claim["id"] and order["voucher_id"] == v["id"]
    assert order["discount"] == 500 and order["total"] == 2500 and order["status"] == "placed"
    repeat = await api.ok("POST", "/v1/orders", 200, json=body)
    assert repeat == order
    status, problem = await api.call(
        "POST", "/v1/orders", json={**body, "lines": [{**LINES[0], "quantity": 2}]}
    )
    assert status == 409 and problem["code"] == "order_conflict"
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["redeemed"] == 1
    wallet = await api.ok("GET", "/v1/buyers/b1/claims?status=redeemed")
    assert [c["id"] for c in wallet["items"]] == [claim["id"]]
    cancelled = await api.ok("POST", "/v1/orders/o-1/cancel")
    assert cancelled["status"] == "cancelled"
    again = await api.ok("POST", "/v1/orders/o-1/cancel")
    assert again == cancelled
    wallet = await api.ok("GET", "/v1/buyers/b1/claims?status=claimed")
    assert [c["id"] for c in wallet["items"]] == [claim["id"]]
    status, problem = await api.call("POST", "/v1/orders/nope/cancel")
    assert status == 404 and problem["code"] == "order_not_found"


async def test_orders_without_voucher_and_named_claims(api: Api) -> None:
    plain = await api.ok(
        "POST", "/v1/orders", 201, json={"order_id": "o-0", "buyer_id": "nobody", "lines": LINES}
    )
    assert plain["voucher_id"] is None and plain["discount"] == 0 and plain["total"] == 3000
    _, claim = await _claimed(api)
    status, problem = await api.call(
        "POST",
        "/v1/orders",
        json={
            "order_id": "o-2",
            "buyer_id": "b1",
            "lines": [{**LINES[0], "unit_price": 10}],
            "claim_id": claim["id"],
        },
    )
    assert status == 409 and problem["code"] == "claim_not_usable"
    status, problem = await api.call(
        "POST",
        "/v1/orders",
        json={"order_id": "o-3", "buyer_id": "b1", "lines": LINES, "claim_id": 99999},
    )
    assert status == 404 and problem["code"] == "claim_not_found"
    status, problem = await api.call(
        "POST",
        "/v1/orders",
        json={
            "order_id": "o-4",
            "buyer_id": "b1",
            "lines": [{"product_id": "sku-1", "unit_price": 10, "quantity": 0}],
        },
    )
    assert status == 422 and problem["errors"][0]["field"] == "lines.0.quantity"
    status, problem = await api.call(
        "POST", "/v1/orders", json={"order_id": "o-5", "buyer_id": "b1", "lines": []}
    )
    assert status == 422 and problem["errors"][0]["field"] == "lines"
