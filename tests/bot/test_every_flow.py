"""R-b6 for every guided flow, in English and in Indonesian: each runs from its table, shows
"Step n of m" in the person's language, has ◀ Back on every step after the first and ✖ Cancel,
and Cancel says what did not happen (docs/flows.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.i18n import _, speaking
from bot.telegram.flow_table import BACK_LABEL, CANCEL_LABEL
from bot.telegram_standin import RecordedMessage
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import TIMEOUT, BotRig, Person, labels
from tests.conftest import draft

LANGUAGES = ["en", "id"]


def person(rig: BotRig, user_id: int, name: str, language: str) -> Person:
    user = rig.standin.user(user_id, name, name.lower(), language_code=language)
    rig.people[user_id] = Person(rig.standin, user)
    return rig.people[user_id]


def words(language: str, text: str, **values: object) -> str:
    with speaking(language):
        return _(text).format(**values)


def step(language: str, n: int, of: int) -> str:
    return words(language, "Step {step} of {steps}", step=n, steps=of)


class Walk:
    """One person going through a flow, checking each step in their language."""

    def __init__(self, someone: Person, language: str) -> None:
        self.someone, self.language = someone, language

    def at(self, message: RecordedMessage, n: int, of: int, *, back: bool) -> RecordedMessage:
        text = message.content.plain_text
        assert step(self.language, n, of) in text, text
        shown = labels(message)
        assert (words(self.language, BACK_LABEL) in shown) is back, shown
        return message

    async def back(self, message: RecordedMessage) -> RecordedMessage:
        return await self.someone.press(message, words(self.language, BACK_LABEL))

    async def cancel(self, message: RecordedMessage, said: str) -> None:
        assert words(self.language, CANCEL_LABEL) in labels(message)
        gone = await self.someone.press(message, words(self.language, CANCEL_LABEL))
        assert words(self.language, said) in gone.content.plain_text


@pytest.fixture(autouse=True)
def answers_go_where_the_tables_say(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The runner logs an answer that led to a step its table does not declare (`leads`)."""
    yield
    undeclared = [r.getMessage() for r in caplog.records if "not declared" in r.getMessage()]
    assert undeclared == []


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_indonesian_words_are_not_the_english_ones() -> None:
    assert step("id", 1, 2) != step("en", 1, 2)
    assert words("id", BACK_LABEL) != words("en", BACK_LABEL)


async def test_r_b6_newvoucher_back_and_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    walk = Walk(person(rig, 1001, "Sally", language), language)
    m = walk.at(await walk.someone.say("/newvoucher"), 1, 13, back=False)
    m = await walk.someone.press(m, words(language, "Regular"))
    m = walk.at(m, 2, 13, back=True)
    m = walk.at(await walk.back(m), 1, 13, back=False)
    await walk.cancel(m, "Cancelled: the voucher was not created.")
    assert await services.vouchers.list(seller) == []


async def test_r_b6_issue_later_back_and_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    walk = Walk(person(rig, 1001, "Sally", language), language)
    await walk.someone.say("/live")
    m = walk.at(await walk.someone.say("/issue"), 1, 2, back=False)
    m = walk.at(await walk.someone.press(m, "#"), 2, 2, back=True)
    m = await walk.someone.press(m, words(language, "⏰ Later…"))
    m = walk.at(m, 2, 3, back=True)  # a drop: voucher → task → when
    m = walk.at(await walk.back(m), 2, 2, back=True)  # back to issuing now
    m = walk.at(await walk.back(m), 1, 2, back=False)
    m = await walk.someone.press(m, "#")
    m = await walk.someone.press(m, words(language, "⏰ Later…"))
    await walk.cancel(m, "Cancelled: no drop was scheduled.")
    assert await services.drops.pending_of_own_session(seller) == []


