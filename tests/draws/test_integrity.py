"""R-draw5: the audit's attacks, each refused or visible — the key hijack, re-rolls by
cancelling, and tampered documents the verifier must reject."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.verify_draw import main as verify_main
from bot.verify_draw import verify
from core.errors import Conflict, ValidationFailed
from core.rules import draws as rules
from core.services import Services
from storage import draw_queries as dq
from tests.api.conftest import Api
from tests.conftest import draft
from tests.draws.helpers import live_voucher, open_draw
from tests.draws.test_api import _draw, _enter


async def test_r_draw5_client_idempotency_key_cannot_hijack_a_winner(api: Api) -> None:
    """The audit's attack: with `winners: 1`, pre-use every entrant's draw key but one on a
    claim of another voucher, hoping the draw skips them all. The service's keys live
    apart: the draw ignores the clients' keys, and its winner is the first in draw order."""
    _, d = await _draw(api, winners=1)
    buyers = [f"viewer-{i}" for i in range(8)]
    for b in buyers:
        await _enter(api, d, b)
    other = await api.voucher(name="Other", total_quantity=100, per_customer_limit=5)
    # the attacker's favourite: the last in draw order (the test reads the seed), so that a
    # successful hijack is never confused with luck
    async with api.services.db.read() as session:
        row = await dq.draw_of(session, d["id"])
    favourite = rules.draw_order(bytes.fromhex(row.seed), buyers)[-1]  # type: ignore[union-attr]
    for b in [b for b in buyers if b != favourite]:  # everyone but the favourite
        # (the service's own keys start with U+001F, which an HTTP header cannot carry and
        # the claim path refuses: test_r_draw5_service_key_mark_refused_from_clients)
        await api.ok(
            "POST",
            f"/v1/vouchers/{other['id']}/claims",
            201,
            json={"buyer_id": b},
            headers={"Idempotency-Key": f"draw:{d['id']}:{b}"},
        )
    api.clock.advance(timedelta(minutes=1))
    assert await api.services.draws.close(d["id"])
    draw = await api.ok("GET", f"/v1/distributions/{d['id']}/draw")
    assert draw["skipped"] == [] and len(draw["winner_ids"]) == 1
    order = rules.draw_order(bytes.fromhex(draw["seed"]), buyers)
    assert draw["winner_ids"] == order[:1] and order[0] != favourite
    assert verify(draw).ok


async def test_r_draw5_service_key_mark_refused_from_clients(services: Services, seller) -> None:
    v = await services.vouchers.create(seller, draft())
    with pytest.raises(ValidationFailed) as exc:
        await services.claims.claim(
            seller.shop_id, v.id, "b1", idempotency_key="\u001fdraw:1:b1"
        )
    assert exc.value.errors[0].field == "Idempotency-Key"


