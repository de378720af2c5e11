"""Real `voucherbot run` processes (tests/scheduler/service_process.py): a leader killed with
SIGKILL, a restart that catches up, and two processes sharing PostgreSQL (R-s2)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import SystemClock
from core.rules.roles import Actor
from core.services import Services
from storage.db import Database
from storage.models import AppliedEffect, Notification
from tests.conftest import draft, truncate_all

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
TAKEOVER_LIMIT = 5.0


class ServiceProcess:
    """A child process whose stdout lines can be awaited."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, database_url: str, logs: Path, **env: str) -> ServiceProcess:
        environ = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": "0",
            "SCHEDULER_ENABLED": "true",
            "METRICS_ENABLED": "false",
            **env,
        }
        if "TELEGRAM_BOT_TOKEN" not in env:
            environ.pop("TELEGRAM_BOT_TOKEN", None)  # the stand-in path
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.scheduler.service_process",
            cwd=ROOT,
            env=environ,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=(logs / f"{name}.log").open("wb"),
        )
        return cls(proc, name)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            async with self._changed:
                self.lines.append(raw.decode().rstrip("\n"))
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def wait_line(self, line: str, timeout: float = START_TIMEOUT) -> int:  # noqa: ASYNC109
        """Index of the first stdout line equal to `line`, once printed."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: line in self.lines or self._reader.done()),
                    timeout,
                )
            except TimeoutError:
                raise AssertionError(f"{self.name}: no {line!r} in {self.lines}") from None
        assert line in self.lines, f"{self.name} exited without {line!r}: {self.lines}"
        return self.lines.index(line)

    def count(self, line: str) -> int:
        return self.lines.count(line)

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        await self._reader

    async def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        await self._reader
        return code


@pytest.fixture
async def processes() -> AsyncIterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    yield started
    for p in started:
        if p.proc.returncode is None:
            await p.kill()


async def _shop(services: Services) -> Actor:
    shop, account = await services.shops.create("Multi", owner_telegram_user_id=3003)
    actor = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    await services.shops.set_team_chat(actor, -100_555)
    return actor


async def _ledger(db: Database) -> list[str]:
    async with db.read() as session:
        return sorted((await session.execute(select(AppliedEffect.key))).scalars().all())


async def _notification_kinds(db: Database) -> list[str]:
    async with db.read() as session:
        return sorted((await session.execute(select(Notification.kind))).scalars().all())


async def test_killed_leader_fires_the_close_exactly_once_after_restart(
    tmp_path: Path, sqlite_template: Path, processes: list[ServiceProcess]
) -> None:
    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    services = Services.build(db, SystemClock())
    try:
        seller = await _shop(services)
        now = services.clock.now()
        v = await services.vouchers.create(
            seller, draft(starts_at=now + timedelta(seconds=1), ends_at=now + timedelta(hours=1))
        )
        keys = [f"voucher:{v.id}:{e}" for e in ("opened", "closed", "expired")]

        first = await ServiceProcess.start("first", url, tmp_path)
        processes.append(first)
        await first.wait_line(f"EFFECT {keys[0]}")
        await first.kill()  # between open and close

        # Two hours later (the restarted process's clock runs ahead): the close was missed.
        later = {"VOUCHERBOT_TEST_CLOCK_OFFSET": "7200"}
        second = await ServiceProcess.start("second", url, tmp_path, **later)
        processes.append(second)
        await second.wait_line(f"EFFECT {keys[1]}")
        await second.wait_line(f"EFFECT {keys[2]}")
        assert await second.terminate() == 0
        assert "TELEGRAM stopped" in second.lines

        third = await ServiceProcess.start("third", url, tmp_path, **later)
        processes.append(third)
        await third.wait_line("TELEGRAM polling")  # after the start-up catch-up
        assert await third.terminate() == 0

        effects = [line for p in processes for line in p.lines if line.startswith("EFFECT")]
        assert sorted(effects) == sorted(f"EFFECT {k}" for k in keys)
        assert await _ledger(db) == sorted(keys)
        assert await _notification_kinds(db) == ["claim_period_closed", "claim_period_opened"]
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_two_processes_on_postgresql_share_the_work_and_take_over(
    pg_url: str, tmp_path: Path, processes: list[ServiceProcess]
) -> None:
    db = Database(pg_url)
    await truncate_all(db)
    services = Services.build(db, SystemClock())
    token = {"TELEGRAM_BOT_TOKEN": "123456:test-token"}
    try:
        seller = await _shop(services)
        first = await ServiceProcess.start("pg-first", pg_url, tmp_path, **token)
        processes.append(first)
        await first.wait_line("ROLE leader")
        await first.wait_line("TELEGRAM polling")
        second = await ServiceProcess.start("pg-second", pg_url, tmp_path, **token)
        processes.append(second)
        await second.wait_line("ROLE follower")

        now = services.clock.now()
        v = await services.vouchers.create(
            seller,
            draft(starts_at=now + timedelta(seconds=1), ends_at=now + timedelta(seconds=4)),
        )
        keys = [f"voucher:{v.id}:{e}" for e in ("opened", "closed", "expired")]
        await first.wait_line(f"EFFECT {keys[0]}")

        await first.kill()
        killed = time.monotonic()
        became_leader = await second.wait_line("ROLE leader", timeout=TAKEOVER_LIMIT * 2)
        assert time.monotonic() - killed < TAKEOVER_LIMIT
        polling = await second.wait_line("TELEGRAM polling")
        assert polling > became_leader  # the follower never polled Telegram before
        assert first.count("TELEGRAM polling") == 1

        await second.wait_line(f"EFFECT {keys[1]}", timeout=15)
        await second.wait_line(f"EFFECT {keys[2]}", timeout=15)
        assert await second.terminate() == 0

        effects = [line for p in processes for line in p.lines if line.startswith("EFFECT")]
        assert sorted(effects) == sorted(f"EFFECT {k}" for k in keys)
        assert await _ledger(db) == sorted(keys)
        assert await _notification_kinds(db) == ["claim_period_closed", "claim_period_opened"]
    finally:
        await db.dispose()
