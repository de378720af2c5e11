"""Fixtures of the outbox sender tests: the Telegram stand-in, a real `telegram.Bot` pointed at
it, outbox rows written the way core writes them, and the stand-in's arrival times."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import col, select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.telegram.outbox_sender import OutboxSender, RetryPolicy, TelegramLimits
from bot.telegram_standin import TelegramStandIn
from bot.telegram_standin.conversation_log import BOT_MESSAGE
from core.clock import Clock
from core.rules.roles import Actor
from storage import repositories as repo
from storage.db import Database
from storage.models import Notification

PRIVATE_CHAT = 1001
TEAM_GROUP = -100500
OTHER_GROUP = -100600
# Fast limits for tests that are not about pacing: the rules stay the same, only quicker.
QUICK_LIMITS = TelegramLimits(chat_interval=0.01)
NO_JITTER = RetryPolicy(base=10.0, cap=300.0, jitter=0.0, max_attempts=5)


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as server:
        server.user(PRIVATE_CHAT, "Sally", "sally", started=True)
        server.group(TEAM_GROUP, "Acme team")
        server.group(OTHER_GROUP, "Acme hosts")
        yield server
        assert server.internal_errors == []


def make_bot(standin: TelegramStandIn, *, read_timeout: float = 5.0) -> Bot:
    return Bot(
        token=standin.token,
        base_url=standin.base_url,
        request=HTTPXRequest(read_timeout=read_timeout, connection_pool_size=64),
    )


@pytest.fixture
async def tg_bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    async with make_bot(standin) as bot:
        yield bot


@pytest.fixture
def shop_id(seller: Actor) -> int:
    return seller.shop_id


class Outbox:
    """Writes notifications as `core.notifications.notify` does, and reads them back."""

    def __init__(self, db: Database, shop_id: int, clock: Clock) -> None:
        self.db, self.shop_id, self.clock = db, shop_id, clock
        self._keys = 0

    async def add(
        self,
        chat_id: int,
        text: str,
        *,
        buttons: str | None = None,
        at: datetime | None = None,
        kind: str = "test",
    ) -> int:
        self._keys += 1
        key = f"shop:{self.shop_id}:test:{self._keys}"
        now = at or self.clock.now()
        async with self.db.write() as session:
            await repo.add_notification(
                session,
                {
                    "shop_id": self.shop_id,
                    "event_key": key,
                    "kind": kind,
                    "chat_id": chat_id,
                    "text": text,
                    "buttons": buttons,
                    "created_at": now,
                    "next_attempt_at": now,
                },
            )
            stmt = select(Notification.id).where(Notification.event_key == key)
            return int((await session.execute(stmt)).scalar_one())

    async def rows(self) -> list[Notification]:
        async with self.db.read() as session:
            stmt = select(Notification).order_by(col(Notification.id))
            return list((await session.execute(stmt)).scalars().all())

    async def row(self, notification_id: int) -> Notification:
        async with self.db.read() as session:
            found = await session.get(Notification, notification_id)
            assert found is not None
            return found


@pytest.fixture
def outbox_rows(db: Database, shop_id: int, clock: Clock) -> Outbox:
    return Outbox(db, shop_id, clock)


@pytest.fixture
def make_sender(db: Database, tg_bot: Bot, clock: Clock) -> Callable[..., OutboxSender]:
    def build(**options: Any) -> OutboxSender:
        options.setdefault("clock", clock)
        options.setdefault("limits", QUICK_LIMITS)
        options.setdefault("retry", NO_JITTER)
        options.setdefault("on_pending", lambda _count: None)
        return OutboxSender(options.pop("db", db), options.pop("bot", tg_bot), **options)

    return build


@dataclass(frozen=True)
class Arrival:
    chat_id: int
    text: str
    at: float  # time.monotonic() when the stand-in stored the message


@pytest.fixture
def arrivals(standin: TelegramStandIn, monkeypatch: pytest.MonkeyPatch) -> list[Arrival]:
    """Every bot message as the stand-in stores it, with a precise arrival time (the stand-in's
    own message dates are whole seconds)."""
    seen: list[Arrival] = []
    log = standin.state.log
    original = log.add_event

    async def add_event(kind: str, chat: Any, **kwargs: Any) -> Any:
        message = kwargs.get("message")
        if kind == BOT_MESSAGE and message is not None:
            seen.append(Arrival(chat.id, message.plain_text or "", time.monotonic()))
        return await original(kind, chat, **kwargs)

    monkeypatch.setattr(log, "add_event", add_event)
    return seen


def texts(standin: TelegramStandIn, chat_id: int) -> list[str]:
    return [m.plain_text or "" for m in standin.messages(chat_id)]


@pytest.fixture(autouse=True)
def no_sender_crashes(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A traceback logged by the sender is a bug even when the outcome looks right."""
    yield
    crashes = [
        record
        for record in caplog.records
        if record.name.startswith("bot.telegram.outbox_sender") and record.exc_info
    ]
    assert crashes == [], [record.getMessage() for record in crashes]
