"""Lucky draws through the HTTP API (R-draw1–R-draw3), and the verifier on its output."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.verify_draw import main as verify_main
from bot.verify_draw import verify
from tests.api.conftest import Api


async def _draw(api: Api, winners: int = 2, minutes: int = 1, **voucher: Any) -> tuple[dict, dict]:
    v = await api.voucher(kind="live", **voucher)
    session = await api.ok(
        "POST", "/v1/live/sessions", 201, json={"account_id": api.seller.account_id}
    )
    d = await api.ok(
        "POST",
        f"/v1/live/sessions/{session['id']}/distributions",
        201,
        json={
            "voucher_id": v["id"],
            "task": {"type": "none"},
            "mode": "draw",
            "winners": winners,
            "entry_minutes": minutes,
        },
    )
    return v, d


async def _enter(api: Api, d: dict, buyer: str) -> tuple[int, Any]:
    return await api.call(
        "POST", f"/v1/distributions/{d['id']}/entries", json={"buyer_id": buyer}
    )


async def test_r_draw1_api_issue_shapes_and_bad_input(api: Api) -> None:
    _v, d = await _draw(api, winners=2, minutes=3)
    assert (d["mode"], d["winners"]) == ("draw", 2)
    assert d["closes_at"].startswith("2026-06-01T12:03")
    session = await api.ok("GET", f"/v1/live/sessions/{d['session_id']}")
    [shown] = session["distributions"]
    assert (shown["mode"], shown["winners"], shown["closes_at"]) == ("draw", 2, d["closes_at"])
    v2 = await api.voucher(kind="live", name="Other")
    for body, field in [
        ({"mode": "draw", "winners": 2}, "entry_minutes"),
        ({"mode": "draw", "winners": "2", "entry_minutes": 1}, "winners"),
        ({"mode": "draw", "winners": 101, "entry_minutes": 1}, "winners"),  # quantity is 100
        ({"mode": "raffle", "winners": 1, "entry_minutes": 1}, "mode"),
    ]:
        status, problem = await api.call(
            "POST",
            f"/v1/live/sessions/{d['session_id']}/distributions",
            json={"voucher_id": v2["id"], "task": {"type": "none"}, **body},
        )
        assert status == 422 and problem["errors"][0]["field"] == field, (body, problem)
    first_come = await api.ok(
        "POST",
        f"/v1/live/sessions/{d['session_id']}/distributions",
        201,
        json={"voucher_id": v2["id"], "task": {"type": "none"}},
    )
    assert (first_come["mode"], first_come["winners"], first_come["closes_at"]) == (
        "first_come",
        None,
        None,
    )


async def test_r_draw1_api_entries(api: Api) -> None:
    v, d = await _draw(api)
    status, entry = await _enter(api, d, "viewer-1")
    assert status == 201 and entry["buyer_id"] == "viewer-1"
    api.clock.advance(timedelta(seconds=10))
    status, again = await _enter(api, d, "viewer-1")
    assert status == 200 and again == entry
    status, problem = await _enter(api, d, "bad id!")
    assert status == 422 and problem["errors"][0]["field"] == "buyer_id"
    status, problem = await api.call("POST", f"/v1/distributions/{d['id']}/entries", json={})
    assert status == 422
    status, problem = await _enter(api, {"id": 99999}, "viewer-1")
    assert status == 404 and problem["code"] == "distribution_not_found"
    # no direct claims through a draw
    status, problem = await api.call(
        "POST", f"/v1/vouchers/{v['id']}/claims", json={"buyer_id": "viewer-2"}
    )
    assert status == 409 and problem["code"] == "draw_only"
    api.clock.advance(timedelta(minutes=1))
    status, problem = await _enter(api, d, "viewer-3")
    assert status == 409 and problem["code"] == "draw_closed"
    draw = await api.ok("GET", f"/v1/distributions/{d['id']}/draw")
    assert draw["status"] == "open" and draw["seed"] is None and draw["entries"] == 1


async def test_r_draw1_api_concurrent_repeats_make_one_entry(api: Api) -> None:
    _, d = await _draw(api)
    results = await asyncio.gather(*(_enter(api, d, "same") for _ in range(20)))
    statuses = sorted(s for s, _ in results)
    assert statuses == [200] * 19 + [201]
    assert len({json.dumps(body, sort_keys=True) for _, body in results}) == 1
    draw = await api.ok("GET", f"/v1/distributions/{d['id']}/draw")
    assert draw["entries"] == 1


async def test_r_draw3_api_output_verifies(api: Api, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _, d = await _draw(api, winners=3)
    buyers = [f"viewer-{i}" for i in range(12)]
    await asyncio.gather(*(_enter(api, d, b) for b in buyers))
    opened = await api.ok("GET", f"/v1/distributions/{d['id']}/draw")
    api.clock.advance(timedelta(minutes=1))
    assert await api.services.draws.close(d["id"])
    draw = await api.ok("GET", f"/v1/distributions/{d['id']}/draw")
    assert draw["status"] == "drawn" and draw["commitment"] == opened["commitment"]
    assert draw["entrants"] == sorted(buyers) and len(draw["claims"]) == 3
    assert [c["buyer_id"] for c in draw["claims"]] == draw["winner_ids"]
    verdict = verify(draw)
    assert verdict.ok, verdict.problems
    assert verdict.expected_winners == draw["winner_ids"]
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(draw))
    assert verify_main([str(path)]) == 0
    assert "OK" in capsys.readouterr().out
    # a tampered result fails: another seed, or another winner
    forged = dict(draw, seed="00" * 32)
    assert not verify(forged).ok
    swapped = dict(draw, claims=[dict(c, buyer_id="viewer-x") for c in draw["claims"]])
    assert not verify(swapped).ok
    path.write_text(json.dumps(swapped))
    assert verify_main([str(path)]) == 1
    # the same check as `voucherbot verify-draw FILE`
    from bot.cli import main as cli_main

    path.write_text(json.dumps(draw))
    assert await asyncio.to_thread(cli_main, ["verify-draw", str(path)]) == 0
    path.write_text(json.dumps(swapped))
    assert await asyncio.to_thread(cli_main, ["verify-draw", str(path)]) == 1
    # analytics: entries beside claims
    figures = await api.ok("GET", f"/v1/analytics/draws?voucher_id={d['voucher_id']}")
    [row] = figures["items"]
    assert (row["entries"], row["claims"], row["status"]) == (12, 3, "drawn")
    # the winners' claims are in their wallets, linked to the distribution
    wallet = await api.ok("GET", f"/v1/buyers/{draw['winner_ids'][0]}/claims")
    assert wallet["items"][0]["distribution_id"] == d["id"]


async def test_r_draw_api_other_shop_sees_nothing(api: Api, other_shop) -> None:  # type: ignore[no-untyped-def]
    _, d = await _draw(api)
    _, key = other_shop
    headers = {"Authorization": f"Bearer {key}"}
    status, _ = await api.call("GET", f"/v1/distributions/{d['id']}/draw", headers=headers)
    assert status == 404
    status, _ = await api.call(
        "POST", f"/v1/distributions/{d['id']}/entries", json={"buyer_id": "x"}, headers=headers
    )
    assert status == 404
