"""Lucky draws in the services: R-draw1 (entries), R-draw2 (the draw), R-draw3 (the proof)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from core.errors import ClaimRefused, Conflict, NotFound, ValidationFailed
from core.rules import draws as rules
from core.services import Services
from tests.conftest import NOW
from tests.core.helpers import outbox, with_team
from tests.draws.helpers import live_voucher, open_draw
from tests.support.take_requests import take_request


async def test_r_draw1_issue_validates_mode_winners_and_entry_minutes(services: Services, seller):
    v = await live_voucher(services, seller, total_quantity=10)
    s = await services.live.start_session(seller)
    cases = [
        ({"mode": "draw", "winners": 0, "entry_minutes": 5}, "winners"),
        ({"mode": "draw", "winners": 1001, "entry_minutes": 5}, "winners"),
        ({"mode": "draw", "winners": 11, "entry_minutes": 5}, "winners"),  # > remaining quota
        ({"mode": "draw", "winners": 1, "entry_minutes": 31}, "entry_minutes"),
        ({"mode": "draw", "winners": 1}, "entry_minutes"),
        ({"mode": "first_come", "winners": 1}, "winners"),
        ({"mode": "lottery"}, "mode"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            await services.live.issue(seller, s.id, v.id, "none", **kwargs)
        assert exc.value.errors[0].field == field, kwargs
    d = await services.live.issue(
        seller, s.id, v.id, "none", mode="draw", winners=10, entry_minutes=1
    )
    assert (d.mode, d.winners, d.closes_at) == ("draw", 10, NOW + timedelta(minutes=1))
    session = await services.live.get_session(seller, s.id)
    assert session.distributions[0].mode == "draw" and session.distributions[0].winners == 10


async def test_r_draw1_entries_repeat_and_refusals(services: Services, seller, clock):
    v, s, d = await open_draw(services, seller, task="watch", minutes=2, per_customer_limit=1)
    shop = seller.shop_id
    with pytest.raises(ClaimRefused) as exc:
        await services.draws.enter(shop, d.id, "viewer-1")
    assert exc.value.code == "task_not_met" and exc.value.extra["missing_seconds"] == 120
    await services.live.record_watch(shop, s.id, "viewer-1", 120)
    first = await services.draws.enter(shop, d.id, "viewer-1")
    assert first.created and first.entered_at == NOW
    clock.advance(timedelta(seconds=30))
    again = await services.draws.enter(shop, d.id, "viewer-1")
    assert not again.created and again.entered_at == NOW  # answers the first entry
    with pytest.raises(NotFound) as nf:
        await services.draws.enter(shop, 9999, "viewer-1")
    assert nf.value.code == "distribution_not_found"
    with pytest.raises(ValidationFailed):
        await services.draws.enter(shop, d.id, "bad id!")
    # a direct claim through a draw is refused with its own code
    with pytest.raises(ClaimRefused) as direct:
        await services.claims.claim(shop, v.id, "viewer-1")
    assert direct.value.code == "draw_only"
    # nothing of that was written: one entrant
    view = await services.draws.get(seller, d.id)
    assert view.entries == 1 and view.entrants == ("viewer-1",) and view.seed is None


async def test_r_draw1_limit_reached_refuses_entry(services: Services, seller):
    # the buyer already claimed the voucher through an earlier first-come distribution
    v = await live_voucher(services, seller, per_customer_limit=1)
    s = await services.live.start_session(seller)
    first = await services.live.issue(seller, s.id, v.id, "none")
    await services.claims.claim(seller.shop_id, v.id, "viewer-1")
    await services.live.stop(seller, first.id)
    d = await services.live.issue(
        seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    with pytest.raises(ClaimRefused) as exc:
        await services.draws.enter(seller.shop_id, d.id, "viewer-1")
    assert exc.value.code == "limit_reached"
    assert (await services.draws.enter(seller.shop_id, d.id, "viewer-2")).created


async def test_r_draw1_not_claimable_before_draw_closed(services: Services, seller, clock):
    v, _s, d = await open_draw(services, seller, entry_minutes=1)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(ClaimRefused) as exc:
        await services.draws.enter(seller.shop_id, d.id, "late")
    assert exc.value.code == "draw_closed"
    await services.vouchers.deactivate(seller, v.id)
    with pytest.raises(ClaimRefused) as exc2:
        await services.draws.enter(seller.shop_id, d.id, "late")
    assert exc2.value.code == "not_claimable"  # R-c1 order: the voucher first


async def test_r_draw2_exactly_winners_claims_all_among_entrants(services: Services, seller, clock):
    await with_team(services, seller)
    v, s, d = await open_draw(services, seller, winners=3, entry_minutes=2, total_quantity=50)
    entrants = [f"viewer-{i:02d}" for i in range(20)]
    for b in entrants:
        await services.draws.enter(seller.shop_id, d.id, b)
    assert not await services.draws.close(d.id)  # not due yet
    clock.advance(timedelta(minutes=2))
    assert await services.draws.close(d.id)
    assert not await services.draws.close(d.id)  # once
    view = await services.draws.get(seller, d.id)
    assert view.status == "drawn" and view.entries == 20 and len(view.claims) == 3
    winners = view.winner_ids
    assert set(winners) <= set(entrants) and len(set(winners)) == 3
    assert winners == rules.draw_order(bytes.fromhex(view.seed), entrants)[:3]  # type: ignore[arg-type]
    assert hashlib.sha256(bytes.fromhex(view.seed)).hexdigest() == view.commitment  # type: ignore[arg-type]
    assert all(c.distribution_id == d.id and c.session_id == s.id for c in view.claims)
    # nobody else has a claim; the voucher counts 3
    for b in set(entrants) - set(winners):
        assert await services.claims.wallet(seller, b) == []
    assert (await services.vouchers.get(seller, v.id)).claimed == 3
    # the distribution is over: the voucher can be issued again
    assert (await services.live.get_session(seller, s.id)).distributions == ()
    [opened] = await outbox(services, "draw_opened")
    # R-draw5: people see a fingerprint of the commitment, never 64 hex digits
    fingerprint = rules.fingerprint(view.commitment)
    assert fingerprint in opened.text and "3 winners" in opened.text
    assert view.commitment not in opened.text
    [result] = await outbox(services, "draw_result")
    assert "20 entries, 3 winners received the voucher" in result.text
    assert fingerprint in result.text and view.seed not in result.text  # type: ignore[operator]
    assert await outbox(services, "distribution_started") == []


async def test_r_draw2_limit_and_quota_skip_to_next_in_draw_order(
    services: Services, seller, clock
):
    v, _s, d = await open_draw(
        services, seller, winners=4, entry_minutes=1, total_quantity=4, per_customer_limit=1
    )
    entrants = [f"b{i}" for i in range(10)]
    for b in entrants:
        await services.draws.enter(seller.shop_id, d.id, b)
    async with services.db.read() as session:
        from storage.models import Draw

        seed = bytes.fromhex((await session.get(Draw, d.id)).seed)  # type: ignore[union-attr]
    order = rules.draw_order(seed, entrants)
    # Between entry and draw the first drawn buyer reaches the limit (nothing in the product
    # lets a claim through a running draw, so the test writes it through the claim store).
    await services.claims.store.take(take_request(seller.shop_id, v.id, order[0]))
    services.claims.cache.forget(v.id)
    clock.advance(timedelta(minutes=1))
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    # order[0] is over the limit: passed over; the quota left (3) goes to order[1..3], and
    # the fourth prize finds the voucher sold out, which ends the walk
    assert view.winner_ids == order[1:4]
    assert [(s.buyer_id, s.reason) for s in view.skipped] == [
        (order[0], "limit_reached"),
        (order[4], "sold_out"),
    ]
    assert (await services.vouchers.get(seller, v.id)).claimed == 4


async def test_r_draw2_cancelled_draw_gives_nothing(services: Services, seller, clock):
    await with_team(services, seller)
    v, _s, d = await open_draw(services, seller, entry_minutes=3)
    for b in ("a", "b"):
        await services.draws.enter(seller.shop_id, d.id, b)
    await services.live.stop(seller, d.id)
    clock.advance(timedelta(minutes=3))
    assert not await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    # R-draw5: a cancelled draw reveals its seed too
    assert view.status == "cancelled" and view.claims == () and view.seed is not None
    assert rules.commitment_of(bytes.fromhex(view.seed)) == view.commitment
    assert (await services.vouchers.get(seller, v.id)).claimed == 0
    [note] = await outbox(services, "draw_cancelled")
    assert "nobody wins (2 entries)" in note.text
    assert await outbox(services, "distribution_stopped") == []
    with pytest.raises(ClaimRefused) as exc:
        await services.draws.enter(seller.shop_id, d.id, "c")
    assert exc.value.code == "draw_closed" and exc.value.extra["draw_status"] == "cancelled"
    assert "status" not in exc.value.extra  # never told as the voucher's status


async def test_r_draw2_ending_session_cancels_and_stop_after_close_does_not(
    services: Services, seller, clock
):
    v, s, d = await open_draw(services, seller, entry_minutes=1)
    await services.draws.enter(seller.shop_id, d.id, "a")
    await services.live.end_session(seller, s.id)
    assert (await services.draws.get(seller, d.id)).status == "cancelled"
    # a second draw, stopped after its window closed but before the scheduler ran: drawn
    s2 = await services.live.start_session(seller)
    d2 = await services.live.issue(
        seller, s2.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    await services.draws.enter(seller.shop_id, d2.id, "a")
    clock.advance(timedelta(minutes=1))
    await services.live.stop(seller, d2.id)
    assert await services.draws.close(d2.id)
    assert (await services.draws.get(seller, d2.id)).winner_ids == ["a"]


async def test_r_draw2_nobody_entered(services: Services, seller, clock):
    await with_team(services, seller)
    _, _, d = await open_draw(services, seller, entry_minutes=1)
    clock.advance(timedelta(minutes=1))
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.status == "drawn" and view.entries == 0 and view.claims == ()
    [result] = await outbox(services, "draw_result")
    assert "nobody entered" in result.text


async def test_r_draw2_resumed_draw_gives_nobody_a_second_claim(services: Services, seller, clock):
    """A process that died mid-draw: its claims exist, the draw is still `drawing`; after the
    lease another run finishes it with exactly `winners` claims."""
    v, s, d = await open_draw(services, seller, winners=2, entry_minutes=1)
    for b in ("a", "b", "c", "d"):
        await services.draws.enter(seller.shop_id, d.id, b)
    clock.advance(timedelta(minutes=1))
    from storage import draw_queries as dq

    async with services.db.write() as session:
        draw = await dq.begin_draw(session, d.id, clock.now(), clock.now() + timedelta(seconds=60))
    order = rules.draw_order(bytes.fromhex(draw.seed), ["a", "b", "c", "d"])  # type: ignore[union-attr]
    # the dead process had given the first winner its claim
    from core.services.draws import idempotency_key

    await services.claims.award(
        seller.shop_id,
        v.id,
        order[0],
        session_id=s.id,
        account_id=s.account_id,
        idempotency_key=idempotency_key(d.id, order[0]),
    )
    assert not await services.draws.close(d.id)  # its lease still holds
    clock.advance(timedelta(seconds=61))
    events = await services.draws.pending_events()
    assert [e.distribution_id for e in events] == [d.id]
    assert await services.draws.close(d.id)
    view = await services.draws.get(seller, d.id)
    assert view.winner_ids == order[:2]
    assert (await services.vouchers.get(seller, v.id)).claimed == 2
    assert await services.draws.pending_events() == []


async def test_r_draw1_entry_on_first_come_distribution_is_refused(services: Services, seller):
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "none")
    with pytest.raises(Conflict) as exc:
        await services.draws.enter(seller.shop_id, d.id, "a")
    assert exc.value.code == "not_a_draw"


async def test_r_draw_analytics_entries_beside_claims(services: Services, seller, clock):
    v, s, d = await open_draw(services, seller, winners=2, entry_minutes=1)
    for b in ("a", "b", "c"):
        await services.draws.enter(seller.shop_id, d.id, b)
    clock.advance(timedelta(minutes=1))
    await services.draws.close(d.id)
    [row] = await services.draws.figures(seller, session_id=s.id)
    assert (row.distribution_id, row.entries, row.claims, row.status) == (d.id, 3, 2, "drawn")
    [by_voucher] = await services.draws.figures(seller, voucher_id=v.id)
    assert by_voucher == row
    assert await services.draws.figures(seller, voucher_id=v.id + 100) == []


async def test_r_draw5_draw_outliving_the_claim_period_is_refused_at_issue(
    services: Services, seller, clock
):
    v = await live_voucher(services, seller, ends_at=NOW + timedelta(minutes=2))
    s = await services.live.start_session(seller)
    with pytest.raises(Conflict) as exc:
        await services.live.issue(
            seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=5
        )
    assert exc.value.code == rules.DrawCode.DRAW_OUTLIVES_VOUCHER
    close_by = NOW + timedelta(minutes=2) - rules.CLOSE_MARGIN
    assert exc.value.extra["close_by"] == close_by.isoformat()
    assert exc.value.extra["max_entry_minutes"] == 1
    # one minute fits: accepted
    d = await services.live.issue(
        seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    assert d.mode == "draw"


async def test_r_draw2_deactivation_cancels(services: Services, seller, clock):
    _v, s, _d = await open_draw(services, seller, entry_minutes=5)
    v2 = await live_voucher(services, seller, name="Second")
    d2 = await services.live.issue(
        seller, s.id, v2.id, "none", mode="draw", winners=1, entry_minutes=5
    )
    await services.vouchers.deactivate(seller, v2.id)
    assert (await services.draws.get(seller, d2.id)).status == "cancelled"
    clock.advance(timedelta(minutes=5))
    assert not await services.draws.close(d2.id)


async def test_r_draw1_follow_task_entry(services: Services, seller):
    _, _, d = await open_draw(services, seller, task="follow")
    with pytest.raises(ClaimRefused) as exc:
        await services.draws.enter(seller.shop_id, d.id, "fan")
    assert exc.value.code == "task_not_met" and exc.value.extra["needs_new_follow"]
    await services.live.record_follow(seller.shop_id, "fan", "acme_official", "follow")
    entry = await services.draws.enter(seller.shop_id, d.id, "fan")
    assert entry.created
    assert not (await services.draws.enter(seller.shop_id, d.id, "fan")).created
