"""R-drop1 in the core: scheduling limits, firing once with the checks of an immediate issue,
each failure reason told to the owner and the team, cancel, and the session end."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import FrozenClock
from core.errors import Conflict, ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from storage.models import AppliedEffect, Distribution, Notification
from tests.conftest import NOW, draft

TEAM = -100_555


@pytest.fixture
async def host(services: Services, seller: Actor) -> Actor:
    """An official account (Telegram user 2002) of the seller's shop; the team chat is set."""
    await services.shops.set_team_chat(seller, TEAM)
    invite = await services.accounts.create_invite(seller, "official")
    member = await services.accounts.accept_invite(invite.token, 2002, "Hank")
    return member.actor


@pytest.fixture
async def live_voucher(services: Services, seller: Actor) -> int:
    v = await services.vouchers.create(seller, draft(name="Live 5 off", kind="live"))
    return v.id  # type: ignore[return-value]


@pytest.fixture
async def session_id(services: Services, host: Actor) -> int:
    return (await services.live.start_session(host)).id


async def notes(services: Services) -> list[Notification]:
    async with services.db.read() as s:
        return list((await s.execute(select(Notification).order_by(Notification.id))).scalars())


async def test_r_drop1_fires_at_its_second_with_a_distribution_and_tells_the_team(
    services: Services, host: Actor, session_id: int, live_voucher: int, clock: FrozenClock
) -> None:
    drop = await services.drops.schedule(host, session_id, live_voucher, "watch", 5, in_seconds=300)
    assert (drop.status, drop.at, drop.mode) == (
        "pending",
        NOW + timedelta(minutes=5),
        "first_come",
    )
    assert [d.id for d in (await services.live.get_session(host, session_id)).drops] == [drop.id]
    clock.advance(seconds=299.9)
    assert await services.drops.fire(drop.id) is False  # not due yet: nothing happens
    clock.advance(seconds=0.1)
    assert await services.drops.fire(drop.id) is True
    fired = await services.drops.get(host, drop.id)
    assert fired.status == "fired" and fired.reason is None
    [d] = await services.live.distributions(host)
    assert (d.id, d.voucher_id, d.task.minutes, d.started_at) == (
        fired.distribution_id,
        live_voucher,
        5,
        NOW + timedelta(minutes=5),
    )
    kinds = [n.kind for n in await notes(services)]
    assert kinds.count("drop_scheduled") == 1 and kinds.count("drop_fired") == 1
    assert "distribution_started" in kinds
    assert (await services.live.get_session(host, session_id)).drops == ()


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("deactivate", "not_distributable"),
        ("already_active", "distribution_active"),
        ("session_ended", "session_ended"),
    ],
)
async def test_r_drop1_each_failure_reason_is_recorded_and_told_to_owner_and_team(
    services: Services,
    seller: Actor,
    host: Actor,
    session_id: int,
    live_voucher: int,
    clock: FrozenClock,
    setup: str,
    reason: str,
) -> None:
    drop = await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    if setup == "deactivate":
        await services.vouchers.deactivate(seller, live_voucher)
    elif setup == "already_active":
        await services.live.issue(host, session_id, live_voucher, "follow")
    clock.advance(minutes=1)
    if setup == "session_ended":
        # Ended without the service (as an unlinked account's session ends): the drop is still
        # pending, and the check at firing time refuses it.
        async with services.db.write() as s:
            from storage import repositories as repo

            await repo.end_session(s, session_id, clock.now())
    assert await services.drops.fire(drop.id) is True
    failed = await services.drops.get(host, drop.id)
    assert (failed.status, failed.reason, failed.distribution_id) == ("failed", reason, None)
    failures = [n for n in await notes(services) if n.kind == "drop_failed"]
    assert sorted(n.chat_id for n in failures) == [TEAM, 2002]  # the team and the owner
    assert all("Drop failed" in n.text and "_" not in n.text.split("but")[1] for n in failures)


async def test_r_drop1_fires_once_when_run_twice_concurrently_and_after_a_restart(
    db_url: str,
    services: Services,
    host: Actor,
    session_id: int,
    live_voucher: int,
    clock: FrozenClock,
) -> None:
    drop = await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    clock.advance(minutes=1)
    # A second process: its own engines and services on the same database.
    other_db = Database(db_url)
    try:
        other = Services.build(other_db, clock)
        results = await asyncio.gather(
            *(s.drops.fire(drop.id) for s in (services, other, services, other))
        )
        assert sorted(results) == [False, False, False, True]
        restarted = Services.build(other_db, clock)  # a restart: a fresh service, same rows
        assert await restarted.drops.fire(drop.id) is False
    finally:
        await other_db.dispose()
    async with services.db.read() as s:
        dists = list((await s.execute(select(Distribution))).scalars())
        keys = list((await s.execute(select(AppliedEffect.key))).scalars())
    assert len(dists) == 1 and keys.count(f"drop:{drop.id}:settled") == 1
    assert [n.kind for n in await notes(services)].count("drop_fired") == 1


