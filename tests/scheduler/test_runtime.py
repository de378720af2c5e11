"""The service runtime in-process: roles, what the leader runs, losing and taking over the
lead, and the HTTP API served in every role."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from bot.leader import Election
from bot.runtime import ROLE_API_ONLY, ROLE_FOLLOWER, ROLE_LEADER, ROLE_STOPPED, Runtime
from core.services import Services

WAIT = 10.0


class Journal:
    """What the fakes were asked to do, in order, and a way to wait for an entry."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self._changed = asyncio.Condition()

    async def add(self, entry: str) -> None:
        async with self._changed:
            self.entries.append(entry)
            self._changed.notify_all()

    async def wait_count(self, entry: str, n: int = 1) -> None:
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: self.entries.count(entry) >= n), WAIT
            )


def fakes(journal: Journal, name: str) -> dict[str, Callable[..., Any]]:
    class Side:
        def __init__(self, services: Services, settings: Settings, **kwargs: Any) -> None:
            self.bot = f"bot-{name}"
            self.kwargs = kwargs

        async def start(self) -> None:
            await journal.add(f"{name}:telegram:start")

        async def stop(self) -> None:
            await journal.add(f"{name}:telegram:stop")

        async def webhook_handler(self, request: web.Request) -> web.StreamResponse:
            return web.json_response({"handled_by": name})

    class Part:
        def __init__(self, part: str) -> None:
            self.part = part

        async def start(self) -> None:
            await journal.add(f"{name}:{self.part}:start")

        async def stop(self) -> None:
            await journal.add(f"{name}:{self.part}:stop")

    return {
        "telegram_factory": Side,
        "sender_factory": lambda services, bot: Part(f"sender({bot})"),
        "scheduler_factory": lambda services: Part("scheduler"),
    }


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "http_port": 0,
        "telegram_bot_token": "123:token",
        "metrics_enabled": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


class Running:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(runtime.run(self.stop))

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, WAIT)

    async def post(self, path: str) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.runtime.http_port}{path}"
        async with aiohttp.ClientSession() as http, http.post(url, json={}) as response:
            return response.status, await response.json(content_type=None)

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.runtime.http_port}{path}"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status, await response.json(content_type=None)


@pytest.fixture
async def run() -> AsyncIterator[Callable[[Runtime], Running]]:
    started: list[Running] = []

    def start(runtime: Runtime) -> Running:
        started.append(Running(runtime))
        return started[-1]

    yield start
    for r in started:
        if not r.task.done():
            await r.shutdown()


async def test_api_only_process_runs_no_scheduler_and_no_telegram(
    sqlite_url: str, run: Callable[[Runtime], Running]
) -> None:
    journal = Journal()
    runtime = Runtime(settings_for(sqlite_url, scheduler_enabled=False), **fakes(journal, "a"))
    running = run(runtime)
    await runtime.wait_for_role(ROLE_API_ONLY, WAIT)
    assert await running.get("/healthz") == (200, {"status": "ok"})
    await running.shutdown()
    assert runtime.role == ROLE_STOPPED
    assert journal.entries == []


async def test_second_process_on_one_sqlite_file_follows_then_takes_over(
    sqlite_url: str, run: Callable[[Runtime], Running]
) -> None:
    journal = Journal()
    webhook = {"webhook_url": "https://example.test/telegram/webhook"}
    first = run(Runtime(settings_for(sqlite_url, **webhook), **fakes(journal, "a")))
    await first.runtime.wait_for_role(ROLE_LEADER, WAIT)
    await journal.wait_count("a:telegram:start")
    second = run(Runtime(settings_for(sqlite_url, **webhook), **fakes(journal, "b")))
    await second.runtime.wait_for_role(ROLE_FOLLOWER, WAIT)

    # Every process serves the API; only the leader takes Telegram's updates.
    assert (await second.get("/healthz"))[0] == 200
    status, problem = await second.post("/telegram/webhook")
    assert status == 503 and problem["code"] == "telegram_unavailable"
    assert await first.post("/telegram/webhook") == (200, {"handled_by": "a"})

    await first.shutdown()
    await journal.wait_count("b:telegram:start")
    await second.runtime.wait_for_role(ROLE_LEADER, WAIT)
    assert journal.entries == [
        "a:scheduler:start",
        "a:telegram:start",
        "a:sender(bot-a):start",
        "a:sender(bot-a):stop",
        "a:telegram:stop",
        "a:scheduler:stop",
        "b:scheduler:start",
        "b:telegram:start",
        "b:sender(bot-b):start",
    ]
    assert await second.post("/telegram/webhook") == (200, {"handled_by": "b"})


class ControlledElection(Election):
    """Wins whenever allowed; loses the lead when told (a dropped lock connection)."""

    def __init__(self) -> None:
        super().__init__(poll_interval=0.01)
        self.allowed = asyncio.Event()
        self.allowed.set()
        self.lost = asyncio.Event()

    async def campaign(self) -> None:
        await self.allowed.wait()

    async def _try_acquire(self) -> bool:  # pragma: no cover - campaign is overridden
        return self.allowed.is_set()

    async def watch(self) -> None:
        await self.lost.wait()
        self.lost.clear()

    async def resign(self) -> None:
        pass


async def test_losing_the_lock_stops_the_scheduler_telegram_and_sender(
    sqlite_url: str, run: Callable[[Runtime], Running]
) -> None:
    journal = Journal()
    election = ControlledElection()
    runtime = Runtime(
        settings_for(sqlite_url), election_factory=lambda s: election, **fakes(journal, "a")
    )
    run(runtime)
    await journal.wait_count("a:sender(bot-a):start")

    election.allowed.clear()
    election.lost.set()
    await runtime.wait_for_role(ROLE_FOLLOWER, WAIT)
    await journal.wait_count("a:scheduler:stop")
    assert sorted(journal.entries[3:]) == [
        "a:scheduler:stop",
        "a:sender(bot-a):stop",
        "a:telegram:stop",
    ]

    election.allowed.set()
    await journal.wait_count("a:sender(bot-a):start", 2)
    assert runtime.role == ROLE_LEADER


async def test_without_a_token_the_real_bot_polls_the_local_standin(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    started = asyncio.Event()
    bots: list[Any] = []

    class Sender:
        def __init__(self, services: Services, bot: Any) -> None:
            bots.append(bot)

        async def start(self) -> None:
            started.set()

        async def stop(self) -> None:
            pass

    runtime = Runtime(
        settings_for(sqlite_url, telegram_bot_token=None), sender_factory=Sender, interactive=False
    )
    running = Running(runtime)
    try:
        await asyncio.wait_for(started.wait(), WAIT)
        standin = runtime.standin
        assert standin is not None and bots[0].token == standin.token
        await standin.wait_for(lambda: standin.calls["getUpdates"] >= 1, WAIT)
        assert "set TELEGRAM_BOT_TOKEN" in capsys.readouterr().out
    finally:
        await running.shutdown()
    assert runtime.standin is None and runtime.role == ROLE_STOPPED
