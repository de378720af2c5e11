"""The close of a lucky draw by the scheduler (R-draw2, R-s2): within a second, once — also
when two schedulers race, across a restart, and with two `voucherbot run` processes."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from core.clock import SystemClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from storage.models import Claim, Draw, Notification
from tests.conftest import truncate_all
from tests.draws.helpers import open_draw
from tests.scheduler.conftest import EffectRecorder
from tests.scheduler.test_processes import ServiceProcess, _shop

ON_TIME = timedelta(seconds=1)


async def _close_at(db: Database, distribution_id: int, at: datetime) -> None:
    """The shortest window a host can choose is a minute; tests move the close nearer."""
    async with db.write() as session:
        await session.execute(
            update(Draw).where(Draw.distribution_id == distribution_id).values(closes_at=at)  # type: ignore[arg-type]
        )


async def _claims(db: Database, voucher_id: int) -> list[str]:
    async with db.read() as session:
        stmt = select(Claim.buyer_id).where(Claim.voucher_id == voucher_id)
        return sorted((await session.execute(stmt)).scalars().all())


async def _kinds(db: Database) -> list[str]:
    async with db.read() as session:
        return sorted((await session.execute(select(Notification.kind))).scalars().all())


async def _draw_with_entries(services: Services, seller: Actor, n: int = 8, winners: int = 3):  # type: ignore[no-untyped-def]
    v, _s, d = await open_draw(services, seller, winners=winners, entry_minutes=1)
    for i in range(n):
        await services.draws.enter(seller.shop_id, d.id, f"viewer-{i}")
    return v, d


async def test_r_draw2_scheduler_draws_within_a_second_once(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    v, d = await _draw_with_entries(live_services, live_seller)
    closes_at = live_services.clock.now() + timedelta(seconds=1.5)
    await _close_at(live_services.db, d.id, closes_at)
    await start_scheduler(resync_interval=60)  # only the job built at start-up can be on time
    drawn = await recorder.wait(f"draw:{d.id}:closed")
    assert closes_at <= drawn < closes_at + ON_TIME
    view = await live_services.draws.get(live_seller, d.id)
    assert view.status == "drawn" and view.drawn_at < closes_at + ON_TIME  # type: ignore[operator]
    assert len(await _claims(live_services.db, v.id)) == 3
    assert recorder.applied_at[f"draw:{d.id}:closed"] == [drawn]
    assert (await _kinds(live_services.db)).count("draw_result") == 1


async def test_r_draw2_two_services_racing_the_close_draw_once(
    db_url: str, live_services: Services, live_seller: Actor
) -> None:
    """Two processes' services (two engines, two claim stores) close the same draw at once."""
    v, d = await _draw_with_entries(live_services, live_seller, n=30, winners=10)
    await _close_at(live_services.db, d.id, live_services.clock.now())
    other_db = Database(db_url)
    other = Services.build(other_db, SystemClock())
    try:
        results = await asyncio.gather(
            live_services.draws.close(d.id), other.draws.close(d.id)
        )
    finally:
        await other_db.dispose()
    assert sorted(results) == [False, True]
    view = await live_services.draws.get(live_seller, d.id)
    claimed = await _claims(live_services.db, v.id)
    assert len(claimed) == 10 and claimed == sorted(view.winner_ids)
    assert (await _kinds(live_services.db)).count("draw_result") == 1


async def test_r_draw2_restart_catches_up_a_missed_close_once(
    live_services: Services, live_seller: Actor, recorder: EffectRecorder, start_scheduler: Any
) -> None:
    v, d = await _draw_with_entries(live_services, live_seller)
    # The close passed while no scheduler ran.
    await _close_at(live_services.db, d.id, live_services.clock.now() - timedelta(minutes=5))
    first = await start_scheduler(resync_interval=60)
    await recorder.wait(f"draw:{d.id}:closed")
    await first.stop()
    await start_scheduler(resync_interval=60)  # a restart: nothing is owed any more
    assert recorder.applied_at[f"draw:{d.id}:closed"].__len__() == 1
    assert len(await _claims(live_services.db, v.id)) == 3


async def _process_draw(services: Services) -> tuple[Actor, Any, Any]:
    seller = await _shop(services)
    v, d = await _draw_with_entries(services, seller, n=12, winners=4)
    return seller, v, d


async def test_r_draw2_killed_process_draws_once_after_restart(
    tmp_path: Path, sqlite_template: Path, processes: list[ServiceProcess]
) -> None:
    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    services = Services.build(db, SystemClock())
    try:
        _seller, v, d = await _process_draw(services)
        await _close_at(db, d.id, services.clock.now() + timedelta(minutes=30))
        first = await ServiceProcess.start("first", url, tmp_path)
        processes.append(first)
        await first.wait_line("TELEGRAM polling")
        await first.kill()  # before the close
        later = {"VOUCHERBOT_TEST_CLOCK_OFFSET": "3600"}  # the close came while it was down
        second = await ServiceProcess.start("second", url, tmp_path, **later)
        processes.append(second)
        await second.wait_line(f"EFFECT draw:{d.id}:closed")
        assert await second.terminate() == 0
        third = await ServiceProcess.start("third", url, tmp_path, **later)
        processes.append(third)
        await third.wait_line("TELEGRAM polling")
        assert await third.terminate() == 0
        effects = [ln for p in processes for ln in p.lines if ln == f"EFFECT draw:{d.id}:closed"]
        assert len(effects) == 1
        assert len(await _claims(db, v.id)) == 4
        assert (await _kinds(db)).count("draw_result") == 1
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_r_draw2_two_processes_on_postgresql_draw_once(
    pg_url: str, tmp_path: Path, processes: list[ServiceProcess]
) -> None:
    db = Database(pg_url)
    await truncate_all(db)
    services = Services.build(db, SystemClock())
    token = {"TELEGRAM_BOT_TOKEN": "123456:test-token"}
    try:
        seller, v, d = await _process_draw(services)
        await _close_at(db, d.id, services.clock.now() + timedelta(minutes=30))
        first = await ServiceProcess.start("pg-first", pg_url, tmp_path, **token)
        processes.append(first)
        await first.wait_line("ROLE leader")
        second = await ServiceProcess.start("pg-second", pg_url, tmp_path, **token)
        processes.append(second)
        await second.wait_line("ROLE follower")
        closes_at = services.clock.now() + timedelta(seconds=3)
        await _close_at(db, d.id, closes_at)  # both processes see the new close (resync)
        await first.kill()  # the leader dies before the close; the follower takes over
        await second.wait_line("ROLE leader", timeout=10)
        await second.wait_line(f"EFFECT draw:{d.id}:closed", timeout=15)
        assert await second.terminate() == 0
        effects = [ln for p in processes for ln in p.lines if ln == f"EFFECT draw:{d.id}:closed"]
        assert len(effects) == 1
        view = await services.draws.get(seller, d.id)
        assert view.status == "drawn" and len(view.claims) == 4
        assert len(await _claims(db, v.id)) == 4
        assert (await _kinds(db)).count("draw_result") == 1
    finally:
        await db.dispose()
