"""R-money-in and R-money-change as a seller meets them in the chat."""

from __future__ import annotations

from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person
from tests.conftest import draft


async def start_amount_voucher(sally: Person) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    assert "How much off?" in m.content.plain_text


async def test_r_money_in_usd_shop_refuses_5_comma_50_and_accepts_5_point_50(
    rig: BotRig, sally: Person
) -> None:
    await start_amount_voucher(sally)
    m = await sally.say("5,50")
    text = m.content.plain_text
    assert "How much off?" in text  # the same question again
    assert "Did you mean $5.50?" in text
    for bad, says in [("-5", "negative"), ("1e3", "plain digits"), ("5.555", "2 decimals")]:
        m = await sally.say(bad)
        assert says in m.content.plain_text, (bad, m.content.plain_text)
    m = await sally.say("5.50")
    assert "Minimum spend?" in m.content.plain_text


async def test_r_money_in_idr_shop_refuses_decimals_and_reads_grouping(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.shops.update_settings(seller, currency="IDR")
    await start_amount_voucher(sally)
    m = await sally.say("5.5")
    # R-l10n4: the example is in the English chat's writing, as the question shows it
    assert "no decimals" in m.content.plain_text and "Rp10,000" in m.content.plain_text
    m = await sally.say("Rp10.000")
    assert "Minimum spend?" in m.content.plain_text


async def test_r_money_change_refused_in_the_chat_once_vouchers_exist(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.shops.update_settings(seller, currency="IDR")
    await services.vouchers.create(seller, draft(amount=800_000, min_spend=1_000_000))
    m = await sally.say("/setup currency EUR")
    text = m.content.plain_text
    assert "can't change" in text and "vouchers" in text
    shop = await services.shops.get(seller.shop_id)
    assert shop.currency == "IDR"
