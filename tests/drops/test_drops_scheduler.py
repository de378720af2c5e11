"""R-drop1 with the leader's real scheduler: a drop fires within 1 s of its time, once, also
with two schedulers (two processes) on one database and across a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.scheduler import VoucherScheduler
from core.services import Services
from storage.db import Database
from storage.models import Distribution, Notification
from tests.conftest import draft
from tests.support.waiting import eventually


class OffsetClock:
    """The real clock moved by `offset`: time runs (APScheduler and resyncs act on it), and
    a test can jump close to a drop's due time instead of waiting a minute."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _setup(services: Services) -> tuple[int, int, object]:
    from core.rules.roles import Actor

    shop, account = await services.shops.create("Drops", owner_telegram_user_id=4004)
    seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    await services.shops.set_team_chat(seller, -100_999)
    now = services.clock.now()
    v = await services.vouchers.create(
        seller, draft(kind="live", starts_at=now, ends_at=now + timedelta(days=1))
    )
    live = await services.live.start_session(seller)
    drop = await services.drops.schedule(seller, live.id, v.id, "none", in_seconds=60)  # type: ignore[arg-type]
    return live.id, drop.id, seller


async def _wait_settled(services: Services, seller: object, drop_id: int) -> None:
    async def settled() -> bool:
        return (await services.drops.get(seller, drop_id)).status != "pending"  # type: ignore[arg-type]

    await eventually(settled, "the drop to fire", within=5)


async def test_r_drop1_scheduler_fires_within_one_second_once_with_two_processes(
    db_url: str,
) -> None:
    clock = OffsetClock()
    db_a, db_b = Database(db_url), Database(db_url)
    a, b = Services.build(db_a, clock), Services.build(db_b, clock)
    if db_a.dialect == "postgresql":
        from tests.conftest import truncate_all

        await truncate_all(db_a)
    first = second = None
    try:
        _, drop_id, seller = await _setup(a)
        drop = await a.drops.get(seller, drop_id)  # type: ignore[arg-type]
        first, second = VoucherScheduler(a), VoucherScheduler(b)  # two processes' schedulers
        await first.start()
        await second.start()
        assert [j.id for j in first.drop_jobs()] == [f"drop:{drop_id}"]
        clock.offset = drop.at - datetime.now(UTC) - timedelta(seconds=0.3)  # 0.3 s before
        await _wait_settled(a, seller, drop_id)
        fired = await a.drops.get(seller, drop_id)  # type: ignore[arg-type]
        assert fired.status == "fired"
        async with db_a.read() as s:
            [d] = list((await s.execute(select(Distribution))).scalars())
        lateness = (d.started_at - drop.at).total_seconds()
        assert 0 <= lateness <= 1.0, lateness
        await first.next_resync()
        await second.next_resync()
        await first.stop()
        restarted = VoucherScheduler(b)  # a restart: catch-up finds nothing owed
        await restarted.start()
        await restarted.stop()
        async with db_a.read() as s:
            assert len(list((await s.execute(select(Distribution))).scalars())) == 1
            kinds = list((await s.execute(select(Notification.kind))).scalars())
        assert kinds.count("drop_fired") == 1 and kinds.count("distribution_started") == 1
    finally:
        for sched in (first, second):
            if sched is not None:
                await sched.stop()
        await db_a.dispose()
        await db_b.dispose()
