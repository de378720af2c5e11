"""R-drop1 through the HTTP API: shapes, the session's `drops`, limits as 422 naming the
field, cancel, other shops, and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.conftest import Api, iso

TASK = {"type": "watch", "minutes": 3}


async def _session_and_voucher(api: Api) -> tuple[int, int]:
    session = await api.ok(
        "POST", "/v1/live/sessions", 201, json={"account_id": api.seller.account_id}
    )
    voucher = await api.voucher(kind="live")
    return session["id"], voucher["id"]


async def test_r_drop1_api_schedule_list_session_field_and_cancel(api: Api) -> None:
    sid, vid = await _session_and_voucher(api)
    drop = await api.ok(
        "POST",
        f"/v1/live/sessions/{sid}/drops",
        201,
        json={"voucher_id": vid, "task": TASK, "in_seconds": 300},
    )
    assert drop == {
        "id": drop["id"],
        "session_id": sid,
        "voucher_id": vid,
        "task": TASK,
        "mode": "first_come",
        "winners": None,
        "entry_minutes": None,
        "at": drop["at"],
        "status": "pending",
        "distribution_id": None,
        "reason": None,
    }
    at = await api.ok(
        "POST",
        f"/v1/live/sessions/{sid}/drops",
        201,
        json={"voucher_id": vid, "task": {"type": "none"}, "at": iso(timedelta(hours=2))},
    )
    session = await api.ok("GET", f"/v1/live/sessions/{sid}")
    assert [(d["id"], d["status"], d["task"]) for d in session["drops"]] == [
        (drop["id"], "pending", TASK),
        (at["id"], "pending", {"type": "none", "minutes": None}),
    ]
    assert set(session["drops"][0]) == {"id", "voucher_id", "task", "at", "status"}
    cancelled = await api.ok("POST", f"/v1/drops/{drop['id']}/cancel")
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "cancelled")
    listed = await api.ok("GET", f"/v1/live/sessions/{sid}/drops")
    assert [d["status"] for d in listed["items"]] == ["cancelled", "pending"]
    assert listed["next_cursor"] is None
    assert [d["id"] for d in (await api.ok("GET", f"/v1/live/sessions/{sid}"))["drops"]] == [
        at["id"]
    ]
    # Fired: cannot be cancelled any more.
    api.clock.advance(hours=2)
    assert await api.services.drops.fire(at["id"])
    status, problem = await api.call("POST", f"/v1/drops/{at['id']}/cancel")
    assert (status, problem["code"]) == (409, "drop_not_pending")
    fired = (await api.ok("GET", f"/v1/live/sessions/{sid}/drops"))["items"][1]
    assert fired["status"] == "fired" and isinstance(fired["distribution_id"], int)
    # Ending the session cancels what is still pending.
    late = await api.ok(
        "POST",
        f"/v1/live/sessions/{sid}/drops",
        201,
        json={"voucher_id": vid, "task": TASK, "in_seconds": 60},
    )
    await api.ok("POST", f"/v1/live/sessions/{sid}/end")
    ended = (await api.ok("GET", f"/v1/live/sessions/{sid}/drops"))["items"]
    assert [(d["id"], d["status"], d["reason"]) for d in ended][-1] == (
        late["id"],
        "cancelled",
        "session_ended",
    )


async def test_r_drop1_api_limits_are_422_naming_the_field_and_nothing_is_written(
    api: Api,
) -> None:
    sid, vid = await _session_and_voucher(api)
    path = f"/v1/live/sessions/{sid}/drops"
    base: dict[str, Any] = {"voucher_id": vid, "task": TASK}
    cases = [
        ({**base, "in_seconds": 59}, "in_seconds"),
        ({**base, "in_seconds": 21601}, "in_seconds"),
        ({**base, "in_seconds": "60"}, "in_seconds"),
        ({**base, "in_seconds": 60.5}, "in_seconds"),
        ({**base, "at": iso(timedelta(seconds=30))}, "at"),
        ({**base, "at": iso(timedelta(hours=6, minutes=1))}, "at"),
        ({**base, "at": "tomorrow"}, "at"),
        ({**base}, "at"),
        ({**base, "in_seconds": 60, "mode": "raffle"}, "mode"),
        ({**base, "in_seconds": 60, "winners": 2}, "winners"),
        ({"voucher_id": "x", "task": TASK, "in_seconds": 60}, "voucher_id"),
        ({"voucher_id": vid, "task": {"type": "watch"}, "in_seconds": 60}, "task.minutes"),
    ]
    for body, field in cases:
        status, problem = await api.call("POST", path, json=body)
        assert status in (400, 422), (body, status, problem)
        assert problem["errors"][0]["field"] == field, (body, problem)
    assert (await api.ok("GET", path))["items"] == []
    for i in range(20):
        await api.ok("POST", path, 201, json={**base, "in_seconds": 60 + i})
    status, problem = await api.call("POST", path, json={**base, "in_seconds": 90})
    assert status == 422 and problem["errors"][0]["field"] == "session_id", problem
    assert len((await api.ok("GET", path))["items"]) == 20


async def test_r_drop1_api_other_shops_and_unknown_ids_answer_404(
    api: Api, other_shop: tuple[int, str]
) -> None:
    sid, vid = await _session_and_voucher(api)
    drop = await api.ok(
        "POST",
        f"/v1/live/sessions/{sid}/drops",
        201,
        json={"voucher_id": vid, "task": TASK, "in_seconds": 120},
    )
    other = {"Authorization": f"Bearer {other_shop[1]}"}
    for method, path in (
        ("POST", f"/v1/drops/{drop['id']}/cancel"),
        ("GET", f"/v1/live/sessions/{sid}/drops"),
    ):
        response = await api.client.request(method, path, headers=other)
        assert response.status == 404
    status, _ = await api.call("POST", "/v1/drops/999999/cancel")
    assert status == 404
    document = await api.ok("GET", "/openapi.json")
    assert {"/v1/live/sessions/{session_id}/drops", "/v1/drops/{drop_id}/cancel"} <= set(
        document["paths"]
    )
