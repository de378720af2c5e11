"""R-l10n1 end to end: a seller and a host whose Telegram is in Indonesian or Thai do their
day in that language; the team chat reads the shop's language; /language is kept; the
command menus exist per language; money and dates follow the language's conventions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import LANGUAGES, activate, current, money, regional, speaking, when
from bot.telegram.outbox_sender import OutboxSender, TelegramLimits
from bot.telegram.render import MESSAGE_LIMIT
from bot.telegram_standin import TelegramStandIn
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import TIMEOUT, BotRig, Person, labels
from tests.conftest import percent_draft

TEAM = -100_777
HOST_ID = 2002

# What each language says at the steps the journey checks (the catalogs' own words).
WORDS = {
    "id": {
        "kind?": "Jenis apa?",
        "regular": "Reguler",
        "amount off": "Potongan harga",
        "how much": "Berapa potongannya?",
        "min spend": "Minimum belanja?",
        "entire shop": "Semua produk di toko",
        "quantity": "Total kuota voucher?",
        "per customer": "Jumlah klaim per pembeli?",
        "now 7 days": "Mulai sekarang, 7 hari",
        "targeting": ("Semua pembeli", "Tanpa anggaran", "Tanpa kode", "Tanpa batas"),
        "name": "Beri nama voucher",
        "check": "Periksa voucher Anda",
        "submit": "✅ Kirim",
        "created": "✅ Voucher berhasil dibuat.",
        "step": "Langkah 1 dari 13",
        "go live": "🔴 Mulai LIVE sekarang",
        "watch 1": "Tonton 1 mnt",
        "issued": "dibagikan di sesi LIVE",
        "team opened": "Periode klaim dibuka",
        "team distributing": "sedang membagikan",
        "menu start": "sambutan, atau tautkan akun Anda lewat undangan",
        "money": "Rp50.000",
    },
    "th": {
        "kind?": "ประเภทใด?",
        "regular": "ทั่วไป",
        "amount off": "ลดเป็นจำนวนเงิน",
        "how much": "ลดเท่าไร?",
        "min spend": "ยอดสั่งซื้อขั้นต่ำ?",
        "entire shop": "ทั้งร้าน",
        "quantity": "จำนวนโค้ดทั้งหมด?",
        "per customer": "จำนวนครั้งที่ผู้ซื้อแต่ละคนเก็บได้?",
        "now 7 days": "เริ่มเลย 7 วัน",
        "targeting": ("ผู้ซื้อทุกคน", "ไม่มีงบประมาณ", "ไม่มีโค้ด", "ไม่จำกัด"),
        "name": "ตั้งชื่อโค้ดส่วนลด",
        "check": "ตรวจสอบโค้ดส่วนลดของคุณ",
        "submit": "✅ ยืนยัน",
        "created": "✅ สร้างโค้ดส่วนลดแล้ว",
        "step": "ขั้นตอนที่ 1 จาก 13",
        "go live": "🔴 เริ่มไลฟ์เลย",
        "watch 1": "ดู 1 นาที",
        "issued": "ในไลฟ์ #",
        "team opened": "เปิดช่วงเวลาเก็บโค้ด",
        "team distributing": "กำลังแจก",
        "menu start": "ต้อนรับ หรือเชื่อมบัญชีด้วยลิงก์เชิญ",
        "money": "฿500.00",
    },
}
CURRENCY = {"id": ("IDR", "5000", "20000"), "th": ("THB", "50", "200")}


def speaker(rig: BotRig, user_id: int, name: str, language: str) -> Person:
    """A person whose Telegram app is set to `language` (its `language_code`)."""
    user = rig.standin.user(user_id, name, name.lower(), language_code=language)
    rig.people[user_id] = Person(rig.standin, user)
    return rig.people[user_id]


async def deliver(rig: BotRig, services: Services, clock: FrozenClock) -> None:
    sender = OutboxSender(
        services.db,
        rig.side.bot,
        clock=clock,
        limits=TelegramLimits(chat_interval=0.01),
        on_pending=lambda _n: None,
    )
    try:
        await sender.deliver_pending()
    finally:
        await sender.stop()


def team_text(standin: TelegramStandIn) -> str:
    return "\n".join(m.plain_text or "" for m in standin.messages(TEAM))


@pytest.mark.parametrize("language", ["id", "th"])
async def test_r_l10n1_newvoucher_to_submit_issue_and_team_notices(
    rig: BotRig, services: Services, seller: Actor, clock: FrozenClock, language: str
) -> None:
    w = WORDS[language]
    currency, amount, minimum = CURRENCY[language]
    await services.shops.update_settings(seller, currency=currency)
    sally = speaker(rig, 1001, "Sally", language)
    rig.standin.group(TEAM, "Tim", members=[sally.user])
    await services.shops.set_team_chat(seller, TEAM)
    await services.languages.set_shop_language(seller, language)

    m = await sally.say("/newvoucher")
    assert w["kind?"] in m.content.plain_text and w["step"] in m.content.plain_text
    m = await sally.press(m, w["regular"])
    m = await sally.press(m, w["amount off"])
    assert w["how much"] in m.content.plain_text
    m = await sally.say(amount)
    assert w["min spend"] in m.content.plain_text
    m = await sally.say(minimum)
    m = await sally.press(m, w["entire shop"])
    assert w["quantity"] in m.content.plain_text
    m = await sally.press(m, "100")
    assert w["per customer"] in m.content.plain_text
    m = await sally.press(m, "1")
    m = await sally.press(m, w["now 7 days"])
    for answer in w["targeting"]:  # everyone, no budget, no code, no limit (R-seg…R-redeem)
        m = await sally.press(m, answer)
    assert w["name"] in m.content.plain_text
    m = await sally.say("Promo 12.12")
    assert w["check"] in m.content.plain_text
    m = await sally.press(m, w["submit"])
    text = m.content.plain_text or ""
    assert w["created"] in text
    with speaking(language):
        assert money(int(amount) * (100 if currency == "THB" else 1), currency) in text

    # A LIVE voucher with a low cap, issued in a live session through /issue's buttons.
    await services.vouchers.create(
        seller,
        percent_draft(name="Flash LIVE", kind="live", total_quantity=10, max_discount=100),
        low_discount_acknowledged=True,
    )
    m = await sally.say("/issue")
    m = await sally.press(m, w["go live"])
    m = await sally.press(m, "#2")
    m = await sally.press(m, w["watch 1"])
    assert w["issued"] in (m.content.plain_text or "")

    await deliver(rig, services, clock)
    await rig.standin.wait_for_message(TEAM, w["team distributing"], TIMEOUT)
    said = team_text(rig.standin)
    assert w["team opened"] in said
    assert "claimed" not in said and "Claim period" not in said  # not the English


async def test_r_l10n1_language_choice_is_kept_and_the_team_language_is_the_sellers(
    rig: BotRig, services: Services, seller: Actor, clock: FrozenClock
) -> None:
    sally = speaker(rig, 1001, "Sally", "en")
    m = await sally.say("/language")
    assert "Which language" in m.content.plain_text
    assert "Bahasa Indonesia" in labels(m) and "✔ English" in labels(m)
    m = await sally.press(m, "ภาษาไทย")
    assert "ต่อจากนี้ฉันจะคุยกับคุณเป็นภาษาไทย" in m.content.plain_text
    assert await services.languages.of_user(1001) == "th"
    # Kept across a restart of the Telegram side (the choice is in the database).
    await rig.restart()
    assert "ยังไม่มีโค้ดส่วนลด" in (await sally.say("/vouchers")).content.plain_text
    # The user's own menu follows their choice.
    menu = rig.standin.commands({"type": "chat", "chat_id": 1001})
    assert ("newvoucher", "สร้างโค้ดส่วนลดทีละขั้นตอน") in menu

    # The team chat: the seller chooses its language (second block of buttons).
    m = await sally.say("/language")
    shop_buttons = [b for row in m.buttons for b in row if ":shop." in (b.callback_data or "")]
    vi = next(b for b in shop_buttons if b.text.endswith("Tiếng Việt"))
    press = await rig.standin.press_button(sally.user, m, vi.callback_data)
    m = await rig.standin.next_reply(1001, TIMEOUT, since=press.seq)
    assert "Tiếng Việt" in m.content.plain_text
    assert (await services.shops.get(seller.shop_id)).language == "vi"


async def test_r_l10n1_only_the_seller_sets_the_team_language(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    invite = await services.accounts.create_invite(seller, "marketing")
    await services.accounts.accept_invite(invite.token, HOST_ID, "Hana")
    hana = speaker(rig, HOST_ID, "Hana", "ms")
    m = await hana.say("/language")
    assert not any(":shop." in (b.callback_data or "") for row in m.buttons for b in row)
    answer = await hana.press_data(m, "lang:shop:es")
    assert answer is not None  # refused politely, nothing changed
    assert (await services.shops.get(seller.shop_id)).language == "en"


async def test_r_l10n1_set_my_commands_per_language_and_scope(rig: BotRig) -> None:
    calls = rig.standin.commands_calls
    languages = {c.language_code for c in calls}
    assert {None, *LANGUAGES} <= languages
    for language in LANGUAGES:
        default = rig.standin.commands(None, language)
        assert [n for n, _d in default] == ["start", "setup", "help", "cancel", "language"]
        group = rig.standin.commands({"type": "all_group_chats"}, language)
        assert "team" in [n for n, _d in group]
    assert dict(rig.standin.commands(None, "id"))["start"] == WORDS["id"]["menu start"]
    assert dict(rig.standin.commands(None, "th"))["start"] == WORDS["th"]["menu start"]
    assert dict(rig.standin.commands(None, None))["start"].startswith("welcome")


def test_r_l10n1_money_and_dates_per_locale() -> None:
    at = datetime(2026, 6, 8, 7, 0, tzinfo=UTC)
    expected = {
        "id": ("Rp10.000", "IDR", 1_000_000, "8 Jun 2026 14.00"),
        "th": ("฿1,000.00", "THB", 100_000, "8 มิ.ย. 2026 14:00"),
        "vi": ("10.000 ₫", "VND", 10_000, "14:00 08/06/2026"),
        "ms": ("RM10.00", "MYR", 1_000, "8 Jun 2026 2:00 PTG"),
        "es": ("10,00 €", "EUR", 1_000, "8 jun 2026 14:00"),
        "en": ("$5.00", "USD", 500, "8 Jun 2026 14:00"),
    }
    for language, (shown, currency, minor, date) in expected.items():
        with speaking(language):
            assert money(minor, currency).replace("\xa0", " ") == shown, language
            assert when(at, "Asia/Jakarta" if language != "th" else "Asia/Bangkok") == date
    assert current() == "en"


async def test_r_l10n1_replies_stay_under_telegrams_limit_in_every_language(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    """The longest screens (/help for the seller, a long voucher list) in each language."""
    for i in range(12):
        await services.vouchers.create(seller, percent_draft(name=f"Voucher {i} " + "x" * 80))
    for language in LANGUAGES:
        person = speaker(rig, 1001, "Sally", language)
        for command in ("/help", "/vouchers", "/start"):
            m = await person.say(command)
            assert len(m.content.text or "") <= MESSAGE_LIMIT, (language, command)


async def test_r_l10n1_team_notices_follow_the_shop_language_when_they_are_sent(
    rig: BotRig, services: Services, seller: Actor, clock: FrozenClock
) -> None:
    """Notices are rendered at send time: one queued while the shop spoke English goes out in
    the language the seller chose since; the outbox keeps the English for engineers."""
    from sqlalchemy import select

    from storage.models import Notification

    sally = speaker(rig, 1001, "Sally", "en")
    rig.standin.group(TEAM, "Tim", members=[sally.user])
    await services.shops.set_team_chat(seller, TEAM)
    v = await services.vouchers.create(seller, percent_draft(name="Flash", kind="live"))
    live = await services.live.start_session(seller)
    await services.live.issue(seller, live.id, v.id, "watch", 3)  # type: ignore[arg-type]
    async with services.db.read() as session:
        stored = [n.text for n in (await session.execute(select(Notification))).scalars()]
    assert any(t.startswith("▶️ Sally (seller, account #1) is distributing") for t in stored)

    await services.languages.set_shop_language(seller, "th")
    await deliver(rig, services, clock)
    await rig.standin.wait_for_message(TEAM, "กำลังแจก", TIMEOUT)
    said = team_text(rig.standin)
    assert "Sally (ผู้ขาย บัญชี #1) กำลังแจก Flash (#1) ในไลฟ์ #1: ดู 3 นาที" in said
    assert "is distributing" not in said and "voucherbot-message" not in said


def test_r_l10n1_a_region_in_the_telegram_language_gives_its_conventions() -> None:
    """`es-MX` reads Mexican money (`$10.00`), Spain's Spanish reads `10,00 MXN`; the team
    chat (speaking()) always uses the language's own conventions."""
    assert regional("es-MX", "es") == "es_MX" and regional("es-419", "es") == "es_419"
    assert regional("es", "es") is None and regional("pt-BR", "es") is None
    activate("es", regional("es-MX", "es"))
    try:
        assert money(1_000, "MXN") == "$10.00"
        with speaking("es"):
            assert money(1_000, "MXN").replace("\xa0", " ") == "10,00 MXN"
        assert money(1_000, "MXN") == "$10.00"
    finally:
        activate("en")


async def test_r_l10n1_a_mexican_seller_reads_mexican_money(
    rig: BotRig, services: Services, seller: Actor
) -> None:
    await services.shops.update_settings(seller, currency="MXN")
    await services.vouchers.create(seller, percent_draft(name="Promo"))
    sofia = speaker(rig, 1001, "Sofia", "es-MX")
    text = (await sofia.say("/v_1")).content.plain_text or ""
    assert "Compra mínima: ninguno" in text or "máx. $10.00 por pedido" in text
    assert "$10.00" in text
