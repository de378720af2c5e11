"""R-ev3 live streams (SSE): snapshot first, events as they commit with `id:` = seq, progress
at most once a second, heartbeats, Last-Event-ID resume with no gap and no repeat, events
written through another process."""

from __future__ import annotations

import time

import pytest

from bot.http import routes_streams
from core.services import Services
from storage.db import Database
from tests.draws.helpers import live_voucher
from tests.events.sse import next_event, next_message


async def _open(api, path: str, **headers: str):  # type: ignore[no-untyped-def]
    response = await api.client.get(path, headers={**api.auth, **headers})
    assert response.status == 200, await response.text()
    return response


async def test_r_ev3_snapshot_first_then_each_event_as_it_commits(api) -> None:  # type: ignore[no-untyped-def]
    services, seller = api.services, api.seller
    v = await live_voucher(services, seller, total_quantity=10)
    s = await services.live.start_session(seller)
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream")
    try:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["X-Accel-Buffering"] == "no"
        snap = await next_event(response)
        assert snap.event == "snapshot" and snap.id is None
        assert snap.data["session"]["id"] == s.id and snap.data["distributions"] == []
        assert snap.data["shop"]["currency"]
        d = await services.live.issue(seller, s.id, v.id, "none")
        started = await next_event(response)
        assert started.event == "distribution.started"
        assert started.id == str(started.data["seq"])
        assert started.data["data"]["distribution_id"] == d.id
        await services.live.stop(seller, d.id)
        stopped = await next_event(response)
        assert stopped.event == "distribution.stopped"
        assert int(stopped.id) > int(started.id)  # type: ignore[arg-type]
    finally:
        response.close()


async def test_r_ev3_snapshot_holds_remaining_quota_and_a_draws_entries(api) -> None:  # type: ignore[no-untyped-def]
    services, seller = api.services, api.seller
    v = await live_voucher(services, seller, total_quantity=10)
    s = await services.live.start_session(seller)
    d = await services.live.issue(
        seller, s.id, v.id, "none", mode="draw", winners=2, entry_minutes=5
    )
    await services.draws.enter(seller.shop_id, d.id, "viewer-1")
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream")
    try:
        snap = await next_event(response)
        (card,) = snap.data["distributions"]
        assert card["voucher"]["remaining"] == 10 and card["mode"] == "draw"
        assert card["draw"]["entries"] == 1 and len(card["draw"]["commitment"]) == 64
    finally:
        response.close()


async def test_r_ev3_last_event_id_resumes_with_no_gap_and_no_repeat(api) -> None:  # type: ignore[no-untyped-def]
    services, seller = api.services, api.seller
    s = await services.live.start_session(seller)
    vouchers = [await live_voucher(services, seller, name=f"V{i}") for i in range(3)]
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream")
    await next_event(response)  # snapshot
    d0 = await services.live.issue(seller, s.id, vouchers[0].id, "none")
    first = await next_event(response)
    response.close()  # the viewer drops; meanwhile more happens
    await services.live.stop(seller, d0.id)
    await services.live.issue(seller, s.id, vouchers[1].id, "none")
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream", **{"Last-Event-ID": first.id})  # type: ignore[arg-type]
    try:
        assert (await next_event(response)).event == "snapshot"
        missed = [await next_event(response), await next_event(response)]
        assert [m.event for m in missed] == ["distribution.stopped", "distribution.started"]
        await services.live.issue(seller, s.id, vouchers[2].id, "none")
        live = await next_event(response)
        ids = [int(first.id)] + [int(m.id) for m in (*missed, live)]  # type: ignore[arg-type]
        assert ids == sorted(set(ids))  # no repeat, in order
        async with services.db.read() as session:
            from storage.events import list_after

            logged = [
                e.seq for e in await list_after(session, seller.shop_id, 0, live_session_id=s.id)
            ]
        assert [i for i in logged if i >= ids[0]] == ids  # no gap
    finally:
        response.close()


async def test_r_ev3_progress_at_most_once_a_second_and_heartbeats(
    api,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(routes_streams, "HEARTBEAT", 0.3)
    services, seller = api.services, api.seller
    v = await live_voucher(services, seller, total_quantity=100)
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "none")
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream")
    try:
        await next_event(response)  # snapshot
        m = await next_message(response, within=2)
        assert m.comment  # a heartbeat on a quiet stream
        progress = []
        started = time.monotonic()
        n = 0
        while len(progress) < 2:
            n += 1
            await services.claims.claim(seller.shop_id, v.id, f"b{n}", session_id=s.id)
            m = await next_message(response, within=3)
            if m.event == "distribution.progress":
                assert m.id is None  # not in the log
                progress.append((time.monotonic(), m.data["data"]))
        assert progress[1][0] - progress[0][0] >= 0.9
        assert progress[1][1]["claimed"] > progress[0][1]["claimed"]
        assert progress[1][1]["remaining"] == 100 - progress[1][1]["claimed"]
        assert time.monotonic() - started < 10
    finally:
        response.close()


async def test_r_ev3_events_written_by_another_process_reach_the_stream(
    api,
    db_url: str,  # type: ignore[no-untyped-def]
) -> None:
    services, seller = api.services, api.seller
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    response = await _open(api, f"/v1/live/sessions/{s.id}/stream")
    other_db = Database(db_url)  # another process's engine and services over the same data
    other = Services.build(other_db, services.clock)
    try:
        await next_event(response)
        await other.live.issue(seller, s.id, v.id, "none")
        started = await next_event(response, within=3)
        assert started.event == "distribution.started"
    finally:
        response.close()
        await other_db.dispose()


async def test_r_ev3_an_unknown_session_or_token_is_404(api) -> None:  # type: ignore[no-untyped-def]
    status, problem = await api.call("GET", "/v1/live/sessions/999/stream")
    assert status == 404 and problem["code"] == "session_not_found"
    response = await api.client.get("/public/live/nope/stream")
    assert response.status == 404


async def test_r_ev3_the_overlay_stream_follows_the_accounts_session(api) -> None:  # type: ignore[no-untyped-def]
    services, seller = api.services, api.seller
    token = await services.streams.overlay_token(seller)
    assert await services.streams.overlay_token(seller) == token  # the same until revoked
    response = await api.client.get(f"/public/live/{token}/stream")
    try:
        snap = await next_event(response)
        assert snap.event == "snapshot" and snap.data["session"] is None
        s = await services.live.start_session(seller)
        assert (await next_event(response)).event == "live_session.started"
        again = await next_event(response)
        assert again.event == "snapshot" and again.data["session"]["id"] == s.id
        v = await live_voucher(services, seller)
        await services.live.issue(seller, s.id, v.id, "none")
        assert (await next_event(response)).event == "distribution.started"
    finally:
        response.close()
    assert await services.streams.revoke_overlay(seller)
    assert (await api.client.get(f"/public/live/{token}/stream")).status == 404
