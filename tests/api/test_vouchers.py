"""Vouchers through HTTP: create, dry run, read, list, edit, deactivate, and bad input."""

from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import Api, iso, voucher_body


async def test_create_returns_the_voucher_with_estimated_spend(api: Api) -> None:
    v = await api.voucher()
    assert v["id"] > 0
    assert v["discount"] == {"type": "amount", "amount": 500}
    assert v["scope"] == {"type": "shop"}
    assert v["status"] == "ongoing"
    assert v["remaining"] == 100 and v["claimed"] == 0
    assert v["estimated_spend"] == 500 * 100
    assert v["redeem_until"] == v["ends_at"]
    assert v["warnings"] == []
    assert v["starts_at"].endswith(("Z", "+00:00"))


async def test_percent_voucher_with_low_max_discount_is_created_with_a_warning(api: Api) -> None:
    await api.ok("PUT", "/v1/products/A", json={"name": "A", "category": "x", "price": 10000})
    v = await api.voucher(
        discount={"type": "percent", "percent": 20, "max_discount": 100},
        min_spend=0,
        scope={"type": "products", "product_ids": ["A"]},
    )
    assert v["discount"] == {"type": "percent", "percent": 20, "max_discount": 100}
    assert v["scope"] == {"type": "products", "product_ids": ["A"]}
    (warning,) = v["warnings"]
    assert warning["code"] == "low_max_discount"
    assert warning["data"] == {"basket": 10000, "nominal": 2000, "capped": 100, "final_price": 9900}
    assert v["estimated_spend"] == 100 * 100


async def test_dry_run_saves_nothing(api: Api) -> None:
    v = await api.ok("POST", "/v1/vouchers?dry_run=true", 200, json=voucher_body())
    assert v["id"] is None and v["estimated_spend"] == 50000
    page = await api.ok("GET", "/v1/vouchers")
    assert page == {"items": [], "next_cursor": None}


async def test_get_and_list_with_cursor(api: Api) -> None:
    ids = [(await api.voucher(name=f"V{i}"))["id"] for i in range(3)]
    assert (await api.ok("GET", f"/v1/vouchers/{ids[1]}"))["name"] == "V1"
    first = await api.ok("GET", "/v1/vouchers?limit=2")
    assert [v["id"] for v in first["items"]] == ids[:2]
    second = await api.ok("GET", f"/v1/vouchers?limit=2&cursor={first['next_cursor']}")
    assert [v["id"] for v in second["items"]] == ids[2:]
    assert second["next_cursor"] is None
    upcoming = await api.ok("GET", "/v1/vouchers?status=upcoming")
    assert upcoming["items"] == []


async def test_patch_upcoming_changes_only_named_fields(api: Api) -> None:
    v = await api.voucher(starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=2)))
    patched = await api.ok(
        "PATCH",
        f"/v1/vouchers/{v['id']}",
        json={"discount": {"type": "percent", "percent": 10, "max_discount": 300}, "min_spend": 0},
    )
    assert patched["discount"] == {"type": "percent", "percent": 10, "max_discount": 300}
    assert patched["name"] == v["name"] and patched["total_quantity"] == 100


async def test_patch_ongoing_only_raises_quantity(api: Api) -> None:
    v = await api.voucher()
    up = await api.ok("PATCH", f"/v1/vouchers/{v['id']}", json={"total_quantity": 150})
    assert up["total_quantity"] == 150 and up["remaining"] == 150
    status, problem = await api.call(
        "PATCH", f"/v1/vouchers/{v['id']}", json={"total_quantity": 120}
    )
    assert status == 409 and problem["code"] == "edit_not_allowed"
    status, problem = await api.call("PATCH", f"/v1/vouchers/{v['id']}", json={"name": "New"})
    assert status == 409 and problem["code"] == "edit_not_allowed"
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["name"] == v["name"]


async def test_deactivate_is_idempotent_and_ended_refuses(api: Api) -> None:
    v = await api.voucher()
    first = await api.ok("POST", f"/v1/vouchers/{v['id']}/deactivate")
    again = await api.ok("POST", f"/v1/vouchers/{v['id']}/deactivate")
    assert first["status"] == again["status"] == "deactivated"
    assert first["deactivated_at"] == again["deactivated_at"]
    other = await api.voucher()
    api.clock.advance(days=8)
    status, problem = await api.call("POST", f"/v1/vouchers/{other['id']}/deactivate")
    assert status == 409 and problem["code"] == "edit_not_allowed"


async def test_core_validation_names_the_field(api: Api) -> None:
    cases = {
        "discount.percent": voucher_body(
            discount={"type": "percent", "percent": 150, "max_discount": 100}, min_spend=0
        ),
        "discount.max_discount": voucher_body(
            discount={"type": "percent", "percent": 10}, min_spend=0
        ),
        "discount.amount": voucher_body(discount={"type": "amount", "amount": 5000}),
        "scope.product_ids": voucher_body(scope={"type": "products", "product_ids": ["nope"]}),
        "total_quantity": voucher_body(total_quantity=0),
        "per_customer_limit": voucher_body(per_customer_limit=101),
        "starts_at": voucher_body(starts_at=iso(timedelta(hours=-1))),
        "ends_at": voucher_body(ends_at=iso(timedelta(days=200))),
    }
    for field, body in cases.items():
        status, problem = await api.call("POST", "/v1/vouchers", json=body)
        assert status == 422, (field, problem)
        assert problem["code"] == "validation_failed"
        assert field in [e["field"] for e in problem["errors"]], (field, problem)
    assert (await api.ok("GET", "/v1/vouchers"))["items"] == []


async def test_missing_and_unknown_voucher(api: Api) -> None:
    status, problem = await api.call("GET", "/v1/vouchers/999")
    assert status == 404 and problem["code"] == "voucher_not_found"
    status, problem = await api.call("GET", "/v1/vouchers/abc")
    assert status == 422 and problem["errors"][0]["field"] == "voucher_id"
    status, problem = await api.call("GET", "/v1/vouchers?status=bogus")
    assert status == 422 and problem["errors"][0]["field"] == "status"
    status, problem = await api.call("GET", "/v1/vouchers?cursor=bogus")
    assert status == 422 and problem["errors"][0]["field"] == "cursor"
