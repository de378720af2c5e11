"""Live sessions, distributions, claims with every R-c1 refusal, idempotency, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from tests.api.conftest import Api, iso


async def _live_setup(api: Api, task: dict[str, Any], **voucher: Any) -> tuple[dict, dict, dict]:
    v = await api.voucher(kind="live", **voucher)
    session = await api.ok(
        "POST", "/v1/live/sessions", 201, json={"account_id": api.seller.account_id}
    )
    d = await api.ok(
        "POST",
        f"/v1/live/sessions/{session['id']}/distributions",
        201,
        json={"voucher_id": v["id"], "task": task},
    )
    return v, session, d


async def _claim(api: Api, voucher_id: int, buyer: str, **extra: Any) -> tuple[int, Any]:
    headers = extra.pop("headers", None)
    return await api.call(
        "POST",
        f"/v1/vouchers/{voucher_id}/claims",
        json={"buyer_id": buyer, **extra},
        headers=headers,
    )


async def test_session_lifecycle(api: Api) -> None:
    v, session, d = await _live_setup(api, {"type": "watch", "minutes": 5})
    assert d["task"] == {"type": "watch", "minutes": 5} and d["voucher_id"] == v["id"]
    assert d["account_id"] == api.seller.account_id
    status, problem = await api.call(
        "POST", "/v1/live/sessions", json={"account_id": api.seller.account_id}
    )
    assert status == 409 and problem["code"] == "session_active"
    read = await api.ok("GET", f"/v1/live/sessions/{session['id']}")
    assert [x["id"] for x in read["distributions"]] == [d["id"]]
    active = await api.ok("GET", "/v1/live/sessions?active=true")
    assert [s["id"] for s in active["items"]] == [session["id"]]
    again = await api.call(
        "POST",
        f"/v1/live/sessions/{session['id']}/distributions",
        json={"voucher_id": v["id"], "task": {"type": "none"}},
    )
    assert again[0] == 409 and again[1]["code"] == "distribution_active"
    stopped = await api.ok("POST", f"/v1/distributions/{d['id']}/stop")
    assert stopped["stopped_at"] is not None
    ended = await api.ok("POST", f"/v1/live/sessions/{session['id']}/end")
    assert ended["ended_at"] is not None and ended["claims"] == 0
    assert (await api.ok("GET", "/v1/live/sessions?active=true"))["items"] == []
    status, problem = await api.call(
        "POST",
        "/v1/live/sessions/999/distributions",
        json={"voucher_id": v["id"], "task": {"type": "none"}},
    )
    assert status == 404
    status, problem = await api.call(
        "POST",
        f"/v1/live/sessions/{session['id']}/distributions",
        json={"voucher_id": v["id"], "task": {"type": "watch", "minutes": 0}},
    )
    assert status == 422 and problem["errors"][0]["field"] == "task.minutes"


async def test_watch_task_refusal_then_claim(api: Api) -> None:
    v, session, d = await _live_setup(api, {"type": "watch", "minutes": 5})
    await api.ok(
        "POST",
        f"/v1/live/sessions/{session['id']}/watch",
        json={"buyer_id": "viewer-1", "watched_seconds": 120},
    )
    status, problem = await _claim(api, v["id"], "viewer-1")
    assert status == 409 and problem["code"] == "task_not_met"
    assert problem["missing_seconds"] == 180
    w = await api.ok(
        "POST",
        f"/v1/live/sessions/{session['id']}/watch",
        json={"buyer_id": "viewer-1", "watched_seconds": 300},
    )
    assert w["watched_seconds"] == 300
    claim = await api.ok(
        "POST", f"/v1/vouchers/{v['id']}/claims", 201, json={"buyer_id": "viewer-1"}
    )
    assert claim["session_id"] == session["id"] and claim["distribution_id"] == d["id"]
    assert claim["account_id"] == api.seller.account_id and claim["status"] == "claimed"
    status, problem = await _claim(api, v["id"], "viewer-1")
    assert status == 409 and problem["code"] == "limit_reached"
    status, problem = await _claim(api, v["id"], "viewer-2", session_id=session["id"] + 1)
    assert status == 409 and problem["code"] == "no_active_distribution"


async def test_follow_task(api: Api) -> None:
    v, _, _ = await _live_setup(api, {"type": "follow"})
    status, problem = await _claim(api, v["id"], "fan")
    assert status == 409 and problem["code"] == "task_not_met" and problem["needs_new_follow"]
    f = await api.ok(
        "POST",
        "/v1/follows",
        json={"buyer_id": "fan", "host_handle": "acme_official", "action": "follow"},
    )
    assert f == {
        "buyer_id": "fan",
        "host_handle": "acme_official",
        "following": True,
        "counted": True,
    }
    assert (await _claim(api, v["id"], "fan"))[0] == 201
    status, problem = await api.call(
        "POST",
        "/v1/follows",
        json={"buyer_id": "fan", "host_handle": "acme_official", "action": "like"},
    )
    assert status == 422 and problem["errors"][0]["field"] == "action"


async def test_not_claimable_sold_out_and_not_found(api: Api) -> None:
    upcoming = await api.voucher(starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=2)))
    status, problem = await _claim(api, upcoming["id"], "b1")
    assert status == 409 and problem["code"] == "not_claimable"
    assert problem["voucher_status"] == "upcoming"
    live = await api.voucher(kind="live")
    status, problem = await _claim(api, live["id"], "b1")
    assert status == 409 and problem["code"] == "no_active_distribution"
    one = await api.voucher(total_quantity=1)
    assert (await _claim(api, one["id"], "b1"))[0] == 201
    status, problem = await _claim(api, one["id"], "b2")
    assert status == 409 and problem["code"] == "sold_out"
    status, problem = await _claim(api, 424242, "b1")
    assert status == 404 and problem["code"] == "voucher_not_found"
    status, problem = await _claim(api, one["id"], "bad buyer!")
    assert status == 422 and problem["errors"][0]["field"] == "buyer_id"


async def test_idempotent_claims(api: Api) -> None:
    v = await api.voucher(per_customer_limit=3)
    key = {"Idempotency-Key": "claim-abc"}
    s1, first = await _claim(api, v["id"], "b1", headers=key)
    s2, again = await _claim(api, v["id"], "b1", headers=key)
    assert s1 == s2 == 201 and first == again
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["claimed"] == 1
    status, problem = await _claim(api, v["id"], "b2", headers=key)
    assert status == 409 and problem["code"] == "idempotency_key_reused"
    status, problem = await _claim(api, v["id"], "b1", headers={"Idempotency-Key": "x" * 300})
    assert status == 422 and problem["errors"][0]["field"] == "Idempotency-Key"
    wallet = await api.ok("GET", "/v1/buyers/b1/claims")
    assert [c["id"] for c in wallet["items"]] == [first["id"]]
    assert (await api.ok("GET", "/v1/buyers/b1/claims?status=redeemed"))["items"] == []


async def test_many_clients_claiming_one_voucher_get_the_exact_quota(api: Api) -> None:
    v = await api.voucher(total_quantity=10)
    buyers = [f"buyer-{i % 15}" for i in range(40)]  # 15 distinct buyers, many repeats
    results = await asyncio.gather(*(_claim(api, v["id"], b) for b in buyers))
    statuses = [s for s, _ in results]
    assert statuses.count(201) == 10
    assert all(s == 409 for s in statuses if s != 201)
    codes = {p["code"] for s, p in results if s == 409}
    assert codes <= {"sold_out", "limit_reached"}
    winners = [p["buyer_id"] for s, p in results if s == 201]
    assert len(set(winners)) == 10
    read = await api.ok("GET", f"/v1/vouchers/{v['id']}")
    assert read["claimed"] == 10 and read["remaining"] == 0


async def test_same_idempotency_key_raced_claims_once(api: Api) -> None:
    v = await api.voucher(per_customer_limit=5)
    key = {"Idempotency-Key": "race-1"}
    results = await asyncio.gather(*(_claim(api, v["id"], "b1", headers=key) for _ in range(8)))
    assert {s for s, _ in results} == {201}
    assert len({p["id"] for _, p in results}) == 1
    assert (await api.ok("GET", f"/v1/vouchers/{v['id']}"))["claimed"] == 1
