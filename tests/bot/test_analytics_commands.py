"""/stats (text + chart photo), /stats <id>, /export (CSV document), /advice, the roles, and
the "Add quantity" button of a sell-out forecast — through the real Application and the
Telegram stand-in, on the hand-computed shop of tests/analytics/conftest.py."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

from PIL import Image

from bot.charts import chart_data
from bot.telegram.outbox_sender import OutboxSender, TelegramLimits
from bot.telegram_standin import RecordedMessage
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from core.services.export import HEADER
from tests.analytics.conftest import Shop, line, shop  # noqa: F401  (the fixture)
from tests.bot.conftest import TIMEOUT, BotRig, Person, labels
from tests.conftest import draft, percent_draft

HOST_ID = 2002  # Hana, the marketing host of the `shop` fixture
TEAM = -100_777


async def photo_after(rig: BotRig, person: Person, mark: int) -> RecordedMessage:
    """The chart the bot sends after its text reply."""
    return await rig.standin.wait_for(
        lambda: next(
            (
                m
                for m in rig.standin.messages(person.chat)
                if m.kind == "photo" and m.message_id > mark
            ),
            None,
        ),
        TIMEOUT,
        describe="a chart photo",
    )


def plotted(message: RecordedMessage) -> dict[str, object]:
    assert message.file is not None
    image = Image.open(io.BytesIO(message.file.data))
    image.load()
    assert image.format == "PNG"
    return json.loads(image.text["Description"])


async def test_stats_summary_with_chart_period_and_sort(
    rig: BotRig,
    sally: Person,
    services: Services,
    shop: Shop,  # noqa: F811
    clock: FrozenClock,
) -> None:
    m = await sally.say("/stats")
    text = m.content.plain_text or ""
    assert "Vouchers — core data" in text and "Last 7 days" in text
    assert "All vouchers: 5 claims · 3 used (60%) · revenue $88.00 · 3 orders · 2 buyers" in text
    assert "Regular vouchers: 3 claims · 1 used (33%) · revenue $25.00" in text
    assert "ROI 9.00" in text  # the LIVE voucher: 6300 / 700
    assert text.index(f"/v_{shop.live_id} L") < text.index(f"/v_{shop.regular_id} R")  # revenue
    assert "Hana (marketing): 2 claims" in text
    assert len(text) < 4096
    photo = await photo_after(rig, sally, m.message_id)
    # The figures and the chart state the same period (whole days up to now).
    period = re.search(r"Last 7 days: (.+\))", text)
    assert period, text
    assert period.group(1) in (photo.content.plain_text or ""), photo.content.plain_text
    now = clock.now()
    trend = await services.analytics.trend(shop.seller, start=now - timedelta(days=7), end=now)
    data = plotted(photo)
    assert data == json.loads(json.dumps(chart_data(trend)))
    assert sum(data["claims"]) == 5 and data["revenue"][-1] == 8800  # type: ignore[arg-type, index]
    assert "• By revenue" in labels(m)

    by_roi = await sally.press(m, "By ROI")
    assert "Promotion list by ROI" in (by_roi.content.plain_text or "")
    assert "• By ROI" in labels(by_roi)
    photos = sum(1 for x in rig.standin.messages(sally.chat) if x.kind == "photo")
    month = await sally.press(by_roi, "30 days")
    assert "Last 30 days" in (month.content.plain_text or "")
    await rig.standin.wait_for(
        lambda: sum(1 for x in rig.standin.messages(sally.chat) if x.kind == "photo") > photos,
        TIMEOUT,
    )
    all_time = await sally.say("/stats all")
    assert "All time" in (all_time.content.plain_text or "")
    await photo_after(rig, sally, all_time.message_id)
    assert "Use <code>/stats</code>" in (await sally.say("/stats whenever")).content.text  # type: ignore[operator]


async def test_r_a7_stats_split_by_segment(
    rig: BotRig,
    sally: Person,
    services: Services,
    shop: Shop,  # noqa: F811
    clock: FrozenClock,
) -> None:
    """R-a7 by segment (R-seg): a line per segment that had claims or orders, with claims,
    orders and revenue; in the reader's language with its plural forms."""
    m = await sally.say("/stats")
    assert "By buyer segment" not in (m.content.plain_text or "")  # every voucher is for all
    await photo_after(rig, sally, m.message_id)
    now = services.clock.now()
    welcome = await services.vouchers.create(
        shop.seller, draft(name="Welcome", segment="new_customers", starts_at=now)
    )
    assert welcome.id is not None
    claim = await services.claims.claim(shop.seller.shop_id, welcome.id, "newbie")
    await services.checkout.place_order(
        Actor.platform(shop.seller.shop_id), "o-new", "newbie", line(3000), claim.id
    )
    clock.set(now + timedelta(minutes=1))  # /stats counts up to now, excluding it
    m = await sally.say("/stats")
    text = m.content.plain_text or ""
    assert "By buyer segment" in text, text
    section = text[text.index("By buyer segment") :]
    assert "All buyers: 5 claims · 3 orders · revenue $88.00" in section
    assert "New customers: 1 claim · 1 order · revenue $25.00" in section
    assert "Repeat customers" not in section  # nothing happened there
    await photo_after(rig, sally, m.message_id)
    indonesian = Person(rig.standin, rig.standin.user(1001, "Sally", "sally", language_code="id"))
    m = await indonesian.say("/stats")
    text = m.content.plain_text or ""
    assert "Menurut segmen pembeli" in text, text
    assert "Pembeli baru: 1 klaim · 1 pesanan · pendapatan US$25,00" in text, text