async def test_r_drop1_limits_one_minute_six_hours_twenty_pending(
    services: Services, host: Actor, session_id: int, live_voucher: int
) -> None:
    cases = [
        ({"in_seconds": 59}, "in_seconds"),
        ({"in_seconds": 6 * 3600 + 1}, "in_seconds"),
        ({"in_seconds": "60"}, "in_seconds"),
        ({"at": NOW + timedelta(seconds=30)}, "at"),
        ({"at": NOW + timedelta(hours=6, seconds=1)}, "at"),
        ({}, "at"),
        ({"in_seconds": 60, "at": NOW + timedelta(minutes=5)}, "at"),
        ({"in_seconds": 60, "mode": "raffle"}, "mode"),
        ({"in_seconds": 60, "winners": 3}, "winners"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            await services.drops.schedule(host, session_id, live_voucher, "none", **kwargs)  # type: ignore[arg-type]
        assert exc.value.errors[0].field == field, kwargs
    edge = await services.drops.schedule(
        host, session_id, live_voucher, "none", at=NOW + timedelta(hours=6)
    )
    assert edge.at == NOW + timedelta(hours=6)
    for _ in range(19):
        await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    with pytest.raises(ValidationFailed) as exc:
        await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    assert exc.value.errors[0].field == "session_id"
    assert len((await services.live.get_session(host, session_id)).drops) == 20


async def test_r_drop1_twenty_pending_holds_under_concurrent_requests(
    services: Services, host: Actor, session_id: int, live_voucher: int
) -> None:
    results = await asyncio.gather(
        *(
            services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60 + i)
            for i in range(30)
        ),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 20
    assert all(isinstance(r, ValidationFailed) for r in results if isinstance(r, Exception))
    assert len(await services.drops.list(host, session_id)) == 20


async def test_r_drop1_cancel_until_fired_and_session_end_cancels_pending(
    services: Services, host: Actor, session_id: int, live_voucher: int, clock: FrozenClock
) -> None:
    first = await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    second = await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=120)
    third = await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=180)
    cancelled = await services.drops.cancel(host, first.id)
    assert (cancelled.status, cancelled.reason) == ("cancelled", "cancelled")
    assert (await services.drops.cancel(host, first.id)).status == "cancelled"  # a repeat
    clock.advance(minutes=2)
    assert await services.drops.fire(first.id) is False  # cancelled drops never fire
    assert await services.drops.fire(second.id) is True
    with pytest.raises(Conflict) as exc:
        await services.drops.cancel(host, second.id)
    assert exc.value.code == "drop_not_pending"
    await services.live.end_session(host, session_id)
    ended = await services.drops.get(host, third.id)
    assert (ended.status, ended.reason) == ("cancelled", "session_ended")
    clock.advance(minutes=5)
    assert await services.drops.fire(third.id) is False
    with pytest.raises(Conflict) as exc:
        await services.drops.schedule(host, session_id, live_voucher, "none", in_seconds=60)
    assert exc.value.code == "session_ended"


async def test_r_drop1_session_end_racing_a_firing_drop_leaves_nothing_distributed(
    db_url: str, services: Services, host: Actor, live_voucher: int, clock: FrozenClock
) -> None:
    """Ending the session while its drop fires: either the drop is cancelled, or it fired and
    its distribution is stopped with the session, never a distribution left running."""
    other_db = Database(db_url)  # the end comes from another process
    try:
        other = Services.build(other_db, clock)
        outcomes = set()
        for _ in range(8):
            live = await services.live.start_session(host)
            drop = await services.drops.schedule(host, live.id, live_voucher, "none", in_seconds=60)
            clock.advance(minutes=1)
            await asyncio.gather(
                services.drops.fire(drop.id), other.live.end_session(host, live.id)
            )
            outcomes.add((await services.drops.get(host, drop.id)).status)
            assert await services.live.distributions(host) == []
        assert outcomes <= {"cancelled", "fired"}
    finally:
        await other_db.dispose()
