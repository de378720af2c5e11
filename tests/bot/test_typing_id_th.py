"""Issue 20 / R-l10n4: the guided flows walked by typing the way Indonesian and Thai sellers
and hosts write — a watch word and minutes in `/issue`, a drop time, a quantity with the
language's grouping, a shop name and a handle — each read as a native reader means it, echoed
where a number or a time was read, and a decimal comma never read as a whole number."""

from __future__ import annotations

import pytest

from bot.i18n import _, speaking
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, labels
from tests.conftest import draft

# What each language types: the watch word, a drop time "in 45 minutes", a thousand with the
# language's grouping (Babel's locale data: `.` in id, `,` in th).
TYPED = {
    "id": {"watch": "tonton", "later": "45 menit lagi", "thousand": "1.000"},
    "th": {"watch": "ดู", "later": "อีก 45 นาที", "thousand": "1,000"},
}


@pytest.fixture(params=sorted(TYPED))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def speaker(rig: BotRig, user_id: int, name: str, language: str) -> Person:
    user = rig.standin.user(user_id, name, name.lower(), language_code=language)
    rig.people[user_id] = Person(rig.standin, user)
    return rig.people[user_id]


def words(language: str, text: str) -> str:
    with speaking(language):
        return _(text)


async def host_of(rig: BotRig, services: Services, seller: Actor, language: str) -> Person:
    invite = await services.accounts.create_invite(seller, "official")
    await services.accounts.accept_invite(invite.token, 2005, "Ika")
    return speaker(rig, 2005, "Ika", language)


async def test_r_l10n4_issue_typed_with_the_languages_watch_word(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    v = await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    host = await host_of(rig, services, seller, language)
    await host.say("/live")
    reply = await host.say(f"/issue {v.id} {TYPED[language]['watch']} 5")
    assert "✅" in reply.content.plain_text, reply.content.plain_text
    [d] = await services.live.distributions(seller)
    assert d.task.minutes == 5
    assert "watch" not in reply.content.plain_text.lower()  # said in the host's words


async def test_r_l10n4_a_drop_time_typed_in_words_is_echoed(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    v = await services.vouchers.create(seller, draft(name="Live one", kind="live"))
    host = await host_of(rig, services, seller, language)
    await host.say("/live")
    m = await host.say("/issue")
    m = await host.press(m, f"#{v.id} ")
    m = await host.press(m, "⏰")  # Later…
    m = await host.press(m, labels(m)[0])  # the first task
    m = await host.say(TYPED[language]["later"])
    assert m.content.plain_text.startswith("✏️") and "✅" in m.content.plain_text
    assert "45" in m.content.plain_text
    hosting = await services.accounts.membership(2005)
    assert hosting is not None
    [drop] = await services.drops.pending_of_own_session(hosting.actor)
    assert drop.voucher_id == v.id


async def test_r_l10n4_quantity_with_the_languages_grouping_and_no_decimal_comma(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    v = await services.vouchers.create(seller, draft(total_quantity=100))
    sally = speaker(rig, 1001, "Sally", language)
    m = await sally.say(f"/addqty {v.id}")
    m = await sally.say("5,5")
    assert "✏️" not in m.content.plain_text and "5,5" in m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 100  # type: ignore[arg-type]
    m = await sally.say(TYPED[language]["thousand"])
    assert m.content.plain_text.startswith("✏️"), m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 1100  # type: ignore[arg-type]


async def test_r_l10n4_a_raise_typed_as_its_buttons_write_it(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    """The buttons say `+50`; a seller who types `+20` means 20 more. `-20` and `++20` are
    refused and change nothing."""
    v = await services.vouchers.create(seller, draft(total_quantity=100, budget=100_000))
    sally = speaker(rig, 1001, "Sally", language)
    await sally.say(f"/addqty {v.id}")
    for refused in ("-20", "++20"):
        m = await sally.say(refused)
        assert "✏️" not in m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 100  # type: ignore[arg-type]
    m = await sally.say("+20")
    assert m.content.plain_text.startswith("✏️"), m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 120  # type: ignore[arg-type]
    m = await sally.say(f"/addqty {v.id} +{TYPED[language]['thousand']}")
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 1120  # type: ignore[arg-type]
    m = await sally.say(f"/addbudget {v.id} +500")
    assert (await services.vouchers.get(seller, v.id)).budget == 150_000  # type: ignore[arg-type]


async def test_r_l10n5_setup_typed_in_the_sellers_language(
    rig: BotRig, services: Services, language: str
) -> None:
    """A new seller types the shop's name; the shop starts in their language and market."""
    stan = speaker(rig, 3007, "Stan", language)
    m = await stan.say("/setup")
    assert words(language, "🏪 Shop setup") in m.content.plain_text
    m = await stan.say("Toko Makmur" if language == "id" else "ร้านสุขใจ")
    done = await stan.press(m, words(language, "✔ Done"))
    membership = await services.accounts.membership(3007)
    assert membership is not None
    shop = await services.shops.get(membership.actor.shop_id)
    assert shop.currency == {"id": "IDR", "th": "THB"}[language]
    # Issue 20: Done after creating the shop says it was saved, not "Cancelled".
    assert words(language, "Cancelled: nothing changed.") not in done.content.plain_text
    assert done.content.plain_text.startswith("✅") and shop.currency in done.content.plain_text
    again = await stan.say("/setup")
    unchanged = await stan.press(again, words(language, "✔ Done"))
    assert unchanged.content.plain_text.startswith(
        words(
            language,
            "Nothing changed. Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b>",
        ).split("<b>")[0]
    )


async def test_r_l10n5_setup_with_the_name_in_the_command_says_saved_at_done(
    rig: BotRig, services: Services, language: str
) -> None:
    stan = speaker(rig, 3008, "Stan", language)
    m = await stan.say("/setup Toko Makmur")
    done = await stan.press(m, words(language, "✔ Done"))
    assert done.content.plain_text.startswith("✅"), done.content.plain_text


async def test_a_handle_typed_in_a_thai_or_indonesian_chat_is_saved(
    rig: BotRig, services: Services, seller: Actor, language: str
) -> None:
    sally = speaker(rig, 1001, "Sally", language)
    await sally.say("/handle")
    reply = await sally.say("@Toko_Makmur")
    assert "✅" in reply.content.plain_text, reply.content.plain_text
    account = (await services.accounts.membership(1001)).account  # type: ignore[union-attr]
    assert account.platform_handle == "toko_makmur"