async def test_stats_of_one_voucher_and_a_session(
    rig: BotRig,
    sally: Person,
    shop: Shop,  # noqa: F811
) -> None:
    m = await sally.say(f"/stats {shop.regular_id}")
    text = m.content.plain_text or ""
    assert (
        f"R (#{shop.regular_id})" in text and "Claims: 3 · Usage: 1 · Redemption rate: 33%" in text
    )
    assert "Revenue: $25.00 from 1 order and 1 buyer" in text and "ROI: 5.00" in text
    assert "Quota: 97 of 100 left" in text
    data = plotted(await photo_after(rig, sally, m.message_id))
    assert data["claims"] == [3] and data["usage"] == [1] and data["revenue"] == [2500]

    details = await sally.say(f"/voucher {shop.live_id}")
    assert "📊 Stats" in labels(details)
    stats = await sally.press(details, "📊 Stats")
    assert f"L (#{shop.live_id})" in (stats.content.plain_text or "")
    assert "Sell-out forecast" in (stats.content.plain_text or "")  # its distribution is active
    await photo_after(rig, sally, stats.message_id)

    s = await sally.say(f"/stats session {shop.session_id}")
    assert f"Live session #{shop.session_id}" in (s.content.plain_text or "")
    assert "2 claims · 2 used (100%) · revenue $63.00" in (s.content.plain_text or "")
    data = plotted(await photo_after(rig, sally, s.message_id))
    assert data["bucket"] == "hour" and data["claims"] == [2, 0, 0]

    missing = await sally.say("/stats 999")
    assert "can't find that voucher" in (missing.content.plain_text or "")
    huge = await sally.say("/stats 99999999999")
    assert "Use /stats" in (huge.content.plain_text or "")


async def test_hosts_read_stats_but_not_export_or_advice(
    rig: BotRig,
    shop: Shop,  # noqa: F811
    stranger: Person,
) -> None:
    hana = rig.person(HOST_ID, "Hana", "hana")
    m = await hana.say("/stats")
    assert "Vouchers — core data" in (m.content.plain_text or "")
    await photo_after(rig, hana, m.message_id)
    assert "only the shop's seller can export" in (await hana.say("/export")).content.plain_text  # type: ignore[operator]
    assert "only the shop's seller" in (await hana.say("/advice")).content.plain_text  # type: ignore[operator]
    assert "not part of a shop" in (await stranger.say("/stats")).content.plain_text  # type: ignore[operator]


async def test_export_sends_the_promotion_list_as_csv(
    rig: BotRig,
    sally: Person,
    shop: Shop,  # noqa: F811
) -> None:
    m = await sally.say("/export")
    assert m.kind == "document" and m.file is not None
    assert m.file.filename == "promotions-2026-06-01.csv"
    rows = list(csv.reader(io.StringIO(m.file.data.decode("utf-8-sig"))))
    # R-l10n4: the header row is in the reader's language; money in major units.
    assert rows[0][:2] == ["Voucher ID", "Voucher name"] and len(rows[0]) == len(HEADER) - 1
    assert sorted(int(r[0]) for r in rows[1:]) == [shop.regular_id, shop.live_id]
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[shop.live_id][7] == "63.00"  # 6300 minor units of USD
    book = await rig.standin.wait_for(
        lambda: next(
            (
                x
                for x in rig.standin.messages(sally.chat)
                if x.kind == "document" and x.message_id > m.message_id
            ),
            None,
        ),
        TIMEOUT,
        describe="the workbook",
    )
    assert book.file is not None and book.file.filename == "promotions-2026-06-01.xlsx"
    assert "2 vouchers" in (book.content.plain_text or "")
    assert "Use <code>/export</code>" in (await sally.say("/export later")).content.text  # type: ignore[operator]


