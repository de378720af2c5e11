"""Live sessions, tasks and distributions: R-live1…R-live4."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import ClaimRefused, Conflict, NotFound, PermissionDenied, ValidationFailed
from core.services import Services
from tests.conftest import NOW, draft
from tests.core.helpers import link, outbox, with_team


async def live_voucher(services: Services, seller, **kw):  # type: ignore[no-untyped-def]
    return await services.vouchers.create(seller, draft(kind="live", **kw))


async def test_r_live1_one_active_session_per_account(services: Services, seller):
    first = await services.live.start_session(seller)
    with pytest.raises(Conflict) as exc:
        await services.live.start_session(seller)
    assert exc.value.code == "session_active" and exc.value.extra["session_id"] == first.id
    host = await link(services, seller, "marketing", 3001)
    other = await services.live.start_session(host)
    assert other.account_id == host.account_id
    with pytest.raises(PermissionDenied):
        await services.live.end_session(host, first.id)
    ended = await services.live.end_session(seller, first.id)
    assert ended.ended_at is not None
    assert (await services.live.start_session(seller)).id != first.id


async def test_r_live1_ending_session_stops_distributions_and_reports_claims(
    services: Services, seller
):
    await with_team(services, seller)
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "none")
    await services.claims.claim(seller.shop_id, v.id, "b1")
    ended = await services.live.end_session(seller, s.id)
    assert ended.claims == 1 and ended.distributions == ()
    [note] = await outbox(services, "session_ended")
    assert "1 voucher claim" in note.text
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b2")
    assert exc.value.code == "no_active_distribution"


async def test_r_live2_watch_task(services: Services, seller):
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "watch", 5)
    await services.live.record_watch(seller.shop_id, s.id, "b1", 240)
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b1", session_id=s.id)
    assert exc.value.code == "task_not_met" and exc.value.extra["missing_seconds"] == 60
    assert "1 min" in exc.value.detail
    # watch time is kept as the maximum reported
    assert await services.live.record_watch(seller.shop_id, s.id, "b1", 300) == 300
    assert await services.live.record_watch(seller.shop_id, s.id, "b1", 10) == 300
    claim = await services.claims.claim(seller.shop_id, v.id, "b1", session_id=s.id)
    assert claim.session_id == s.id and claim.account_id == seller.account_id


@pytest.mark.parametrize(
    ("task", "minutes"),
    [("watch", 0), ("watch", 61), ("watch", None), ("dance", None), ("follow", 3)],
)
async def test_r_live2_task_validation(services: Services, seller, task, minutes):
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    with pytest.raises(ValidationFailed):
        await services.live.issue(seller, s.id, v.id, task, minutes)


async def test_r_live2_no_task_qualifies_at_once(services: Services, seller):
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    await services.live.issue(seller, s.id, v.id, "none")
    assert (await services.claims.claim(seller.shop_id, v.id, "viewer")).status == "claimed"


async def follow_setup(services: Services, seller):  # type: ignore[no-untyped-def]
    v = await services.vouchers.create(
        seller, draft(kind="live", ends_at=NOW + timedelta(days=90), total_quantity=10)
    )
    s = await services.live.start_session(seller)  # the seller's handle is acme_official
    await services.live.issue(seller, s.id, v.id, "follow")
    return v, s


async def test_r_live2_follow_new_follow_qualifies(services: Services, seller, clock):
    v, _s = await follow_setup(services, seller)
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b1")
    assert exc.value.code == "task_not_met" and exc.value.extra["needs_new_follow"]
    r = await services.live.record_follow(seller.shop_id, "b1", "acme_official", "follow")
    assert r.counted and r.following
    assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"


async def test_r_live2_follow_must_still_be_following(services: Services, seller):
    v, _ = await follow_setup(services, seller)
    await services.live.record_follow(seller.shop_id, "b1", "acme_official", "follow")
    await services.live.record_follow(seller.shop_id, "b1", "acme_official", "unfollow")
    with pytest.raises(ClaimRefused):
        await services.claims.claim(seller.shop_id, v.id, "b1")


async def test_r_live2_follow_of_another_host_does_not_count(services: Services, seller):
    v, _ = await follow_setup(services, seller)
    with pytest.raises(NotFound):  # R-api2: a handle no account has counts nothing
        await services.live.record_follow(seller.shop_id, "b1", "someone_else", "follow")
    with pytest.raises(ClaimRefused):
        await services.claims.claim(seller.shop_id, v.id, "b1")


@pytest.mark.parametrize(("refollow_day", "qualifies"), [(29, False), (31, True)])
async def test_r_live2_refollow_edges_29_and_31_days(
    services: Services, seller, clock, refollow_day, qualifies
):
    """Followed on day 0 (a new follow), unfollowed on day 1, followed again on day 29 or 31;
    the claim is tried right after the refollow. Day 29: the refollow is not a new follow (a
    counted follow exists 29 days before); day 31: it is."""
    v, _ = await follow_setup(services, seller)
    start = clock.now()
    await services.live.record_follow(seller.shop_id, "b1", "acme_official", "follow", start)
    clock.set(start + timedelta(days=1))
    await services.live.record_follow(seller.shop_id, "b1", "acme_official", "unfollow")
    clock.set(start + timedelta(days=refollow_day))
    r = await services.live.record_follow(seller.shop_id, "b1", "acme_official", "follow")
    assert r.counted is qualifies
    clock.set(start + timedelta(days=refollow_day, hours=25))  # day 30+ for the 29-day case
    if qualifies:
        assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"
    else:
        with pytest.raises(ClaimRefused) as exc:
            await services.claims.claim(seller.shop_id, v.id, "b1")
        assert exc.value.code == "task_not_met"


async def test_r_live2_follow_older_than_30_days_no_longer_qualifies(
    services: Services, seller, clock
):
    v, _ = await follow_setup(services, seller)
    await services.live.record_follow(seller.shop_id, "b1", "acme_official", "follow")
    clock.advance(days=30)
    await services.vouchers.add_quantity(seller, v.id, 1)
    assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"
    clock.advance(seconds=1)
    with pytest.raises(ClaimRefused):
        await services.claims.claim(seller.shop_id, v.id, "b2")


async def test_r_live2_follow_events_validated(services: Services, seller, clock):
    with pytest.raises(ValidationFailed):
        await services.live.record_follow(seller.shop_id, "b1", "acme", "like")
    with pytest.raises(ValidationFailed):
        await services.live.record_follow(
            seller.shop_id, "b1", "acme", "follow", clock.now() + timedelta(hours=1)
        )


async def test_r_live3_one_task_at_a_time_and_only_ongoing_live(services: Services, seller, clock):
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "watch", 3)
    with pytest.raises(Conflict) as exc:
        await services.live.issue(seller, s.id, v.id, "none")
    assert exc.value.code == "distribution_active"
    await services.live.stop(seller, d.id)
    again = await services.live.issue(seller, s.id, v.id, "none")
    assert again.task.type == "none"
    regular = await services.vouchers.create(seller, draft())
    with pytest.raises(Conflict) as exc:
        await services.live.issue(seller, s.id, regular.id, "none")
    assert exc.value.code == "not_live_voucher"
    upcoming = await live_voucher(
        services, seller, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2)
    )
    with pytest.raises(Conflict) as exc:
        await services.live.issue(seller, s.id, upcoming.id, "none")
    assert exc.value.code == "not_distributable"
    await services.live.end_session(seller, s.id)
    v2 = await live_voucher(services, seller)
    with pytest.raises(Conflict) as exc:
        await services.live.issue(seller, s.id, v2.id, "none")
    assert exc.value.code == "session_ended"


async def test_r_live3_live_voucher_without_task_is_not_available(services: Services, seller):
    v = await live_voucher(services, seller)
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b1")
    assert exc.value.code == "no_active_distribution"


async def test_r_live3_all_accounts_draw_from_one_quota(services: Services, seller):
    v = await live_voucher(services, seller, total_quantity=2)
    host = await link(services, seller, "marketing", 3001)
    s1 = await services.live.start_session(host)
    d1 = await services.live.issue(host, s1.id, v.id, "none")
    await services.claims.claim(seller.shop_id, v.id, "b1")
    await services.live.stop(host, d1.id)
    s2 = await services.live.start_session(seller)
    await services.live.issue(seller, s2.id, v.id, "none")
    c2 = await services.claims.claim(seller.shop_id, v.id, "b2")
    assert c2.account_id == seller.account_id
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b3")
    assert exc.value.code == "sold_out"


async def test_r_live4_stopping_keeps_claimed_vouchers_redeemable(
    services: Services, seller, platform
):
    await with_team(services, seller)
    v = await live_voucher(services, seller)
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "none")
    await services.claims.claim(seller.shop_id, v.id, "b1", session_id=s.id)
    stopped = await services.live.stop(seller, d.id)
    assert stopped.stopped_at is not None
    assert (await services.live.stop(seller, d.id)).stopped_at == stopped.stopped_at  # idempotent
    with pytest.raises(ClaimRefused):
        await services.claims.claim(seller.shop_id, v.id, "b2", session_id=s.id)
    order, _ = await services.checkout.place_order(
        platform, "o1", "b1", [{"product_id": "x", "unit_price": 3000, "quantity": 1}]
    )
    assert order.voucher_id == v.id and order.discount == 500
    kinds = [n.kind for n in await outbox(services)]
    assert kinds.count("distribution_started") == 1 and kinds.count("distribution_stopped") == 1


async def test_r_live2_follow_task_with_multiple_claims_warns(services: Services, seller):
    v = await live_voucher(services, seller, per_customer_limit=2)
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "follow")
    assert [w.code for w in d.warnings] == ["follow_task_multiple_claims"]


async def test_r_live_claims_in_another_session_refused(services: Services, seller):
    v = await live_voucher(services, seller)
    host = await link(services, seller, "marketing", 3001)
    s1 = await services.live.start_session(seller)
    s2 = await services.live.start_session(host)
    await services.live.issue(seller, s1.id, v.id, "none")
    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, v.id, "b1", session_id=s2.id)
    assert exc.value.code == "no_active_distribution"


async def test_r_api2_handles_match_case_insensitively_without_at(services: Services, seller):
    """The bot's /handle and the API's follows share one normal form: lowercase, no `@`."""
    v, _ = await follow_setup(services, seller)
    await services.accounts.set_handle(seller, "@Acme_Official")
    r = await services.live.record_follow(seller.shop_id, "b1", "@ACME_OFFICIAL", "follow")
    assert (r.host_handle, r.counted) == ("acme_official", True)
    assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"
