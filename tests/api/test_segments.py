"""R-seg through HTTP: the shop's segment windows (read, change, refusals naming the field,
the claim path judging by them at once), analytics split by segment (R-a7), one ongoing
new-customer voucher at a time, and guessing codes per API key (R-code)."""

from __future__ import annotations

from datetime import timedelta

from core.rules.targeting import SegmentWindows
from tests.api.conftest import Api, iso, voucher_body

LINES = [{"product_id": "sku-1", "unit_price": 3000, "quantity": 1}]
DEFAULTS = {
    "repeat_days": 30,
    "lapsed_active_days": 365,
    "lapsed_quiet_days": 90,
    "follower_days": 30,
}
WINDOWS = "/v1/shop/segment-windows"


async def _past_order(api: Api, order_id: str, buyer: str, days_ago: int) -> None:
    await api.ok(
        "POST",
        "/v1/orders",
        201,
        json={
            "order_id": order_id,
            "buyer_id": buyer,
            "lines": LINES,
            "placed_at": iso(-timedelta(days=days_ago)),
        },
    )


async def test_r_seg_windows_read_and_change(api: Api) -> None:
    assert await api.ok("GET", WINDOWS) == DEFAULTS
    changed = await api.ok("PATCH", WINDOWS, json={"repeat_days": 60, "lapsed_quiet_days": 120})
    assert changed == {**DEFAULTS, "repeat_days": 60, "lapsed_quiet_days": 120}
    # A repeat sets the same values: the same answer, nothing else changes.
    again = await api.ok("PATCH", WINDOWS, json={"repeat_days": 60, "lapsed_quiet_days": 120})
    assert again == changed
    assert await api.ok("PATCH", WINDOWS, json={}) == changed
    assert await api.ok("GET", WINDOWS) == changed
    stored = await api.services.shops.segment_windows(api.seller)
    assert stored == SegmentWindows(repeat_days=60, lapsed_quiet_days=120)


async def test_r_seg_windows_refusals_name_the_field_and_change_nothing(api: Api) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"repeat_days": 0}, "repeat_days"),
        ({"follower_days": 1096}, "follower_days"),
        ({"repeat_days": "30"}, "repeat_days"),  # never read text as a number
        ({"repeat_days": 30.0}, "repeat_days"),
        ({"repeat_days": None}, "repeat_days"),
        ({"lapsed_quiet_days": 365}, "lapsed_quiet_days"),  # not below lapsed_active_days
        ({"lapsed_active_days": 60}, "lapsed_quiet_days"),  # 90 would no longer be below it
        ({"vip_days": 3}, "vip_days"),
    ]
    for body, field in cases:
        status, problem = await api.call("PATCH", WINDOWS, json={"repeat_days": 45, **body})
        assert status == 422, (body, problem)
        assert problem["code"] == "validation_failed"
        assert [e["field"] for e in problem["errors"]] == [field], (body, problem)
    assert await api.ok("GET", WINDOWS) == DEFAULTS  # nothing half-written


async def test_r_seg_claims_judge_by_the_changed_windows_at_once(api: Api) -> None:
    v = await api.voucher(segment="repeat_customers")
    await _past_order(api, "past-45", "regular", 45)  # imported order history (R-seg)
    claim = f"/v1/vouchers/{v['id']}/claims"
    status, problem = await api.call("POST", claim, json={"buyer_id": "regular"})
    assert status == 409 and problem["code"] == "segment_not_met"
    assert problem["segment"] == "repeat_customers"
    await api.ok("PATCH", WINDOWS, json={"repeat_days": 60})
    await api.ok("POST", claim, 201, json={"buyer_id": "regular"})


async def test_r_seg_windows_belong_to_the_key_shop(api: Api, other_shop: tuple[int, str]) -> None:
    _, other_key = other_shop
    await api.ok("PATCH", WINDOWS, json={"follower_days": 7})
    response = await api.client.get(WINDOWS, headers={"Authorization": f"Bearer {other_key}"})
    assert response.status == 200 and (await response.json()) == DEFAULTS
    response = await api.client.get(WINDOWS)
    assert response.status == 401


async def test_r_seg_one_ongoing_new_customers_voucher(api: Api) -> None:
    first = await api.voucher(name="Welcome", segment="new_customers")
    status, problem = await api.call(
        "POST", "/v1/vouchers", json=voucher_body(name="Welcome 2", segment="new_customers")
    )
    assert status == 409 and problem["code"] == "new_customers_voucher_exists"
    assert problem["voucher_name"] == "Welcome"
    # Once the first is deactivated another may run.
    await api.ok("POST", f"/v1/vouchers/{first['id']}/deactivate")
    await api.ok(
        "POST", "/v1/vouchers", 201, json=voucher_body(name="Welcome 2", segment="new_customers")
    )


async def test_r_a7_analytics_split_by_segment(api: Api) -> None:
    plain = await api.voucher(name="Plain")
    new = await api.voucher(name="New", segment="new_customers")
    await api.ok("POST", f"/v1/vouchers/{plain['id']}/claims", 201, json={"buyer_id": "a"})
    for buyer in ("b", "c"):
        await api.ok("POST", f"/v1/vouchers/{new['id']}/claims", 201, json={"buyer_id": buyer})
    await api.ok(
        "POST", "/v1/orders", 201, json={"order_id": "o1", "buyer_id": "b", "lines": LINES}
    )
    body = await api.ok("GET", "/v1/analytics/segments")
    assert body["currency"] == "USD" and body["start"] is None and body["end"] is None
    split = body["segments"]
    assert list(split) == [
        "all",
        "new_customers",
        "repeat_customers",
        "lapsed_customers",
        "new_followers",
    ]
    assert (split["all"]["claims"], split["all"]["usage"]) == (1, 0)
    assert split["new_customers"] == {
        "claims": 2,
        "usage": 1,
        "redemption_rate": 0.5,
        "revenue": 2500,
        "orders": 1,
        "buyers": 1,
        "discount_cost": 500,
        "roi": 5.0,
    }
    assert split["repeat_customers"]["claims"] == 0
    # The same period rules as the summary: nothing before `from`.
    later = await api.ok(
        "GET", f"/v1/analytics/segments?from={iso(timedelta(hours=1))}".replace("+", "%2B")
    )
    assert later["segments"]["new_customers"]["claims"] == 0