async def test_advice_without_history(rig: BotRig, sally: Person) -> None:
    m = await sally.say("/advice")
    text = m.content.plain_text or ""
    assert "Not enough order history" in text and "Nothing to warn about" in text


async def test_advice_with_history_tiers_and_warnings(
    rig: BotRig,
    sally: Person,
    services: Services,
    shop: Shop,  # noqa: F811
) -> None:
    platform = Actor.platform(shop.seller.shop_id)
    for i in range(10):
        lines = [{"product_id": "p1", "unit_price": 3000, "quantity": 1}]
        await services.checkout.place_order(platform, f"h{i}", f"hb{i}", lines)
    m = await sally.say("/advice")
    text = m.content.plain_text or ""
    advice = await services.advice.advice(shop.seller)
    assert advice.aov is not None and f"({advice.orders_30d} orders)" in text
    assert [t.name for t in advice.tiers] == ["low", "medium", "high"]
    for t in advice.tiers:
        assert f"{t.name.capitalize()}: minimum spend ${t.min_spend / 100:.2f}" in text
    assert f"#{shop.live_id} L: This LIVE voucher is less attractive" in text


async def _sellout_notice(
    rig: BotRig, services: Services, seller: Actor, clock: FrozenClock
) -> tuple[int, RecordedMessage]:
    """A LIVE voucher selling out fast; the forecast's team message, delivered."""
    await services.shops.set_team_chat(seller, TEAM)
    v = await services.vouchers.create(
        seller, percent_draft(name="Flash", kind="live", total_quantity=10)
    )
    live = await services.live.start_session(seller)
    await services.live.issue(seller, live.id, v.id, "none")  # type: ignore[arg-type]
    for i in range(5):
        clock.advance(seconds=12)
        await services.claims.claim(seller.shop_id, v.id, f"b{i}")  # type: ignore[arg-type]
    assert len(await services.forecast.check_sellouts()) == 1
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
    notice = await rig.standin.wait_for_message(TEAM, "will sell out", TIMEOUT)
    return v.id, notice  # type: ignore[return-value]


async def test_forecast_button_adds_quantity_for_the_seller_only(
    rig: BotRig, sally: Person, services: Services, seller: Actor, clock: FrozenClock
) -> None:
    hana = rig.person(HOST_ID, "Hana", "hana")
    rig.standin.group(TEAM, "Acme team", members=[sally.user, hana.user])
    invite = await services.accounts.create_invite(seller, "marketing")
    await services.accounts.accept_invite(invite.token, HOST_ID, "Hana")
    voucher_id, notice = await _sellout_notice(rig, services, seller, clock)
    data = f"v:{voucher_id}:addq"
    assert notice.button("Add quantity").callback_data == data

    refused = await hana.in_group(TEAM).press_data(notice, data)
    assert refused and "only the shop's seller" in refused
    assert (await services.vouchers.get(seller, voucher_id)).total_quantity == 10

    team_sally = sally.in_group(TEAM)
    offer = await team_sally.press(notice, "Add quantity")
    assert "Flash" in (offer.content.plain_text or "") and "5 of 10 left" in (
        offer.content.plain_text or ""
    )
    assert labels(offer) == ["+10", "+50", "+100", "Other amount…"]
    done = await team_sally.press(offer, "+50")
    assert "Added 50" in (done.content.plain_text or "") and "60 in total" in (
        done.content.plain_text or ""
    )
    assert (await services.vouchers.get(seller, voucher_id)).total_quantity == 60
    assert rig.standin.message(TEAM, notice.message_id).content.contains("will sell out")

    await services.vouchers.deactivate(seller, voucher_id)
    answer = await team_sally.press_data(notice, data)
    assert answer and "is deactivated" in answer
    answer = await team_sally.press_data(offer, f"v:{voucher_id}:addq:10")
    assert answer and "nothing was added" in answer
    assert (await services.vouchers.get(seller, voucher_id)).total_quantity == 60


async def test_forecast_button_other_amount_uses_the_addqty_flow(
    rig: BotRig, sally: Person, services: Services, seller: Actor, clock: FrozenClock
) -> None:
    rig.standin.group(TEAM, "Acme team", members=[sally.user])
    await sally.say("/help")  # the bot may only write to users who wrote to it
    voucher_id, _ = await _sellout_notice(rig, services, seller, clock)
    private = await rig.standin.wait_for_message(sally.chat, "will sell out", TIMEOUT)
    offer = await sally.press(private, "Add quantity")
    flow = await sally.press(offer, "Other amount…")
    assert "Add how many to" in (flow.content.plain_text or "")
    done = await sally.say("25")
    assert "35 in total" in (done.content.plain_text or "")
    assert (await services.vouchers.get(seller, voucher_id)).total_quantity == 35
