"""R-api7: what `/openapi.json` serves holds today (examples relative to now), and answers
say what the docs say (UTC instants)."""

from __future__ import annotations

from datetime import timedelta

from core.rules.checkout import LimitReason
from core.rules.claim_outcomes import RefusalCode
from core.rules.targeting import MAX_WINDOW_DAYS, Segment
from tests.api.conftest import Api


async def test_r_api7_served_examples_are_valid_now(api: Api) -> None:
    document = await api.ok("GET", "/openapi.json")
    path = document["paths"]["/v1/vouchers"]["post"]
    example = path["requestBody"]["content"]["application/json"]["example"]
    await api.ok("PUT", "/v1/products/LIP-01", json={"name": "Lipstick", "price": 2500})
    created = await api.ok("POST", "/v1/vouchers", 201, json=example)
    assert created["status"] == "upcoming"
    # An hour later the served examples moved with the clock.
    api.clock.set(api.clock.now() + timedelta(days=3))
    later = await api.ok("GET", "/openapi.json")
    moved = later["paths"]["/v1/vouchers"]["post"]["requestBody"]["content"]["application/json"]
    assert moved["example"]["starts_at"] > example["starts_at"]
    await api.ok("POST", "/v1/vouchers", 201, json=moved["example"])


async def test_r_api7_every_operation_declares_405_500_and_rate_limits(api: Api) -> None:
    document = await api.ok("GET", "/openapi.json")
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert {"405", "500"} <= set(operation["responses"]), (method, path)
            if operation["security"]:
                assert {"429", "503"} <= set(operation["responses"]), (method, path)
    watch = document["paths"]["/v1/live/sessions/{session_id}/watch"]["post"]
    schema = document["components"]["schemas"]["WatchIn"]["properties"]["watched_seconds"]
    assert (schema["minimum"], schema["maximum"]) == (0, 604800)
    assert "requestBody" in watch
    handle = document["components"]["schemas"]["FollowIn"]["properties"]["host_handle"]
    assert handle["pattern"] == "^@?[A-Za-z0-9_.:-]{1,64}$"
    lines = document["components"]["schemas"]["QuoteIn"]["properties"]["lines"]
    assert (lines["minItems"], lines["maxItems"]) == (1, 500)
    price = document["components"]["schemas"]["ProductIn"]["properties"]["price"]
    assert price["minimum"] == 0


async def test_r_api7_trend_answers_utc_instants(api: Api) -> None:
    shop, _ = await api.services.shops.create(
        "Jakarta", owner_telegram_user_id=3003, timezone="Asia/Jakarta"
    )
    key = await api.services.api_keys.create_for_shop(shop.id)
    response = await api.client.get(
        "/v1/analytics/trend?bucket=day", headers={"Authorization": f"Bearer {key.secret}"}
    )
    trend = await response.json()
    assert response.status == 200 and trend["timezone"] == "Asia/Jakarta"
    # Jakarta's local midnight is 17:00 UTC the day before.
    assert trend["points"][0]["start"].endswith("T17:00:00Z")
    assert trend["start"].endswith("Z") and trend["end"].endswith("Z")


async def test_r_api7_segment_routes_and_reasons_are_declared(api: Api) -> None:
    """R-seg's routes as served: the windows' bounds (no `null`: a window left out keeps its
    value), the split by segment, and every `reason` a quote may give (R-redeem, R-budget,
    R-c1's codes for a promo code's voucher)."""
    document = await api.ok("GET", "/openapi.json")
    windows = document["paths"]["/v1/shop/segment-windows"]
    assert set(windows) == {"get", "patch"}
    patch = document["components"]["schemas"]["SegmentWindowsPatch"]
    assert patch["additionalProperties"] is False and "required" not in patch
    for name in ("repeat_days", "lapsed_active_days", "lapsed_quiet_days", "follower_days"):
        prop = patch["properties"][name]
        assert (prop["type"], prop["minimum"], prop["maximum"]) == ("integer", 1, MAX_WINDOW_DAYS)
        assert "default" not in prop and "anyOf" not in prop
    example = windows["patch"]["requestBody"]["content"]["application/json"]["example"]
    assert await api.ok("PATCH", "/v1/shop/segment-windows", json=example)
    split = document["paths"]["/v1/analytics/segments"]["get"]
    assert {p["name"] for p in split["parameters"] if p["in"] == "query"} == {"from", "to"}
    segments = document["components"]["schemas"]["SegmentFiguresOut"]["properties"]
    assert set(segments) == {s.value for s in Segment}
    reason = document["components"]["schemas"]["ConsideredOut"]["properties"]["reason"]
    declared = {v for option in reason["anyOf"] for v in option.get("enum", [])}
    quoted = {
        RefusalCode.VOUCHER_NOT_FOUND,
        RefusalCode.NOT_CLAIMABLE,
        RefusalCode.SEGMENT_NOT_MET,
        RefusalCode.LIMIT_REACHED,
        RefusalCode.SOLD_OUT,
        RefusalCode.BUDGET_SPENT,
    }
    assert {r.value for r in LimitReason} | {c.value for c in quoted} <= declared