async def test_r_draw5_cancelled_draw_reveals_its_seed_and_is_listed_later(
    services: Services, seller, clock
) -> None:
    v, s, d1 = await open_draw(services, seller, winners=1, entry_minutes=5)
    await services.draws.enter(seller.shop_id, d1.id, "a")
    await services.live.stop(seller, d1.id)  # a re-roll: cancel, open again at once
    d2 = await services.live.issue(
        seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    await services.draws.enter(seller.shop_id, d2.id, "b")
    clock.advance(timedelta(minutes=1))
    assert await services.draws.close(d2.id)
    first = await services.draws.get(seller, d1.id)
    view = await services.draws.get(seller, d2.id)
    [listed] = view.cancelled_earlier
    assert (listed.distribution_id, listed.seed, listed.commitment, listed.entries) == (
        d1.id,
        first.seed,
        first.commitment,
        1,
    )
    from bot.http.routes_draws import draw_out

    doc = draw_out(view).model_dump(mode="json")
    assert doc["cancelled_draws"][0]["seed"] == first.seed
    assert verify(doc).ok
    tampered = copy.deepcopy(doc)
    tampered["cancelled_draws"][0]["seed"] = "00" * 32
    assert not verify(tampered).ok
    cancelled_doc = draw_out(first).model_dump(mode="json")
    assert verify(cancelled_doc).ok  # a cancelled draw: its seed matches its commitment


# --- the verifier is strict ------------------------------------------------------------------


async def _drawn(api: Api, winners: int = 3, n: int = 10, **voucher: Any) -> dict[str, Any]:
    _, d = await _draw(api, winners=winners, **voucher)
    await asyncio.gather(*(_enter(api, d, f"viewer-{i}") for i in range(n)))
    api.clock.advance(timedelta(minutes=1))
    assert await api.services.draws.close(d["id"])
    return await api.ok("GET", f"/v1/distributions/{d['id']}/draw")  # type: ignore[no-any-return]


def _order(draw: dict[str, Any]) -> list[str]:
    return rules.draw_order(bytes.fromhex(draw["seed"]), draw["entrants"])


async def test_r_draw5_verifier_rejects_tampered_documents(api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    draw = await _drawn(api)
    assert verify(draw).ok
    order = _order(draw)
    # an undocumented skip reason, hiding the first winner
    banana = dict(
        draw,
        skipped=[{"buyer_id": order[0], "reason": "banana"}],
        claims=[c for c in draw["claims"] if c["buyer_id"] != order[0]],
        winner_ids=order[1:3],
    )
    banana["claims"] = [{"buyer_id": b} for b in order[1:4]]
    banana["winner_ids"] = order[1:4]
    assert not verify(banana).ok
    # the same with a documented reason checks out (a winner at the limit is passed over)
    limit = dict(banana, skipped=[{"buyer_id": order[0], "reason": "limit_reached"}])
    assert verify(limit).ok
    # a winner listed after a sold_out (or not_claimable) skip: prizes would vanish
    for ending in ("sold_out", "not_claimable"):
        after = dict(limit, skipped=[{"buyer_id": order[0], "reason": ending}])
        assert not verify(after).ok
        stopped = dict(after, claims=[], winner_ids=[])
        assert verify(stopped).ok
    # a skip the walk never reached
    late = dict(draw, skipped=[{"buyer_id": order[-1], "reason": "limit_reached"}])
    assert not verify(late).ok
    # duplicated entrants, or an `entries` count that differs
    dup = dict(draw, entrants=sorted([*draw["entrants"], draw["entrants"][0]]))
    assert not verify(dup).ok
    assert not verify(dict(draw, entries=draw["entries"] + 1)).ok
    # upper-case hex is not the documented form
    assert not verify(dict(draw, seed=draw["seed"].upper())).ok
    # --commitment: the one seen at open must be the document's
    path = tmp_path / "draw.json"
    import json

    path.write_text(json.dumps(draw))
    assert verify_main([str(path), "--commitment", draw["commitment"]]) == 0
    assert verify_main([str(path), "--commitment", "ab" * 32]) == 1
    assert not verify(draw, "ab" * 32).ok


@pytest.mark.parametrize("language", ["en", "id", "th", "vi", "ms", "es"])
async def test_r_draw5_outliving_refusal_in_the_bots_words(
    services: Services, seller, clock, language: str
) -> None:
    from bot.i18n import speaking
    from bot.telegram.wording import refusal_text

    v = await live_voucher(services, seller, ends_at=clock.now() + timedelta(minutes=3))
    s = await services.live.start_session(seller)
    with pytest.raises(Conflict) as exc:
        await services.live.issue(
            seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=10
        )
    with speaking(language):
        text = refusal_text(exc.value)
    assert "draw_outlives_voucher" not in text and "close_by" not in text
    from bot.i18n import when

    with speaking(language):
        close_by = when(datetime.fromisoformat(exc.value.extra["close_by"]), "UTC")
    assert close_by in text  # the moment entries must close by, on the shop's clock
    assert "2" in text.replace(close_by, "")  # at most 2 minutes of entries
