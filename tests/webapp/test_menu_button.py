"""R-app1: the menu button opening the dashboard, per chat, for sellers and hosts only —
set by the real bot (tests/bot/conftest.py's rig) through the stand-in's setChatMenuButton."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.telegram.application import TelegramSide
from bot.telegram_standin import TelegramStandIn
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, bot_settings
from tests.support.waiting import eventually

URL = "https://shop.example.test/app/"


@pytest.fixture
async def rig(services: Services, standin: TelegramStandIn) -> AsyncIterator[BotRig]:
    """The bot with PUBLIC_BASE_URL set."""
    settings = bot_settings(public_base_url="https://shop.example.test/")
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


def buttons(standin: TelegramStandIn, chat_id: int) -> list[dict[str, Any]]:
    found = []
    for call in standin.call_log:
        if call.method == "setChatMenuButton" and int(call.params["chat_id"]) == chat_id:
            button = call.params["menu_button"]
            found.append(json.loads(button) if isinstance(button, str) else button)
    return found


async def test_r_app1_seller_and_host_get_the_dashboard_button_others_do_not(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    sally = rig.person(1001, "Sally", "sally")
    stan = rig.person(3003, "Stan", "stan")
    await sally.say("/start")
    await eventually(lambda: buttons(rig.standin, 1001), "the seller's button")
    assert buttons(rig.standin, 1001)[-1] == {
        "type": "web_app",
        "text": "Dashboard",
        "web_app": {"url": URL},
    }
    await stan.say("/start")
    assert buttons(rig.standin, 3003) == []  # a stranger: nothing set

    invite = await services.accounts.create_invite(seller, "marketing")
    hana = rig.person(2002, "Hana", "hana")
    await hana.say(f"/start {invite.token}")  # linked: the button comes with the command menu
    await eventually(lambda: buttons(rig.standin, 2002), "the host's button")
    assert buttons(rig.standin, 2002)[-1]["web_app"] == {"url": URL}

    # Unlinked: the chat gets Telegram's default button back.
    accounts = await sally.say("/accounts")
    confirm = await sally.press(accounts, "✂️ Unlink")
    await sally.press(confirm, "✂️ Yes, unlink")
    await eventually(lambda: buttons(rig.standin, 2002)[-1]["type"] == "default", "reset")


async def test_r_app1_no_public_base_url_no_button(
    services: Services, standin: TelegramStandIn, seller: Actor
) -> None:
    side = TelegramSide(
        services,
        bot_settings(),
        token=standin.token,
        base_url=standin.base_url,
        base_file_url=standin.base_file_url,
    )
    await side.start()
    try:
        rig = BotRig(services, standin, side, bot_settings())
        await rig.person(1001, "Sally", "sally").say("/start")
        assert buttons(standin, 1001) == []
    finally:
        await side.stop()
