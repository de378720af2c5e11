"""R-api4: every resource can be read back; products delete and batch; ended sessions keep
their claim count."""

from __future__ import annotations

from tests.api.conftest import Api


async def test_r_api4_order_claim_distribution_product_read_back(api: Api) -> None:
    await api.ok("PUT", "/v1/products/p1", json={"name": "Tea", "price": 3000})
    assert await api.ok("GET", "/v1/products/p1") == {
        "product_id": "p1",
        "name": "Tea",
        "category": "",
        "price": 3000,
    }
    status, problem = await api.call("GET", "/v1/products/nope")
    assert (status, problem["code"]) == (404, "product_not_found")
    voucher = await api.voucher()
    claim = await api.ok(
        "POST", f"/v1/vouchers/{voucher['id']}/claims", 201, json={"buyer_id": "b1"}
    )
    assert await api.ok("GET", f"/v1/claims/{claim['id']}") == claim
    lines = [{"product_id": "p1", "unit_price": 3000, "quantity": 1}]
    order = await api.ok(
        "POST", "/v1/orders", 201, json={"order_id": "o1", "buyer_id": "b1", "lines": lines}
    )
    assert await api.ok("GET", "/v1/orders/o1") == order
    status, problem = await api.call("GET", "/v1/claims/999")
    assert (status, problem["code"]) == (404, "claim_not_found")


async def test_r_api4_stopped_distribution_and_ended_session_keep_their_facts(api: Api) -> None:
    account_id = (await api.ok("GET", "/v1/accounts"))["items"][0]["id"]
    session = await api.ok("POST", "/v1/live/sessions", 201, json={"account_id": account_id})
    live = await api.voucher(kind="live")
    dist = await api.ok(
        "POST",
        f"/v1/live/sessions/{session['id']}/distributions",
        201,
        json={"voucher_id": live["id"], "task": {"type": "none"}},
    )
    await api.ok("POST", f"/v1/vouchers/{live['id']}/claims", 201, json={"buyer_id": "b1"})
    assert (await api.ok("GET", f"/v1/live/sessions/{session['id']}"))["claims"] == 1
    await api.ok("POST", f"/v1/distributions/{dist['id']}/stop")
    stopped = await api.ok("GET", f"/v1/distributions/{dist['id']}")
    assert stopped["id"] == dist["id"] and stopped["stopped_at"] is not None
    # Ended (here from the core, as the bot's /endlive does): the count stays.
    await api.services.live.end_session(api.seller, session["id"])
    assert (await api.ok("GET", f"/v1/live/sessions/{session['id']}"))["claims"] == 1
    listed = await api.ok("GET", "/v1/live/sessions?active=false")
    assert [s["claims"] for s in listed["items"]] == [1]


async def test_r_api4_product_delete_refused_while_a_voucher_scopes_it(api: Api) -> None:
    await api.ok("PUT", "/v1/products/p1", json={"name": "Tea", "price": 3000})
    await api.ok("PUT", "/v1/products/p2", json={"name": "Cake", "price": 2000})
    voucher = await api.voucher(scope={"type": "products", "product_ids": ["p1"]})
    status, problem = await api.call("DELETE", "/v1/products/p1")
    assert (status, problem["code"], problem["voucher_id"]) == (
        409,
        "product_in_use",
        voucher["id"],
    )
    assert await api.ok("DELETE", "/v1/products/p2") == {"product_id": "p2", "deleted": True}
    status, problem = await api.call("DELETE", "/v1/products/p2")
    assert (status, problem["code"]) == (404, "product_not_found")
    await api.ok("POST", f"/v1/vouchers/{voucher['id']}/deactivate")
    await api.ok("DELETE", "/v1/products/p1")


async def test_r_api4_products_batch_is_one_transaction_with_per_item_results(api: Api) -> None:
    await api.ok("PUT", "/v1/products/p0", json={"name": "Old", "price": 1})
    items = [{"product_id": f"p{n}", "name": f"P{n}", "price": 100 * n} for n in range(500)]
    done = await api.ok("POST", "/v1/products:batch", json={"items": items})
    assert len(done["items"]) == 500
    assert [i["created"] for i in done["items"][:2]] == [False, True]
    assert (await api.ok("GET", "/v1/products/p499"))["price"] == 49900
    # One invalid item: nothing is written, and the error names the item.
    bad = [
        {"product_id": "new1", "name": "New", "price": 5},
        {"product_id": "new2", "name": " ", "price": 5},
    ]
    status, problem = await api.call("POST", "/v1/products:batch", json={"items": bad})
    assert (status, problem["errors"][0]["field"]) == (422, "items.1.name")
    status, _ = await api.call("GET", "/v1/products/new1")
    assert status == 404
    status, problem = await api.call(
        "POST", "/v1/products:batch", json={"items": items + items[:1]}
    )
    assert status == 422
    status, problem = await api.call(
        "POST",
        "/v1/products:batch",
        json={"items": [{"product_id": "x", "name": "X", "price": -1}]},
    )
    assert (status, problem["errors"][0]["field"]) == (422, "items.0.price")
