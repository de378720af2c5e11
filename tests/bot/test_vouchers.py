"""/vouchers (paged), /voucher, /addqty, /deactivate and /quota."""

from __future__ import annotations

from datetime import timedelta

from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, labels
from tests.conftest import NOW, draft


async def test_r_b4_long_list_is_grouped_and_paged(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    for i in range(23):
        await services.vouchers.create(seller, draft(name=f"Deal {i:02d} " + "x" * 60))
    for i in range(3):
        await services.vouchers.create(
            seller,
            draft(
                name=f"Later {i}",
                starts_at=NOW + timedelta(days=1),
                ends_at=NOW + timedelta(days=2),
            ),
        )
    m = await sally.say("/vouchers")
    pages = [m.content.plain_text]
    assert "1/4" in labels(m)
    page = m
    for _ in range(3):
        page = await sally.press(page, "▶")
        pages.append(page.content.plain_text)
    seen: list[str] = []
    for n, text in enumerate(pages, start=1):
        assert len(text) < 4096
        # R-b6: the heading on every page, and the group heading of what the page shows.
        assert text.startswith(f"🎟 Vouchers · 26 vouchers · page {n} of 4"), text[:80]
        items = [line.split()[0] for line in text.splitlines() if line.startswith("/v_")]
        assert len(items) == (8 if n < 4 else 2)  # the same page size throughout
        assert ("Ongoing (23)" in text) == (n < 3 or "Deal" in text)
        seen += items
    assert "Upcoming (3)" in pages[-1]
    assert len(set(seen)) == len(seen) == 26  # every voucher on exactly one of the pages
    back = await sally.press(page, "◀")
    assert "3/4" in labels(back)
    details = await sally.say(seen[0])  # a /v_ command is tappable: the voucher's details
    assert "Claim period" in details.content.plain_text
    upcoming = await sally.say("/vouchers upcoming")
    assert "3 vouchers" in upcoming.content.plain_text
    bad = await sally.say("/vouchers sometimes")
    assert "Unknown status" in bad.content.plain_text


async def test_details_buttons_add_quantity_and_deactivate(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(name="Spring"))
    m = await sally.say(f"/voucher {v.id}")
    assert "Spring" in m.content.plain_text and "100 of 100 left" in m.content.plain_text
    assert labels(m)[:2] == ["➕ Add quantity", "⛔ Deactivate"]
    m = await sally.press(m, "➕ Add quantity")
    assert "Add how many" in m.content.plain_text
    bad = await sally.say("some")
    assert "whole number" in bad.content.plain_text
    done = await sally.say("25")
    assert "125 in total" in done.content.plain_text
    assert "150 in total" in (await sally.say(f"/addqty {v.id} 25")).content.plain_text
    assert "at least 1" in (await sally.say(f"/addqty {v.id} 0")).content.plain_text
    pick = await sally.say("/addqty")
    m = await sally.press(pick, f"#{v.id} ")
    m = await sally.press(m, "+10")
    assert "160 in total" in m.content.plain_text
    confirm = await sally.say(f"/deactivate {v.id}")
    assert "Deactivate Spring" in confirm.content.plain_text
    done = await sally.press(confirm, "⛔ Yes, deactivate")
    assert "is deactivated" in done.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).status == "deactivated"  # type: ignore[arg-type]
    answer = await sally.press_data(done, f"v:{v.id}:dx!")  # the old confirm, pressed again
    assert answer and "already deactivated" in answer
    m = await sally.say(f"/deactivate {v.id}")
    assert "only upcoming or ongoing" in m.content.plain_text


async def test_voucher_by_buttons_and_quota(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(name="Spring", total_quantity=10))
    await services.claims.claim(seller.shop_id, v.id, "buyer-1")  # type: ignore[arg-type]
    pick = await sally.say("/voucher")
    m = await sally.press(pick, f"#{v.id} ")
    assert "9 of 10 left" in m.content.plain_text
    q = await sally.say("/quota")
    assert "Spring: 9 of 10 left" in q.content.plain_text
    q = await sally.say(f"/quota {v.id}")
    assert "9 of 10 left" in q.content.plain_text
    assert "can't find that voucher" in (await sally.say("/voucher 999")).content.plain_text
    assert "Send a voucher id" in (await sally.say("/voucher abc")).content.plain_text


async def test_r_l10n4_addqty_echoes_what_was_read_in_indonesian(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    """R-l10n4: `/addqty 12 1.000` typed the Indonesian way is read as one thousand and echoed;
    `5,5` is refused with its reason, never read as 55."""
    v = await services.vouchers.create(seller, draft(total_quantity=100))
    user = rig.standin.user(1001, "Sally", "sally", language_code="id")
    sally = Person(rig.standin, user)
    m = await sally.say(f"/addqty {v.id} 1.000")
    assert m.content.plain_text.startswith("✏️") and "1.000" in m.content.plain_text
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 1100  # type: ignore[arg-type]
    m = await sally.say(f"/addqty {v.id}")
    m = await sally.say("5,5")
    assert "5,5" in m.content.plain_text and "✏️" not in m.content.plain_text
    m = await sally.say("10")
    assert m.content.plain_text.startswith("✏️")
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 1110  # type: ignore[arg-type]
