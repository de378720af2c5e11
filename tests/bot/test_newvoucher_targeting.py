"""/newvoucher's targeting steps end to end (issues 20 and 21): each buyer segment (R-seg), a
budget (R-budget), a generated or typed promo code (R-code) and uses allowed (R-redeem), typed
in English, Indonesian and Thai (R-l10n4: read in the person's writing, echoed before it is
saved, refused with the step's problem and nothing saved)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.i18n import _, money, speaking
from bot.telegram.wording import segment_label
from bot.telegram_standin import RecordedMessage
from core.rules.roles import Actor
from core.rules.targeting import READABLE, Segment
from core.services import Services
from storage.models import Voucher
from tests.bot.conftest import BotRig, Person, labels
from tests.conftest import draft


async def vouchers_in_db(services: Services) -> list[Voucher]:
    async with services.db.read() as session:
        return list((await session.execute(select(Voucher))).scalars().all())


def speaker(rig: BotRig, language: str) -> Person:
    """The seller (user 1001) writing from a Telegram app in `language`."""
    user = rig.standin.user(1001, "Sally", "sally", language_code=language)
    rig.people[1001] = Person(rig.standin, user)
    return rig.people[1001]


def w(language: str, text: str, **values: object) -> str:
    with speaking(language):
        return _(text).format(**values) if values else _(text)


def segment_button(language: str, segment: Segment) -> str:
    with speaking(language):
        label = segment_label(segment)
    return label[:1].upper() + label[1:]


class Walk:
    """The seller answering /newvoucher in their language, up to the targeting steps."""

    def __init__(self, someone: Person, language: str = "en") -> None:
        self.someone, self.language = someone, language

    async def press(self, m: RecordedMessage, english: str) -> RecordedMessage:
        return await self.someone.press(m, w(self.language, english))

    async def to_segment(self, amount: str = "5", *, live: bool = False) -> RecordedMessage:
        m = await self.someone.say("/newvoucher")
        m = await self.press(m, "LIVE Interactive" if live else "Regular")
        m = await self.press(m, "Amount off")
        m = await self.someone.say(amount)
        m = await self.press(m, "No minimum")
        m = await self.press(m, "Entire shop")
        m = await self.someone.press(m, "100")
        m = await self.someone.press(m, "1")
        m = await self.press(m, "Now, 7 days")
        assert w(self.language, "Who can claim it? Tap one:") in m.content.plain_text
        return m

    async def submit(self, m: RecordedMessage) -> RecordedMessage:
        """From the name step: the suggested name, then ✅ Submit."""
        assert w(self.language, "Check your voucher") not in m.content.plain_text
        use = w(self.language, "Use “{name}”").split("{name}")[0]
        summary = await self.someone.press(m, use)
        assert w(self.language, "Check your voucher") in summary.content.plain_text
        return await self.press(summary, "✅ Submit")


@pytest.mark.parametrize("segment", list(Segment))
async def test_r_seg_a_voucher_for_each_segment(
    rig: BotRig, sally: Person, services: Services, seller: Actor, segment: Segment
) -> None:
    walk = Walk(sally)
    m = await walk.to_segment()
    text = m.content.plain_text
    assert "Buyers who have never ordered from your shop." in text  # each with its meaning
    assert "in the last 30 days" in text and "in the last 365 days" in text
    m = await sally.press(m, segment_button("en", segment))
    assert "Budget?" in m.content.plain_text
    m = await sally.press(m, "No budget")
    m = await sally.press(m, "No code")
    m = await sally.press(m, "No limit")
    done = await walk.submit(m)
    assert "Voucher created" in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == (segment.value, None, None, None)


async def test_r_seg_the_windows_are_the_shops(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.shops.set_segment_windows(seller, repeat_days=45)
    m = await Walk(sally).to_segment()
    assert "Buyers who ordered from your shop in the last 45 days." in m.content.plain_text


async def test_r_seg_a_second_new_customer_voucher_is_refused_at_its_step(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Welcome", segment="new_customers"))
    m = await Walk(sally).to_segment()
    m = await sally.press(m, "New customers")
    text = m.content.plain_text
    assert "Only one voucher for new customers" in text and "Welcome" in text
    assert "Who can claim it?" in text  # the same question again
    assert len(await vouchers_in_db(services)) == 1


async def test_r_budget_typed_checked_echoed_and_saved(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    walk = Walk(sally)
    m = await sally.press(await walk.to_segment("5"), "All buyers")
    assert "largest discount ($5.00)" in m.content.plain_text
    m = await sally.say("lots")
    assert "That isn't an amount." in m.content.plain_text and "Budget?" in m.content.plain_text
    m = await sally.say("$3")  # R-budget: below one claim's largest discount, as core says
    text = m.content.plain_text
    assert "Read as: $3.00" in text
    assert "The budget must cover at least one discount: $5.00 or more." in text
    assert "Budget?" in text
    m = await sally.say("5,50")  # R-money-in: refused in a USD chat, never 550
    assert "Did you mean $5.50?" in m.content.plain_text
    m = await sally.say("$250")
    assert "Read as: $250.00" in m.content.plain_text
    assert "Promo code?" in m.content.plain_text
    m = await sally.press(m, "No code")
    m = await sally.say("5,5")  # uses allowed: a count, never 55
    assert "I can't tell which number 5,5 is." in m.content.plain_text
    m = await sally.say("40")
    assert "Read as: 40" in m.content.plain_text and "Name the voucher" in m.content.plain_text
    assert await vouchers_in_db(services) == []  # R-b1: nothing before Submit
    m = await sally.press(m, "Use “")
    text = m.content.plain_text
    assert "Budget: $250.00" in text and "Uses allowed: 40" in text
    done = await sally.press(m, "✅ Submit")
    assert "Budget: $0.00 spent, $0.00 reserved, $250.00 of $250.00 left" in (
        done.content.plain_text
    )
    [v] = await vouchers_in_db(services)
    assert (v.budget, v.redemption_limit) == (25_000, 40)


async def test_r_code_generated_code_and_share_text(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await Walk(sally).to_segment()
    m = await sally.press(m, "All buyers")
    m = await sally.press(m, "No budget")
    offered = next(b.text for row in m.buttons for b in row if b.text.startswith("Use "))
    code = offered.removeprefix("Use ")
    assert len(code) == 8 and set(code) <= set(READABLE)  # readable: no 0/O, no 1/I
    m = await sally.press(m, offered)
    m = await sally.press(m, "No limit")
    m = await sally.press(m, "Use “")
    assert f"Promo code: {code}" in m.content.plain_text
    done = await sally.press(m, "✅ Submit")
    text = done.content.plain_text
    assert "ready to forward" in text
    assert f"with the code {code}" in text and "Enter it at checkout" in text
    [v] = await vouchers_in_db(services)
    assert v.code == code


async def test_r_code_typed_code_read_checked_and_unique(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Taken", code="SUMMER26"))
    m = await Walk(sally).to_segment()
    m = await sally.press(m, "All buyers")
    m = await sally.press(m, "No budget")
    m = await sally.say("ab1")
    assert "A promo code is 6–12 letters A–Z and digits" in m.content.plain_text
    m = await sally.say("summer26")  # read case-insensitively, and already used
    text = m.content.plain_text
    assert "Taken" in text and "already uses this promo code" in text
    assert "Promo code?" in text
    m = await sally.say("raya2026")
    assert "Read as: RAYA2026" in m.content.plain_text
    m = await sally.press(m, "No limit")
    m = await sally.press(m, "Use “")
    done = await sally.press(m, "✅ Submit")
    assert "RAYA2026" in done.content.plain_text
    codes = sorted(v.code for v in await vouchers_in_db(services) if v.code)
    assert codes == ["RAYA2026", "SUMMER26"]


async def test_r_code_a_live_voucher_is_never_asked_for_a_code(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await Walk(sally).to_segment(live=True)
    m = await sally.press(m, "All buyers")
    m = await sally.press(m, "No budget")
    assert "How many orders may use it?" in m.content.plain_text
    m = await sally.press(m, "No limit")
    m = await sally.press(m, "Use “")
    m = await sally.press(m, "✏️ Edit")
    assert "Promo code" not in [b.text for row in m.buttons for b in row]


async def test_edit_reaches_each_targeting_step_and_back_to_the_summary(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    m = await Walk(sally).to_segment()
    for label in ("All buyers", "No budget", "No code", "No limit", "Use “"):
        m = await sally.press(m, label)
    text = m.content.plain_text
    assert "Only for: all buyers" in text and "Budget: none" in text
    assert "Promo code: none" in text and "Uses allowed: no limit" in text
    for edit, question, answer, tap in (
        ("Buyers", "Who can claim it?", "Repeat customers", True),
        ("Budget", "Budget?", "$80", False),
        ("Promo code", "Promo code?", "FLASH123", False),
        ("Uses allowed", "How many orders may use it?", "12", False),
    ):
        m = await sally.press(m, "✏️ Edit")
        m = await sally.press(m, edit)
        assert question in m.content.plain_text
        m = await (sally.press(m, answer) if tap else sally.say(answer))
        assert "Check your voucher" in m.content.plain_text, m.content.plain_text
    text = m.content.plain_text
    assert "Only for: repeat customers" in text and "Budget: $80.00" in text
    assert "Promo code: FLASH123" in text and "Uses allowed: 12" in text
    m = await sally.press(m, "✏️ Edit")
    m = await sally.press(m, "Budget")
    assert "Now: $80.00" in m.content.plain_text
    m = await sally.press(m, "◀ Back")  # editing: back to the summary, unchanged
    assert "Budget: $80.00" in m.content.plain_text


async def test_r_l10n4_indonesian_budget_5_comma_5_is_five_and_a_half(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    """In Indonesian `5,5` is five and a half: a budget of $5.50, never $55; `1.000` uses is
    one thousand; `tanpa` is no code; each is echoed in Indonesian before it is saved."""
    sari = speaker(rig, "id")
    walk = Walk(sari, "id")
    m = await walk.to_segment("1")
    m = await sari.press(m, segment_button("id", Segment.REPEAT_CUSTOMERS))
    budget_step = w("id", "Step {step} of {steps}", step=10, steps=13)
    assert budget_step in m.content.plain_text
    m = await sari.say("5.5.5")
    assert budget_step in m.content.plain_text  # the step's problem, the same question again
    assert await vouchers_in_db(services) == []
    m = await sari.say("5,5")
    with speaking("id"):
        read = _("✏️ Read as: {value}").format(value=money(550, "USD"))
    assert read in m.content.plain_text
    m = await sari.say("tanpa")  # no code
    m = await sari.say("5,5")  # uses: refused as not whole, never 55
    assert w("id", "{typed} is not a whole number.", typed="5,5") in m.content.plain_text
    m = await sari.say("1.000")
    assert w("id", "✏️ Read as: {value}", value="1.000") in m.content.plain_text
    done = await walk.submit(m)
    assert w("id", "✅ Voucher created.") in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == (
        "repeat_customers",
        550,
        None,
        1000,
    )


async def test_r_l10n4_thai_budget_code_and_uses(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    await services.shops.update_settings(seller, currency="THB")
    somchai = speaker(rig, "th")
    walk = Walk(somchai, "th")
    m = await walk.to_segment("50")
    assert w("th", "Who can claim it? Tap one:") != "Who can claim it? Tap one:"
    m = await somchai.press(m, segment_button("th", Segment.NEW_FOLLOWERS))
    m = await somchai.say("-5")  # refused with the step's problem
    assert w("th", "An amount can't be negative.") in m.content.plain_text
    m = await somchai.say("10")  # below one claim's discount (฿50)
    with speaking("th"):
        below = _("The budget must cover at least one discount: {amount} or more.").format(
            amount=money(5000, "THB")
        )
    assert below in m.content.plain_text
    m = await somchai.say("2,000")  # Thai writes thousands with a comma
    with speaking("th"):
        assert _("✏️ Read as: {value}").format(value=money(200_000, "THB")) in (m.content.plain_text)
    m = await somchai.say("songkran25")
    assert "SONGKRAN25" in m.content.plain_text
    m = await somchai.say("30")
    done = await walk.submit(m)
    assert "SONGKRAN25" in done.content.plain_text
    [v] = await vouchers_in_db(services)
    assert (v.segment, v.budget, v.code, v.redemption_limit) == (
        "new_followers",
        200_000,
        "SONGKRAN25",
        30,
    )


async def test_r_budget_raised_from_the_details_button_and_by_command(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    """R-budget: raised like total_quantity (R-v10): /voucher shows spent, reserved and left,
    and "💰 Raise the budget" or /addbudget adds to it; a bad amount changes nothing."""
    v = await services.vouchers.create(seller, draft(name="Capped", budget=10_000))
    bare = await services.vouchers.create(seller, draft(name="Open"))
    m = await sally.say(f"/voucher {v.id}")
    assert "Budget: $0.00 spent, $0.00 reserved, $100.00 of $100.00 left" in m.content.plain_text
    m = await sally.press(m, "💰 Raise the budget")
    assert "Add how much to the budget of Capped" in m.content.plain_text
    assert [b.text for b in m.buttons[0]] == ["+$50.00", "+$250.00", "+$500.00"]
    m = await sally.say("-5")
    assert "negative" in m.content.plain_text
    m = await sally.say("5,50")  # R-money-in: never 550 dollars
    assert "Did you mean $5.50?" in m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).budget == 10_000
    m = await sally.say("25.50")
    text = m.content.plain_text
    assert "Read as: $25.50" in text and "$125.50 in total" in text
    assert (await services.vouchers.get(seller, v.id)).budget == 12_550
    m = await sally.say(f"/addbudget {v.id} 10")
    assert "$135.50 in total" in m.content.plain_text
    m = await sally.say(f"/addbudget {bare.id} 10")
    assert "has no budget" in m.content.plain_text
    assert (await services.vouchers.get(seller, bare.id)).budget is None
    m = await sally.say(f"/voucher {bare.id}")
    assert "💰 Raise the budget" not in [b.text for row in m.buttons for b in row]
    m = await sally.say("/addbudget")
    assert labels(m)[0].startswith(f"#{v.id} Capped")


async def test_r_budget_addbudget_in_indonesian_reads_5_comma_5_as_five_and_a_half(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(name="Capped", budget=10_000))
    sari = speaker(rig, "id")
    m = await sari.say(f"/addbudget {v.id}")
    m = await sari.say("5,5")
    with speaking("id"):
        assert _("✏️ Read as: {value}").format(value=money(550, "USD")) in m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).budget == 10_550


async def test_r_code_taken_after_its_step_sends_the_summary_back_to_the_code(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    """Another voucher took the code between its step and the summary: the summary asks for
    the code again (edit mode), saying which voucher has it; nothing is saved."""
    m = await Walk(sally).to_segment()
    m = await sally.press(m, "All buyers")
    m = await sally.press(m, "No budget")
    m = await sally.say("LATE2026")
    m = await sally.press(m, "No limit")
    await services.vouchers.create(seller, draft(name="Quicker", code="LATE2026"))
    m = await sally.press(m, "Use “")
    text = m.content.plain_text
    assert "Quicker" in text and "already uses this promo code" in text
    assert "Promo code?" in text
    m = await sally.say("LATER2026")
    assert "Check your voucher" in m.content.plain_text
    done = await sally.press(m, "✅ Submit")
    assert "LATER2026" in done.content.plain_text
    assert len(await vouchers_in_db(services)) == 2
