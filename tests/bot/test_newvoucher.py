"""/newvoucher end to end: every step, bad input at each, Submit, the R-v8 warning, /cancel."""

from __future__ import annotations

from sqlalchemy import select

from core.rules.roles import Actor
from core.services import Services
from storage.models import Notification, Voucher
from tests.bot.conftest import BotRig, Person, everyone_no_limits, labels


async def vouchers_in_db(services: Services) -> list[Voucher]:
    async with services.db.read() as session:
        return list((await session.execute(select(Voucher))).scalars().all())


async def test_r_b1_regular_amount_voucher_with_bad_input_at_every_step(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    assert "Which kind?" in m.content.plain_text
    bad = await sally.say("hello")
    assert "use the buttons" in bad.content.plain_text.lower()
    m = await sally.press(m, "Regular")
    assert "Discount type?" in m.content.plain_text
    m = await sally.press(m, "Amount off")
    assert "How much off?" in m.content.plain_text
    m = await sally.say("five dollars")
    assert "Send an amount in USD" in m.content.plain_text
    m = await sally.say("0")
    assert "more than zero" in m.content.plain_text
    m = await sally.say("5")
    assert "Minimum spend?" in m.content.plain_text
    m = await sally.say("4")  # R-v3: the discount must be below the minimum spend
    assert "less than the minimum spend" in m.content.plain_text
    m = await sally.say("$20")
    assert "Which products" in m.content.plain_text
    m = await sally.press(m, "Entire shop")
    assert "Total voucher quantity?" in m.content.plain_text
    m = await sally.say("lots")
    assert "whole number" in m.content.plain_text
    m = await sally.say("2000000")
    assert "The total quantity must be between 1 and 1,000,000" in m.content.plain_text
    m = await sally.say("100")
    assert "claims per customer" in m.content.plain_text
    m = await sally.say("150")
    assert "Claims per customer must be between 1 and 100" in m.content.plain_text
    m = await sally.press(m, "2")
    assert "Claim period?" in m.content.plain_text
    m = await sally.say("tomorrow")
    assert "YYYY-MM-DD HH:MM" in m.content.plain_text
    m = await sally.say("2026-05-01 10:00 to 2026-05-08 10:00")
    assert "past" in m.content.plain_text
    m = await sally.say("2026-05-01 10:00 to 2026-04-08 10:00")
    assert "must end after it starts" in m.content.plain_text
    m = await sally.say("2026-06-02 10:00 to 2026-06-09 10:00")
    m = await everyone_no_limits(sally, m)
    assert "Name the voucher" in m.content.plain_text
    m = await sally.say("Five off")
    text = m.content.plain_text
    assert "Check your voucher" in text
    assert "$5.00 off" in text and "$20.00" in text
    assert "Estimated spend: $500.00" in text
    assert await vouchers_in_db(services) == []  # R-b1: nothing saved before Submit
    assert "✅ Submit" in labels(m)
    done = await sally.press(m, "✅ Submit")
    assert "Voucher created" in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert (v.amount, v.min_spend, v.total_quantity, v.per_customer_limit) == (500, 2000, 100, 2)
    assert v.kind == "regular" and v.scope == "shop"


async def notifications(services: Services) -> list[Notification]:
    async with services.db.read() as session:
        return list((await session.execute(select(Notification))).scalars().all())


async def catalog(services: Services, seller: Actor) -> None:
    await services.products.upsert(seller, "A-1", name="Lipstick", category="Beauty", price=10_000)
    await services.products.upsert(seller, "A-2", name="Mascara", category="Beauty", price=2_500)
    await services.products.upsert(seller, "B-1", name="Kettle", category="Home", price=4_000)


async def test_r_v8_live_percent_voucher_low_max_discount_continue_notifies_team(
    rig: BotRig, sally: Person, services: Services, seller: Actor, standin
) -> None:
    await catalog(services, seller)
    standin.group(-100500, "Acme team", members=[sally.user])
    await sally.in_group(-100500).say("/team")
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "LIVE Interactive")
    m = await sally.press(m, "Percentage off")
    m = await sally.say("150%")
    assert "The percentage must be between 1 and 99" in m.content.plain_text
    m = await sally.press(m, "20%")
    assert "Maximum discount per order?" in m.content.plain_text
    m = await sally.say("1")
    m = await sally.press(m, "No minimum")
    m = await sally.press(m, "Specific products")
    assert "0 selected" in m.content.plain_text
    m = await sally.press(m, "Beauty")
    assert "Lipstick" in " ".join(labels(m))
    m = await sally.press(m, "▫️ Lipstick")
    assert "1 selected: A-1" in m.content.plain_text
    m = await sally.say("nothing-like-this")  # not an id, and no name matches
    assert "No product matches" in m.content.plain_text
    m = await sally.say("B-1")  # a product id is added directly
    assert "2 selected: A-1, B-1" in m.content.plain_text
    m = await sally.press(m, "✅ Done")
    m = await sally.press(m, "50")
    m = await sally.press(m, "1")
    m = await sally.press(m, "Now, 24 hours")
    m = await everyone_no_limits(sally, m, live=True)
    m = await sally.press(m, "Use “")
    text = m.content.plain_text
    assert "Maximum Discount Per Order is Low" in text
    # The reference basket is the highest scoped price, $100: 20% = $20, capped at $1, pays $99.
    assert "$100.00" in text and "$20.00" in text and "$1.00" in text and "$99.00" in text
    assert labels(m)[:2] == ["Continue", "Edit"]
    assert await vouchers_in_db(services) == []
    done = await sally.press(m, "Continue")
    assert "Voucher created" in done.content.plain_text and "/issue" in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert (v.kind, v.percent, v.max_discount, v.low_discount_warning) == ("live", 20, 100, True)
    notes = [n for n in await notifications(services) if n.kind == "low_discount"]
    assert len(notes) == 1 and notes[0].chat_id == -100500


