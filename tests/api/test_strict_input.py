"""R-money-in for the platform: JSON integers for money, RFC 3339 text for instants — in bodies
and in query strings alike; product search reads `%`, `_` and `\\` as text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, voucher_body
from tests.conftest import NOW


def fields(body: dict[str, Any]) -> list[str]:
    return [e["field"] for e in body.get("errors", [])]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=0.5", "to"),
        ("from=1700000000", "from"),
        ("to=1700000000.5", "to"),
        ("from=2026-06-01", "from"),  # a date alone has no offset
        ("to=2026-06-01T10:00:00", "to"),  # no offset
        ("from=yesterday", "from"),
    ],
)
async def test_r_money_in_query_instants_must_be_rfc3339(api: Api, query: str, field: str) -> None:
    status, body = await api.call("GET", f"/v1/analytics/summary?{query}")
    assert status == 422, body
    assert body["code"] == "validation_failed"
    assert fields(body) == [field]


async def test_r_money_in_query_instants_with_offset_accepted(api: Api) -> None:
    start = NOW.isoformat().replace("+00:00", "Z")
    end = "2030-01-01T07:00:00%2B07:00"
    body = await api.ok("GET", f"/v1/analytics/summary?from={start}&to={end}")
    assert body["start"].startswith(NOW.strftime("%Y-%m-%dT%H:%M:%S"))


@pytest.mark.parametrize("value", ["500", 5.0, 5.5, True, None, [500]])
async def test_r_money_in_body_money_must_be_a_json_integer(api: Api, value: Any) -> None:
    status, body = await api.call(
        "POST", "/v1/vouchers", json=voucher_body(discount={"type": "amount", "amount": value})
    )
    assert status == 422, body
    assert "discount.amount" in fields(body)
    status, body = await api.call(
        "PUT", "/v1/products/P-1", json={"name": "Tea", "category": "", "price": value}
    )
    assert status == 422, body
    assert fields(body) == ["price"]
    status, body = await api.call("GET", "/v1/vouchers")
    assert body["items"] == []  # nothing written


@pytest.mark.parametrize("value", [1700000000, "1700000000", "2026-06-01", 0.5])
async def test_r_money_in_body_instants_must_be_rfc3339(api: Api, value: Any) -> None:
    status, body = await api.call("POST", "/v1/vouchers", json=voucher_body(starts_at=value))
    assert status == 422, body
    assert fields(body) == ["starts_at"]


async def test_r_money_in_product_search_wildcards_are_text(api: Api) -> None:
    for pid, name in [("P-1", "100% cotton"), ("P-2", "snake_case mug"), ("P-3", "back\\slash")]:
        await api.ok("PUT", f"/v1/products/{pid}", json={"name": name, "price": 1000})
    await api.ok("PUT", "/v1/products/P-4", json={"name": "plain tea", "price": 1000})

    async def found(q: str) -> list[str]:
        from urllib.parse import quote

        body = await api.ok("GET", f"/v1/products?q={quote(q)}")
        return [p["product_id"] for p in body["items"]]

    assert await found("%") == ["P-1"]
    assert await found("_") == ["P-2"]
    assert await found("\\") == ["P-3"]
    assert await found("e_c") == ["P-2"]
    assert await found("tea") == ["P-4"]
