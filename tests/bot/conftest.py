"""The real PTB Application, polling the local Telegram stand-in, over the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.config import Settings
from bot.telegram.application import TelegramSide
from bot.telegram_standin import RecordedMessage, TelegramStandIn, TgUser
from core.rules.roles import Actor
from core.services import Services
from tests.bot.transcript_scan import scan

SELLER_ID = 1001
TIMEOUT = 5.0


def bot_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"webhook_url": None, "webhook_secret": None}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Person:
    """A Telegram user talking to the bot through the stand-in."""

    standin: TelegramStandIn
    user: TgUser
    chat_id: int | None = None  # a group; None = the private chat

    @property
    def chat(self) -> int:
        return self.chat_id if self.chat_id is not None else self.user.id

    def in_group(self, group_id: int) -> Person:
        return Person(self.standin, self.user, group_id)

    async def say(self, text: str) -> RecordedMessage:
        """Sends text and returns the bot's next message (or edit) in this chat."""
        return await self.standin.ask(self.user, text, self.chat_id, timeout=TIMEOUT)

    async def press(self, message: RecordedMessage, label: str) -> RecordedMessage:
        """Presses the button whose label starts with `label` (or whose data is `label`)."""
        press = await self.standin.press_button(
            self.user, message, find_button(message, label), chat=self.chat_id
        )
        return await self.standin.next_reply(self.chat, TIMEOUT, since=press.seq)

    async def press_data(self, message: RecordedMessage, data: str) -> str | None:
        """Presses (possibly a stale) button and returns the callback answer's text."""
        press = await self.standin.press_button(
            self.user, message, data, chat=self.chat_id, check=False
        )
        return (await press.answer(TIMEOUT)).text


def find_button(message: RecordedMessage, label: str) -> str:
    for row in message.buttons:
        for b in row:
            if b.callback_data == label or (b.text or "").startswith(label):
                assert b.callback_data is not None
                assert len(b.callback_data.encode()) <= 64
                return b.callback_data
    labels = [b.text for row in message.buttons for b in row]
    raise AssertionError(f"no button {label!r} in {labels}: {message.content.plain_text!r}")


def labels(message: RecordedMessage) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def everyone_no_limits(
    someone: Person, m: RecordedMessage, *, live: bool = False
) -> RecordedMessage:
    """/newvoucher's targeting steps answered with their defaults (R-seg, R-budget, R-code,
    R-redeem): everyone, no budget, no code (a Regular voucher), no limit on uses."""
    m = await someone.press(m, "All buyers")
    m = await someone.press(m, "No budget")
    if not live:
        m = await someone.press(m, "No code")
    return await someone.press(m, "No limit")


@dataclass
class BotRig:
    services: Services
    standin: TelegramStandIn
    side: TelegramSide
    settings: Settings
    people: dict[int, Person] = field(default_factory=dict)

    def person(self, user_id: int, name: str, username: str | None = None) -> Person:
        if user_id not in self.people:
            self.people[user_id] = Person(self.standin, self.standin.user(user_id, name, username))
        return self.people[user_id]

    async def restart(self) -> None:
        """Stops the Application as the service would, and starts a new one on the same DB."""
        await self.side.stop()
        self.side = TelegramSide(
            self.services,
            self.settings,
            token=self.standin.token,
            base_url=self.standin.base_url,
            base_file_url=self.standin.base_file_url,
        )
        await self.side.start()


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    async with TelegramStandIn() as s:
        yield s
    # R-b5: no rule id, field name, traceback or log line in anything the bot sent.
    assert scan(s) == []


@pytest.fixture
async def rig(services: Services, standin: TelegramStandIn) -> AsyncIterator[BotRig]:
    settings = bot_settings()
    side = TelegramSide(
        services,
        settings,
        token=standin.token,
        base_url=standin.base_url,
        base_file_url=standin.base_file_url,
    )
    await side.start()
    r = BotRig(services, standin, side, settings)
    try:
        yield r
    finally:
        await r.side.stop()
    assert standin.internal_errors == []


@pytest.fixture
def sally(rig: BotRig, seller: Actor) -> Person:
    """The seller of the `seller` fixture's shop (Telegram user 1001)."""
    return rig.person(SELLER_ID, "Sally", "sally")


@pytest.fixture
def stranger(rig: BotRig) -> Person:
    return rig.person(3003, "Stan", "stan")
