"""R-l10n5: defaults follow the person — the shop's team language, the market's currency and
zone offered first, and linked accounts greeted in their own language, else the shop's."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from core.services.languages import (
    greeting_language,
    market,
    opening_settings,
    suggested_first,
)
from tests.bot.conftest import BotRig, Person, labels


def test_r_l10n5_market_of_each_language() -> None:
    assert opening_settings("id") == ("IDR", "Asia/Jakarta")
    assert opening_settings("th") == ("THB", "Asia/Bangkok")
    assert opening_settings("vi") == ("VND", "Asia/Ho_Chi_Minh")
    assert opening_settings("ms") == ("MYR", "Asia/Kuala_Lumpur")
    assert opening_settings("es") == ("EUR", "Europe/Madrid")
    # English (or an unknown language): the deployment's own defaults.
    assert opening_settings("en", "SGD", "Asia/Singapore") == ("SGD", "Asia/Singapore")
    assert opening_settings(None) == ("USD", "UTC")
    assert suggested_first(["USD", "IDR", "THB"], market("th").currencies) == (
        "THB",
        "USD",
        "IDR",
    )


def test_r_l10n5_greeting_language() -> None:
    assert greeting_language("th", "id", "es") == "th"
    assert greeting_language(None, "id", "es") == "id"
    assert greeting_language(None, None, "es") == "es"
    assert greeting_language(None, "xx", None) == "en"


async def test_r_l10n5_shop_created_in_the_sellers_language(services: Services) -> None:
    shop, _seller = await services.shops.create(
        "Toko Sari", currency="IDR", timezone="Asia/Jakarta", language="id"
    )
    assert (shop.language, shop.currency, shop.timezone) == ("id", "IDR", "Asia/Jakarta")
    with pytest.raises(ValidationFailed):
        await services.shops.create("Toko", language="xx")


def _speaker(rig: BotRig, user_id: int, name: str, language: str | None) -> Person:
    user = rig.standin.user(user_id, name, name.lower(), language_code=language)
    rig.people[user_id] = Person(rig.standin, user)
    return rig.people[user_id]


async def test_r_l10n5_setup_in_indonesian_starts_in_idr_jakarta_and_team_in_indonesian(
    rig: BotRig, services: Services
) -> None:
    sari = _speaker(rig, 4004, "Sari", "id")
    await sari.say("/setup")
    m = await sari.say("Toko Sari")
    member = await services.accounts.membership(4004)
    assert member is not None
    assert (member.shop.language, member.shop.currency, member.shop.timezone) == (
        "id",
        "IDR",
        "Asia/Jakarta",
    )
    buttons = labels(m)
    assert buttons[0] == "IDR"  # the market's currency offered first
    assert "Jakarta" in buttons


async def test_r_l10n5_linked_host_greeted_in_the_shops_language(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    await services.languages.set_shop_language(seller, "id")
    invite = await services.accounts.create_invite(seller, "marketing")
    host = _speaker(rig, 2002, "Hank", "de")  # a Telegram app in no language of ours
    welcome = await host.say(f"/start {invite.token}")
    assert "Anda sekarang tertaut" in welcome.content.plain_text
    later = await host.say("/vouchers")  # and every later answer, until they choose otherwise
    assert "Belum ada voucher" in later.content.plain_text
    thai = _speaker(rig, 2003, "Tida", "th")
    invite = await services.accounts.create_invite(seller, "marketing")
    welcome = await thai.say(f"/start {invite.token}")
    assert "ไลฟ์" in welcome.content.plain_text  # her own language wins over the shop's
