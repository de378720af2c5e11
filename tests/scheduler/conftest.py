"""Fixtures of the scheduler tests: services on the real clock (APScheduler fires on it), a
shop with a team chat, and a recorder that turns applied effects into awaitable events."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bot.scheduler import VoucherScheduler
from core.clock import SystemClock
from core.rules.roles import Actor
from core.services import Services
from core.services.schedule import ScheduledEvent
from storage.db import Database

TEAM_CHAT = -100_777


class EffectRecorder:
    """`on_effect` of a VoucherScheduler: when each effect was applied, and how often."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.applied_at: dict[str, list[datetime]] = defaultdict(list)
        self._changed = asyncio.Condition()

    async def __call__(self, event: ScheduledEvent, applied: bool) -> None:
        if not applied:
            return
        async with self._changed:
            self.applied_at[event.key].append(self.services.clock.now())
            self._changed.notify_all()

    async def wait(self, key: str, timeout: float = 5.0) -> datetime:  # noqa: ASYNC109
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: key in self.applied_at), timeout)
        return self.applied_at[key][0]


@pytest.fixture
def live_services(db: Database) -> Services:
    return Services.build(db, SystemClock())


@pytest.fixture
async def live_seller(live_services: Services) -> Actor:
    shop, account = await live_services.shops.create(
        "Realtime", owner_telegram_user_id=2002, owner_name="Rita"
    )
    actor = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    await live_services.shops.set_team_chat(actor, TEAM_CHAT)
    return actor


@pytest.fixture
def recorder(live_services: Services) -> EffectRecorder:
    return EffectRecorder(live_services)


@pytest.fixture
async def start_scheduler(
    live_services: Services, recorder: EffectRecorder
) -> AsyncIterator[object]:
    started: list[VoucherScheduler] = []

    async def start(services: Services | None = None, **options: float) -> VoucherScheduler:
        scheduler = VoucherScheduler(
            services or live_services,
            on_effect=recorder,
            **options,  # type: ignore[arg-type]
        )
        await scheduler.start()
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        await scheduler.stop()
