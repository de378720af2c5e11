"""GET /v1/analytics/summary, /vouchers and /trend on the hand-computed shop of
tests/analytics/conftest.py (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from tests.analytics.conftest import Shop, shop  # noqa: F401  (the fixture)
from tests.api.conftest import Api
from tests.conftest import NOW, draft

ROW_KEYS = {
    "voucher_id",
    "name",
    "kind",
    "status",
    "claims",
    "usage",
    "redemption_rate",
    "revenue",
    "orders",
    "buyers",
    "discount_cost",
    "roi",
}


def fresh(name: str, api: Api) -> VoucherDraft:
    """A voucher starting now (the shop fixture moved the clock on)."""
    now = api.clock.now()
    return draft(name=name, starts_at=now, ends_at=now + timedelta(days=1))


def url(path: str, **params: object) -> str:
    """Query strings encoded as a client must (`+` of an offset becomes %2B)."""
    return f"{path}?{urlencode(params)}" if params else path


async def test_summary_all_time_and_over_a_period(api: Api, shop: Shop) -> None:  # noqa: F811
    body = await api.ok("GET", "/v1/analytics/summary")
    assert body["start"] is None and body["end"] is None and body["currency"] == "USD"
    total = body["total"]
    assert (total["claims"], total["usage"], total["revenue"], total["buyers"]) == (5, 3, 8800, 2)
    assert total["discount_cost"] == 1200 and total["roi"] == pytest.approx(8800 / 1200)
    assert body["regular"]["claims"] == 3 and body["live"]["revenue"] == 6300
    assert body["live"]["redemption_rate"] == 1.0

    start = (NOW + timedelta(hours=1)).astimezone().isoformat()
    body = await api.ok("GET", url("/v1/analytics/summary", **{"from": start}))
    assert body["total"]["claims"] == 3  # 13:07, 13:30 and 13:31
    assert body["total"]["revenue"] == 8800
    end = (NOW + timedelta(hours=2)).isoformat()
    body = await api.ok("GET", url("/v1/analytics/summary", **{"from": start, "to": end}))
    assert body["total"]["claims"] == 3 and body["total"]["orders"] == 0  # orders at 15:00
    assert body["end"].startswith("2026-06-01T14:00:00")


async def test_promotion_list_sorted_and_paged(api: Api, shop: Shop) -> None:  # noqa: F811
    body = await api.ok("GET", url("/v1/analytics/vouchers", sort="roi"))
    assert body["next_cursor"] is None
    assert [r["voucher_id"] for r in body["items"]] == [shop.live_id, shop.regular_id]
    assert all(set(r) == ROW_KEYS for r in body["items"])
    live = body["items"][0]
    assert (live["name"], live["kind"], live["status"], live["roi"]) == (
        "L",
        "live",
        "ongoing",
        9.0,
    )

    await api.services.vouchers.create(api.seller, fresh("Quiet", api))
    first = await api.ok("GET", url("/v1/analytics/vouchers", limit=2))
    assert [r["voucher_id"] for r in first["items"]] == [shop.live_id, shop.regular_id]
    assert first["next_cursor"]
    rest = await api.ok("GET", url("/v1/analytics/vouchers", limit=2, cursor=first["next_cursor"]))
    assert [r["name"] for r in rest["items"]] == ["Quiet"] and rest["next_cursor"] is None
    assert rest["items"][0]["redemption_rate"] is None and rest["items"][0]["roi"] is None


async def test_trends(api: Api, shop: Shop) -> None:  # noqa: F811
    day = await api.ok("GET", url("/v1/analytics/trend", voucher_id=shop.regular_id))
    assert day["bucket"] == "day" and day["timezone"] == "UTC"
    assert [(p["claims"], p["usage"], p["revenue"]) for p in day["points"]] == [(3, 1, 2500)]
    assert day["points"][0]["start"].startswith("2026-06-01T00:00:00")
    hour = await api.ok("GET", url("/v1/analytics/trend", session_id=shop.session_id))
    assert hour["bucket"] == "hour" and hour["session_id"] == shop.session_id
    assert [p["claims"] for p in hour["points"]] == [2, 0, 0]
    assert hour["totals"] == {"claims": 2, "usage": 2, "revenue": 6300}
    shop_wide = await api.ok(
        "GET",
        url(
            "/v1/analytics/trend",
            bucket="hour",
            **{"from": NOW.isoformat(), "to": (NOW + timedelta(hours=4)).isoformat()},
        ),
    )
    assert [p["claims"] for p in shop_wide["points"]] == [2, 3, 0, 0]
    assert shop_wide["totals"] == {"claims": 5, "usage": 3, "revenue": 8800}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("summary", {"from": "yesterday"}, "from"),
        ("summary", {"from": "2026-06-01T12:00:00"}, "from"),  # no offset
        ("summary", {"from": NOW.isoformat(), "to": NOW.isoformat()}, "to"),
        ("segments", {"from": "yesterday"}, "from"),
        ("segments", {"from": NOW.isoformat(), "to": NOW.isoformat()}, "to"),
        ("segments", {"by": "segment"}, "by"),  # an unknown parameter (R-api5)
        ("vouchers", {"sort": "name"}, "sort"),
        ("vouchers", {"cursor": "nonsense"}, "cursor"),
        ("trend", {"bucket": "week"}, "bucket"),
        ("trend", {"voucher_id": "0"}, "voucher_id"),
        ("trend", {"session_id": "x"}, "session_id"),
        (
            "trend",
            {"bucket": "hour", "from": "1970-01-01T00:00:00Z", "to": "9998-01-01T00:00:00Z"},
            "from",
        ),
    ],
)
async def test_bad_parameters_name_the_field(
    api: Api, path: str, params: dict[str, str], field: str
) -> None:
    status, body = await api.call("GET", url(f"/v1/analytics/{path}", **params))
    assert status == 422, body
    assert body["code"] == "validation_failed"
    assert [e["field"] for e in body["errors"]] == [field]


async def test_another_shops_ids_answer_404(
    api: Api,
    shop: Shop,  # noqa: F811
) -> None:
    other, _ = await api.services.shops.create("Other", owner_telegram_user_id=4004)
    other_key = (await api.services.api_keys.create_for_shop(other.id)).secret
    theirs = await api.services.vouchers.create(Actor.platform(other.id), fresh("Theirs", api))
    status, body = await api.call("GET", url("/v1/analytics/trend", voucher_id=theirs.id))
    assert status == 404 and body["code"] == "voucher_not_found"
    status, body = await api.call("GET", url("/v1/analytics/trend", session_id=999))
    assert status == 404 and body["code"] == "session_not_found"
    foreign = {"Authorization": f"Bearer {other_key}"}
    response = await api.client.get(
        url("/v1/analytics/trend", voucher_id=shop.regular_id), headers=foreign
    )
    assert response.status == 404
    response = await api.client.get("/v1/analytics/vouchers", headers=foreign)
    assert [r["name"] for r in (await response.json())["items"]] == ["Theirs"]


@pytest.mark.parametrize("path", ["summary", "segments", "vouchers", "trend"])
async def test_analytics_need_an_api_key(api: Api, path: str) -> None:
    response = await api.client.get(f"/v1/analytics/{path}")
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    response = await api.client.get(
        f"/v1/analytics/{path}", headers={"Authorization": "Bearer vb_wrong"}
    )
    assert response.status == 401