async def test_edit_from_summary_then_cancel_saves_nothing(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    m = await sally.say("5")
    m = await sally.press(m, "No minimum")
    m = await sally.press(m, "Entire shop")
    m = await sally.press(m, "100")
    m = await sally.press(m, "1")
    m = await sally.press(m, "Now, 7 days")
    m = await everyone_no_limits(sally, m)
    m = await sally.press(m, "Use “")
    assert "Check your voucher" in m.content.plain_text
    m = await sally.press(m, "✏️ Edit")
    m = await sally.press(m, "Quantity")
    m = await sally.press(m, "500")
    assert "Check your voucher" in m.content.plain_text  # back at the summary after one step
    assert "Total quantity: 500" in m.content.plain_text
    m = await sally.press(m, "✏️ Edit")
    m = await sally.press(m, "Name")
    m = await sally.say("x" * 101)
    assert "at most 100 characters" in m.content.plain_text
    m = await sally.say("Summer sale")
    assert "Summer sale" in m.content.plain_text
    reply = await sally.say("/cancel")
    assert "Cancelled" in reply.content.plain_text
    assert await vouchers_in_db(services) == []
    after = await sally.say("/cancel")
    assert "Nothing to cancel" in after.content.plain_text


async def test_r_b2_flow_survives_a_restart(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    m = await sally.say("7")
    await rig.restart()
    m = await sally.press(m, "No minimum")
    assert "Which products" in m.content.plain_text
    m = await sally.press(m, "Entire shop")
    m = await sally.press(m, "10")
    m = await sally.press(m, "1")
    m = await sally.press(m, "Now, 24 hours")
    m = await everyone_no_limits(sally, m)
    m = await sally.press(m, "Use “")
    done = await sally.press(m, "✅ Submit")
    assert "Voucher created" in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert v.amount == 700


async def test_r_b2_r_b3_expired_flow_and_old_buttons(
    rig: BotRig, sally: Person, services: Services, seller: Actor, clock
) -> None:
    first = await sally.say("/newvoucher")
    second = await sally.say("/newvoucher")  # a new flow: the first one's buttons are stale
    answer = await sally.press_data(first, first.buttons[0][0].callback_data)
    assert answer and "no longer applies" in answer
    clock.advance(minutes=31)
    expired = await sally.press(second, "Regular")
    assert "expired" in expired.content.plain_text
    answer = await sally.press_data(second, second.buttons[0][0].callback_data)
    assert answer and "no longer applies" in answer


async def test_only_the_seller_may_create(
    rig: BotRig, stranger: Person, services: Services, seller: Actor
) -> None:
    reply = await stranger.say("/newvoucher")
    assert "not part of a shop" in reply.content.plain_text
    invite = await services.accounts.create_invite(seller, "marketing")
    await services.accounts.accept_invite(invite.token, stranger.user.id, "Stan")
    reply = await stranger.say("/newvoucher")
    assert "only the shop's seller" in reply.content.plain_text


async def test_minimum_spend_tiers_from_the_average_order_value(
    rig: BotRig, sally: Person, services: Services, seller: Actor, platform: Actor
) -> None:
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    m = await sally.say("2")
    assert "Not enough order history" in m.content.plain_text  # R-adv1 needs 10 orders
    assert labels(m)[0] == "No minimum"
    await sally.say("/cancel")
    for n, price in enumerate((800, 1200) * 5):
        lines = [{"product_id": "P-1", "unit_price": price, "quantity": 1}]
        await services.checkout.place_order(platform, f"order-{n}", "buyer-1", lines)
    m = await sally.say("/newvoucher")
    m = await sally.press(m, "Regular")
    m = await sally.press(m, "Amount off")
    m = await sally.say("2")
    assert "average order value (last 30 days) is $10.00" in m.content.plain_text
    assert "Medium: minimum spend $14.00 — $1.10 off" in m.content.plain_text
    assert labels(m)[:4] == ["Low $12.00", "Medium $14.00", "High $15.00", "No minimum"]
    m = await sally.press(m, "Medium")
    assert "Which products" in m.content.plain_text