async def test_r_code_wrong_codes_per_api_key_answer_429(api: Api) -> None:
    """R-code: 300 wrong codes a minute from one key, whichever buyers, then 429; another
    key of the same shop still answers."""
    await api.voucher(code="REALCODE")
    for n in range(300):
        status, problem = await api.call(
            "POST", "/v1/claims", json={"code": "NOPE0000", "buyer_id": f"guess-{n // 10}"}
        )
        assert status == 404 and problem["code"] == "code_not_found", (n, problem)
    response = await api.client.post(
        "/v1/claims", json={"code": "REALCODE", "buyer_id": "fresh"}, headers=api.auth
    )
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    quote = await api.client.post(
        "/v1/checkout/quote",
        json={"buyer_id": "fresh", "lines": LINES, "code": "REALCODE"},
        headers=api.auth,
    )
    assert quote.status == 429 and "Retry-After" in quote.headers
    second = (await api.services.api_keys.create_for_shop(api.shop_id)).secret
    response = await api.client.post(
        "/v1/claims",
        json={"code": "REALCODE", "buyer_id": "fresh"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert response.status == 201
    # The next minute the key may guess again.
    api.clock.set(api.clock.now() + timedelta(minutes=1))
    status, problem = await api.call(
        "POST", "/v1/claims", json={"code": "NOPE0000", "buyer_id": "later"}
    )
    assert status == 404


async def test_r_budget_spent_reserved_left_after_redemption(api: Api) -> None:
    v = await api.voucher(budget=1_200)
    await api.ok("POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": "b1"})
    await api.ok("POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": "b2"})
    shown = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert shown["budget"] == {"amount": 1_200, "spent": 0, "reserved": 1_000, "left": 200}
    await api.ok(
        "POST", "/v1/orders", 201, json={"order_id": "o1", "buyer_id": "b1", "lines": LINES}
    )
    shown = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert shown["budget"] == {"amount": 1_200, "spent": 500, "reserved": 500, "left": 200}
    listed = await api.ok("GET", "/v1/vouchers")
    assert listed["items"][0]["budget"] == shown["budget"]
    await api.ok("POST", "/v1/orders/o1/cancel")
    shown = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert shown["budget"]["spent"] == 0


async def test_r_redeem_quote_with_code_names_the_limit(api: Api) -> None:
    v = await api.voucher(code="ONCEONLY", redemption_limit=1)
    await api.ok(
        "POST",
        "/v1/orders",
        201,
        json={"order_id": "o1", "buyer_id": "b1", "lines": LINES, "code": "onceonly"},
    )
    q = await api.ok(
        "POST", "/v1/checkout/quote", json={"buyer_id": "b2", "lines": LINES, "code": "ONCEONLY"}
    )
    assert q["best"] is None
    assert q["considered"] == [
        {
            "claim_id": None,
            "voucher_id": v["id"],
            "discount": 0,
            "usable": False,
            "reason": "redemption_limit_reached",
        }
    ]
    # A cancellation frees the place (R-redeem).
    await api.ok("POST", "/v1/orders/o1/cancel")
    q = await api.ok(
        "POST", "/v1/checkout/quote", json={"buyer_id": "b2", "lines": LINES, "code": "ONCEONLY"}
    )
    assert q["best"] == {"claim_id": None, "voucher_id": v["id"], "discount": 500}


async def test_r_code_quote_claims_nothing_and_every_r_c1_check_applies(api: Api) -> None:
    """R-code: a quote with a code prices it without claiming; an order with it claims under
    every R-c1 check (here the segment, R-seg), and a refused order writes nothing."""
    v = await api.voucher(code="WELCOME1", segment="new_customers")
    q = await api.ok(
        "POST", "/v1/checkout/quote", json={"buyer_id": "b1", "lines": LINES, "code": "welcome1"}
    )
    assert q["best"] == {"claim_id": None, "voucher_id": v["id"], "discount": 500}
    assert (await api.ok("GET", "/v1/buyers/b1/claims"))["items"] == []
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["claimed"] == 0
    status, problem = await api.call(
        "POST", "/v1/checkout/quote", json={"buyer_id": "b1", "lines": LINES, "code": "WRONG1"}
    )
    assert status == 404 and problem["code"] == "code_not_found"
    await _past_order(api, "past-1", "known", 10)  # `known` is no longer a new customer
    q = await api.ok(
        "POST", "/v1/checkout/quote", json={"buyer_id": "known", "lines": LINES, "code": "WELCOME1"}
    )
    assert q["best"] is None
    assert [(c["voucher_id"], c["usable"], c["reason"]) for c in q["considered"]] == [
        (v["id"], False, "segment_not_met")
    ]
    status, problem = await api.call(
        "POST",
        "/v1/orders",
        json={"order_id": "o2", "buyer_id": "known", "lines": LINES, "code": "WELCOME1"},
    )
    assert status == 409 and problem["code"] == "segment_not_met"
    status, _ = await api.call("GET", "/v1/orders/o2")
    assert status == 404
    assert (await api.ok("GET", "/v1/buyers/known/claims"))["items"] == []
