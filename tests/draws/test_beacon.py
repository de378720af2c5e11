"""R-draw4: the drand quicknet round, from a local stand-in serving recorded real rounds."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.drand_client import DrandMirrors
from bot.http.routes_draws import draw_out
from bot.verify_draw import verify
from core.clock import FrozenClock
from core.rules import drand
from core.rules import draws as rules
from core.services import Services
from storage.db import Database
from tests.core.helpers import outbox, with_team
from tests.draws.helpers import open_draw
from tests.support.drand_standin import (
    RECORDED_RANDOMNESS_32281667,
    RECORDED_ROUNDS,
    Mirror,
    altered,
    serve,
)

ROUND = 32285085  # recorded; entries of a 1-minute draw opened at T0 close 3 s before it
T0 = drand.round_time(ROUND) - drand.AFTER_CLOSE - timedelta(minutes=1)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
async def mirrors() -> AsyncIterator[tuple[Mirror, Mirror]]:
    async with serve(Mirror()) as first, serve(Mirror()) as second:
        yield first, second


@pytest.fixture
async def services(  # type: ignore[override]
    db: Database, clock: FrozenClock, mirrors: tuple[Mirror, Mirror]
) -> AsyncIterator[Services]:
    fetcher = DrandMirrors([m.url for m in mirrors])
    yield Services.build(db, clock, beacon=fetcher, public_base_url="https://shop.example")
    await fetcher.close()


def document(view: Any) -> dict[str, Any]:
    return draw_out(view).model_dump(mode="json")


async def drawn_with_entrants(services: Services, seller, clock, n: int = 30, winners: int = 3):  # type: ignore[no-untyped-def]
    _, _, d = await open_draw(services, seller, winners=winners, entry_minutes=1)
    for i in range(n):
        await services.draws.enter(seller.shop_id, d.id, f"viewer-{i}")
    return d


# --- the chain's rules, on recorded rounds --------------------------------------------------


@pytest.mark.parametrize("number", sorted(RECORDED_ROUNDS))
def test_r_draw4_recorded_rounds_are_real_quicknet_rounds(number: int) -> None:
    assert drand.verify_signature(number, RECORDED_ROUNDS[number])


def test_r_draw4_forged_rounds_are_refused() -> None:
    sig = RECORDED_ROUNDS[ROUND]
    assert not drand.verify_signature(ROUND, altered(sig))  # signature altered
    assert not drand.verify_signature(ROUND + 1, sig)  # a round from another number
    assert not drand.verify_signature(ROUND, RECORDED_ROUNDS[ROUND + 1])
    assert not drand.verify_signature(ROUND, "00" * 48)
    assert not drand.verify_signature(ROUND, "zz")
    assert drand.checked(ROUND, altered(sig)) is None
    real = drand.checked(32281667, RECORDED_ROUNDS[32281667])
    assert real is not None and real.randomness == RECORDED_RANDOMNESS_32281667


def test_r_draw4_the_first_round_at_least_3s_after_the_close() -> None:
    at = drand.round_time(ROUND)
    assert at.timestamp() == drand.GENESIS + (ROUND - 1) * drand.PERIOD
    assert drand.round_for(at - drand.AFTER_CLOSE) == ROUND
    assert drand.round_for(at - drand.AFTER_CLOSE + timedelta(microseconds=1)) == ROUND + 1
    assert drand.round_for(at - drand.AFTER_CLOSE - timedelta(seconds=1)) == ROUND


# --- draws with the beacon ------------------------------------------------------------------


async def test_r_draw4_round_fixed_at_open_keys_the_order(
    services: Services, seller, clock, mirrors
):
    await with_team(services, seller)
    d = await drawn_with_entrants(services, seller, clock)
    view = await services.draws.get(seller, d.id)
    assert view.beacon_plan is not None
    assert (view.beacon_plan.chain_hash, view.beacon_plan.round) == (drand.CHAIN_HASH, ROUND)
    [opened] = await outbox(services, "draw_opened")
    assert "drand" in opened.text and rules.fingerprint(view.commitment) in opened.text
    assert view.commitment not in opened.text.split("href=")[0]  # hex only inside the link
    assert "https://shop.example/verify?draw=" in opened.text
    clock.set(view.closes_at)
    assert not await services.draws.close(d.id)  # the round does not exist yet
    assert mirrors[0].asked == []
    clock.set(drand.round_time(ROUND) + timedelta(seconds=1))
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.beacon is not None and view.beacon.signature == RECORDED_ROUNDS[ROUND]
    randomness = hashlib.sha256(bytes.fromhex(RECORDED_ROUNDS[ROUND])).hexdigest()
    assert view.beacon.randomness == randomness
    key = hashlib.sha256(bytes.fromhex(view.seed) + bytes.fromhex(randomness)).digest()  # type: ignore[arg-type]
    entrants = [f"viewer-{i}" for i in range(30)]
    assert view.winner_ids == rules.draw_order(key, entrants)[:3]
    doc = document(view)
    assert doc["beacon"]["round"] == ROUND and doc["beacon_round"]["round"] == ROUND
    verdict = verify(doc, view.commitment)
    assert verdict.ok, verdict.problems
    # the document with the beacon's signature altered, or another round's, is refused
    forged = {**doc, "beacon": {**doc["beacon"], "signature": altered(RECORDED_ROUNDS[ROUND])}}
    assert not verify(forged).ok
    other = RECORDED_ROUNDS[ROUND + 1]
    swapped = {
        **doc,
        "beacon": {
            **doc["beacon"],
            "signature": other,
            "randomness": hashlib.sha256(bytes.fromhex(other)).hexdigest(),
        },
    }
    assert not verify(swapped).ok
    [result] = await outbox(services, "draw_result")
    assert "drand" in result.text and view.seed not in result.text  # type: ignore[operator]


async def test_r_draw4_lying_mirrors_are_not_believed_then_seed_alone_after_10_minutes(
    services: Services, seller, clock, mirrors
):
    await with_team(services, seller)
    first, second = mirrors
    first.forged[ROUND] = altered(RECORDED_ROUNDS[ROUND])  # signature altered
    second.forged[ROUND] = RECORDED_ROUNDS[ROUND + 1]  # a round from another number
    d = await drawn_with_entrants(services, seller, clock)
    clock.set(drand.round_time(ROUND) + timedelta(seconds=1))
    assert not await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.status == "open" and view.waiting_for_beacon and view.beacon is None
    [wait] = await outbox(services, "draw_beacon_wait")
    assert "10 minutes" in wait.text
    [event] = [e for e in await services.draws.pending_events() if e.distribution_id == d.id]
    assert event.at == clock.now() + drand.RETRY_EVERY
    clock.advance(drand.RETRY_EVERY)
    assert not await services.draws.close(d.id)
    assert len(await outbox(services, "draw_beacon_wait")) == 1  # told once
    clock.set(drand.round_time(ROUND) + drand.WAIT_AT_MOST)
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.status == "drawn" and view.beacon is None and view.beacon_plan is not None
    entrants = [f"viewer-{i}" for i in range(30)]
    assert view.winner_ids == rules.draw_order(bytes.fromhex(view.seed), entrants)[:3]  # type: ignore[arg-type]
    verdict = verify(document(view))
    assert verdict.ok and any("seed alone" in n for n in verdict.notes)
    [result] = await outbox(services, "draw_result")
    assert "did not answer within 10 minutes" in result.text


async def test_r_draw4_mirrors_down_then_one_answers(services: Services, seller, clock, mirrors):
    first, second = mirrors
    first.down = second.down = True
    d = await drawn_with_entrants(services, seller, clock)
    clock.set(drand.round_time(ROUND) + timedelta(seconds=1))
    assert not await services.draws.close(d.id)
    second.down = False  # one mirror back; the other still down
    clock.advance(drand.RETRY_EVERY)
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.beacon is not None and view.beacon.round == ROUND
    assert not view.waiting_for_beacon


async def test_r_draw4_seed_holder_cannot_choose_a_winning_entrant(
    services: Services, seller, clock, monkeypatch
):
    """Whoever reads the seed at open (the operator) can grind buyer ids for a small ticket:
    under the seed alone that entrant would win; the beacon, unknown until after the close,
    reorders everything."""
    seed = bytes(range(32))
    monkeypatch.setattr(rules, "new_seed", lambda: seed)
    d = await drawn_with_entrants(services, seller, clock, n=20, winners=1)
    honest = [f"viewer-{i}" for i in range(20)]
    ground = min((f"sock-{i}" for i in range(500)), key=lambda b: rules.ticket(seed, b))
    await services.draws.enter(seller.shop_id, d.id, ground)
    entrants = [*honest, ground]
    assert rules.draw_order(seed, entrants)[0] == ground  # seed alone: the attack works
    clock.set(drand.round_time(ROUND) + timedelta(seconds=1))
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.beacon is not None and view.winner_ids != [ground]
    assert verify(document(view)).ok


async def test_r_draw4_off_makes_seed_only_draws(db: Database, clock: FrozenClock, seller):
    plain = Services.build(db, clock)  # DRAND_URLS=off
    _, _, d = await open_draw(plain, seller, winners=1, entry_minutes=1)
    await plain.draws.enter(seller.shop_id, d.id, "a")
    assert (await plain.draws.get(seller, d.id)).beacon_plan is None
    clock.advance(timedelta(minutes=1))
    assert await plain.draws.close(d.id)
    view = await plain.draws.get(seller, d.id)
    assert view.beacon is None and view.winner_ids == ["a"]
    verdict = verify(document(view))
    assert verdict.ok and any("seed-only" in n for n in verdict.notes)


def test_r_draw4_second_worked_example_of_the_docs() -> None:
    """docs/draws.md's second example (a beacon and a skip): its numbers come from this code,
    and the document it shows verifies."""
    from datetime import UTC, datetime
    from pathlib import Path

    seed = bytes.fromhex("3f1c9a0e5b7d2846a1c0f9e8d7b6a5948372615f4e3d2c1b0a99887766554433")
    closes_at = datetime(2026, 9, 17, 15, 23, 36, tzinfo=UTC)
    assert drand.round_for(closes_at) == ROUND
    sig = RECORDED_ROUNDS[ROUND]
    randomness = drand.randomness_of(sig)
    key = drand.draw_key(seed, randomness)
    entrants = [f"viewer-{i}" for i in range(1, 6)]
    order = rules.draw_order(key, entrants)
    assert order == ["viewer-2", "viewer-3", "viewer-4", "viewer-5", "viewer-1"]
    docs = (Path(__file__).resolve().parents[2] / "docs" / "draws.md").read_text()
    for value in (randomness, key.hex(), drand.message(ROUND).hex(), sig):
        assert value in docs
    for buyer in entrants:
        assert f"| {buyer} | `{rules.ticket(key, buyer)}` |" in docs
    doc = {
        "status": "drawn",
        "entries": 5,
        "winners": 2,
        "commitment": rules.commitment_of(seed),
        "seed": seed.hex(),
        "beacon_round": {"chain_hash": drand.CHAIN_HASH, "round": ROUND},
        "beacon": {
            "chain_hash": drand.CHAIN_HASH,
            "round": ROUND,
            "signature": sig,
            "randomness": randomness,
        },
        "skipped": [{"buyer_id": "viewer-2", "reason": "limit_reached"}],
        "claims": [{"buyer_id": "viewer-3"}, {"buyer_id": "viewer-4"}],
        "winner_ids": ["viewer-3", "viewer-4"],
        "entrants": entrants,
        "cancelled_draws": [],
    }
    assert verify(doc).ok


def test_r_draw4_panel_shows_the_code_and_the_wait() -> None:
    """The host's panel (R-live5): each draw's fingerprint, and the wait for drand."""
    from bot.telegram.live_panel import render
    from core.services.live_panel import PanelDraw, PanelView

    now = T0
    view = PanelView(
        session_id=3,
        shop_id=1,
        account_id=1,
        host_role="seller",
        host_chat_id=None,
        currency="USD",
        timezone="UTC",
        started_at=now,
        ended_at=None,
        now=now,
        draws=(
            PanelDraw(7, "Live 5 off", 4, now + timedelta(minutes=2), "c358 b4fd"),
            PanelDraw(8, "Live 9 off", 9, now, "1f2e 3d4c", waiting_for_beacon=True),
        ),
    )
    text, _ = render(view)
    assert "Live 5 off</b>: 4 entries · closes in 2 min · code c358 b4fd" in text
    assert "Live 9 off</b>: 9 entries · waiting for drand" in text
