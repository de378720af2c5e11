"""The APScheduler wiring with a real AsyncIOScheduler on the real clock (R-s1, R-s2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.scheduler import VoucherScheduler
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage.models import Notification
from tests.conftest import draft
from tests.scheduler.conftest import EffectRecorder

ON_TIME = timedelta(seconds=1)


def _job_ids(scheduler: VoucherScheduler, voucher_id: int) -> list[str]:
    return sorted(j.id for j in scheduler.effect_jobs() if f":{voucher_id}:" in j.id)


async def _kinds(services: Services) -> list[str]:
    async with services.db.read() as session:
        return sorted((await session.execute(select(Notification.kind))).scalars().all())


async def test_open_and_close_fire_within_a_second_of_due_time(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    now = live_services.clock.now()
    v = await live_services.vouchers.create(
        live_seller,
        draft(starts_at=now + timedelta(seconds=1.5), ends_at=now + timedelta(seconds=3)),
    )
    # A long resync interval: only the date jobs built at start-up can be on time.
    await start_scheduler(resync_interval=60)

    opened = await recorder.wait(f"voucher:{v.id}:opened")
    assert v.starts_at <= opened < v.starts_at + ON_TIME
    closed = await recorder.wait(f"voucher:{v.id}:closed")
    assert v.ends_at <= closed < v.ends_at + ON_TIME
    await recorder.wait(f"voucher:{v.id}:expired")
    assert await _kinds(live_services) == ["claim_period_closed", "claim_period_opened"]
    assert all(len(times) == 1 for times in recorder.applied_at.values())


async def test_an_edited_start_time_moves_the_job(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    now = live_services.clock.now()
    v = await live_services.vouchers.create(
        live_seller,
        draft(starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)),
    )
    scheduler = await start_scheduler(resync_interval=0.1)
    job = scheduler.scheduler.get_job(f"effect:voucher:{v.id}:opened")
    assert job.next_run_time == v.starts_at

    later = now + timedelta(minutes=90)
    await live_services.vouchers.edit(live_seller, v.id, {"starts_at": later})
    await asyncio.wait_for(scheduler.next_resync(), 5)
    assert scheduler.scheduler.get_job(f"effect:voucher:{v.id}:opened").next_run_time == later

    sooner = live_services.clock.now() + timedelta(seconds=1)
    await live_services.vouchers.edit(live_seller, v.id, {"starts_at": sooner})
    opened = await recorder.wait(f"voucher:{v.id}:opened")
    assert sooner <= opened < sooner + ON_TIME


async def test_a_deactivated_voucher_loses_its_jobs(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    now = live_services.clock.now()
    v = await live_services.vouchers.create(
        live_seller,
        draft(starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=1)),
    )
    scheduler = await start_scheduler(resync_interval=0.1)
    assert _job_ids(scheduler, v.id) == [
        f"effect:voucher:{v.id}:{e}" for e in ("closed", "expired", "opened")
    ]

    await live_services.vouchers.deactivate(live_seller, v.id)
    await asyncio.wait_for(scheduler.next_resync(), 5)
    assert _job_ids(scheduler, v.id) == []
    assert await _kinds(live_services) == ["deactivated"]


async def test_restart_catches_up_a_missed_close_exactly_once(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    """Two scheduler instances on one database stand for one process before and after a
    crash; their clocks stand for the time that passed."""
    now = live_services.clock.now()
    v = await live_services.vouchers.create(
        live_seller,
        draft(starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(minutes=10)),
    )
    db = live_services.db
    before = Services.build(db, FrozenClock(now + timedelta(minutes=2)))
    first = await start_scheduler(before, resync_interval=60)
    assert list(recorder.applied_at) == [f"voucher:{v.id}:opened"]
    first.scheduler.shutdown(wait=False)  # "killed": no graceful stop

    after = Services.build(db, FrozenClock(now + timedelta(minutes=30)))
    await start_scheduler(after, resync_interval=60)
    await start_scheduler(after, resync_interval=60)  # and once more: nothing left to do

    assert {k: len(t) for k, t in recorder.applied_at.items()} == {
        f"voucher:{v.id}:opened": 1,
        f"voucher:{v.id}:closed": 1,
        f"voucher:{v.id}:expired": 1,
    }
    assert await _kinds(live_services) == ["claim_period_closed", "claim_period_opened"]


async def test_periodic_jobs_are_registered_and_run(
    live_services: Services, live_seller: Actor, start_scheduler: Any
) -> None:
    scheduler = await start_scheduler()
    ids = {j.id for j in scheduler.scheduler.get_jobs()}
    assert {"resync", "expiry-sweep", "sellout-forecast"} <= ids
    await scheduler.sweep()
    await scheduler.forecast_sellouts()
