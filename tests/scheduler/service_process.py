"""One `voucherbot run` process for the multi-process tests: the real Runtime (HTTP API,
election, scheduler) with a fake Telegram side and sender that report on stdout.

Lines printed: `ROLE <role>`, `TELEGRAM polling` / `TELEGRAM stopped`, `EFFECT <key>`.
`VOUCHERBOT_TEST_CLOCK_OFFSET` (seconds) runs the process's clock ahead, to stand for time
that passed while no process was running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.runtime import Runtime, serve_until_signalled
from bot.scheduler import VoucherScheduler
from core.clock import SystemClock
from core.services import Services
from core.services.schedule import ScheduledEvent


def emit(line: str) -> None:
    print(line, flush=True)


class OffsetClock(SystemClock):
    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + self.offset


class ReportingSide:
    def __init__(self, services: Services, settings: Settings, **kwargs: Any) -> None:
        self.bot = object()

    async def start(self) -> None:
        emit("TELEGRAM polling")

    async def stop(self) -> None:
        emit("TELEGRAM stopped")

    async def webhook_handler(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")


class QuietSender:
    def __init__(self, services: Services, bot: object) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


async def report_effect(event: ScheduledEvent, applied: bool) -> None:
    if applied:
        emit(f"EFFECT {event.key}")


def scheduler(services: Services) -> VoucherScheduler:
    return VoucherScheduler(services, resync_interval=0.2, on_effect=report_effect)


async def main() -> None:
    offset = float(os.environ.get("VOUCHERBOT_TEST_CLOCK_OFFSET", "0"))
    runtime = Runtime(
        Settings(_env_file=None),  # type: ignore[call-arg]
        clock=OffsetClock(timedelta(seconds=offset)),
        telegram_factory=ReportingSide,
        sender_factory=QuietSender,
        scheduler_factory=lambda s: VoucherScheduler(
            s, resync_interval=0.2, on_effect=report_effect
        ),
        interactive=False,
        on_role=lambda role: emit(f"ROLE {role}"),
    )
    await serve_until_signalled(runtime)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(main())