async def test_r_b6_drop_flow_back_and_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    walk = Walk(person(rig, 1001, "Sally", language), language)
    live = await walk.someone.say("/live")
    # The live panel's "⏰ Schedule a drop" (its button data, pressed on any message).
    press = await rig.standin.press_button(walk.someone.user, live, "dr:start", check=False)
    m = await rig.standin.next_reply(walk.someone.chat, TIMEOUT, since=press.seq)
    m = walk.at(m, 1, 3, back=False)
    m = walk.at(await walk.someone.press(m, "#"), 2, 3, back=True)
    m = walk.at(await walk.back(m), 1, 3, back=False)
    await walk.cancel(m, "Cancelled: no drop was scheduled.")


async def test_r_b6_addqty_back_and_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    v = await services.vouchers.create(seller, draft(name="Spring", total_quantity=10))
    walk = Walk(person(rig, 1001, "Sally", language), language)
    m = walk.at(await walk.someone.say("/addqty"), 1, 2, back=False)
    m = walk.at(await walk.someone.press(m, "#"), 2, 2, back=True)
    m = walk.at(await walk.back(m), 1, 2, back=False)
    await walk.cancel(m, "Cancelled: the quantity did not change.")
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 10


async def test_r_b6_setup_handle_and_language_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    stranger = Walk(person(rig, 3003, "Stan", language), language)
    m = stranger.at(await stranger.someone.say("/setup"), 1, 2, back=False)
    assert words(language, "🏪 Shop setup") in m.content.plain_text
    await stranger.cancel(m, "Cancelled: no shop was created.")
    assert await services.accounts.membership(3003) is None

    sally = Walk(person(rig, 1001, "Sally", language), language)
    m = sally.at(await sally.someone.say("/handle"), 1, 1, back=False)
    await sally.cancel(m, "Cancelled: your handle did not change.")
    m = sally.at(await sally.someone.say("/language"), 1, 1, back=False)
    await sally.cancel(m, "Cancelled: nothing changed.")


async def test_r_b6_a_new_flow_replaces_the_one_going_on(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    """One guided flow at a time: /newvoucher during /handle takes the next answers, and the
    old flow's buttons are stale."""
    walk = Walk(person(rig, 1001, "Sally", language), language)
    handle = await walk.someone.say("/handle")
    m = walk.at(await walk.someone.say("/newvoucher"), 1, 13, back=False)
    m = await walk.someone.press(m, words(language, "Regular"))
    m = await walk.someone.press(m, words(language, "Amount off"))
    m = walk.at(await walk.someone.say("5"), 4, 13, back=True)  # the amount, not a handle
    account = (await services.accounts.membership(1001)).account  # type: ignore[union-attr]
    assert account.platform_handle in (None, "acme_official")
    answer = await walk.someone.press_data(handle, handle.buttons[-1][-1].callback_data or "")
    assert answer is not None  # an old button answers instead of acting


async def test_r_b6_an_answer_reaches_the_flow_that_replaced_an_earlier_registered_one(
    rig: BotRig, services: Services, language: str
) -> None:
    """/setup's conversation is registered first: after /language replaced it, a typed message
    still belongs to /language (asked again), and no shop is created from it."""
    stan = Walk(person(rig, 3003, "Stan", language), language)
    await stan.someone.say("/setup")
    m = stan.at(await stan.someone.say("/language"), 1, 1, back=False)
    again = await stan.someone.say("Stan's Store")
    assert words(language, "Please use the buttons below.") in again.content.plain_text
    assert words(language, "🌐 Language") in again.content.plain_text
    assert await services.accounts.membership(3003) is None
    after = await stan.someone.say("Stan's Store")  # the setup conversation has let go
    assert words(language, "🌐 Language") in after.content.plain_text
    await stan.cancel(m, "Cancelled: nothing changed.")


async def test_r_b6_addbudget_back_and_cancel(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    v = await services.vouchers.create(seller, draft(name="Capped", budget=10_000))
    walk = Walk(person(rig, 1001, "Sally", language), language)
    m = walk.at(await walk.someone.say("/addbudget"), 1, 2, back=False)
    m = walk.at(await walk.someone.press(m, "#"), 2, 2, back=True)
    m = walk.at(await walk.back(m), 1, 2, back=False)
    await walk.cancel(m, "Cancelled: the budget did not change.")
    assert (await services.vouchers.get(seller, v.id)).budget == 10_000
