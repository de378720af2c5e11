"""R-drop1 in the bot: /issue → voucher → "Later…" → task → when; a typed time in the shop's
zone; the panel's "Schedule a drop"; /drops with Cancel; clear refusals of the limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FrozenClock
from core.reading import read_when
from core.rules.roles import Actor
from core.services import Services
from tests.bot.conftest import BotRig, Person, labels, rig, sally, standin  # noqa: F401
from tests.conftest import NOW, draft


@pytest.fixture
async def live_voucher(services: Services, seller: Actor) -> int:
    v = await services.vouchers.create(seller, draft(name="Live 5 off", kind="live"))
    return v.id  # type: ignore[return-value]


def test_r_drop1_typed_times_in_the_shops_zone() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 19:00 in Jakarta
    assert read_when("19:30", "en", "Asia/Jakarta", now) == now + timedelta(minutes=30)
    assert read_when("7:45pm", "en", "Asia/Jakarta", now) == now + timedelta(minutes=45)
    assert read_when("in 45 min", "en", "Asia/Jakarta", now) == now + timedelta(minutes=45)
    assert read_when("2 h", "en", "UTC", now) == now + timedelta(hours=2)
    assert read_when("10", "en", "UTC", now) == now + timedelta(minutes=10)
    assert read_when("18:00", "en", "Asia/Jakarta", now) == now + timedelta(hours=23)  # tomorrow
    for bad in ("soon", "25:00", "13pm", "12:75"):
        with pytest.raises(ValueError):
            read_when(bad, "en", "UTC", now)


async def test_r_drop1_later_from_issue_then_drops_and_cancel(
    rig: BotRig,  # noqa: F811
    sally: Person,  # noqa: F811
    services: Services,
    seller: Actor,
    live_voucher: int,
) -> None:
    await sally.say("/live")
    m = await sally.say("/issue")
    m = await sally.press(m, f"#{live_voucher} ")
    assert "⏰ Later…" in labels(m)
    m = await sally.press(m, "⏰ Later…")
    assert "Step 2 of 3" in m.content.plain_text and "which task?" in m.content.plain_text
    m = await sally.press(m, "Watch 5 min")
    assert "Step 3 of 3" in m.content.plain_text and "when?" in m.content.plain_text
    assert labels(m)[:6] == [f"in {n} min" for n in (1, 2, 5, 10, 15, 30)]
    m = await sally.press(m, "in 10 min")
    assert "✅ Drop scheduled." in m.content.plain_text
    assert "12:10 (in 10 min): Live 5 off (#1) · watch 5 min" in m.content.plain_text
    [drop] = await services.drops.pending_of_own_session(seller)
    assert (drop.at, drop.task.minutes) == (NOW + timedelta(minutes=10), 5)
    listing = await sally.say("/drops")
    assert "1 drop waiting:" in listing.content.plain_text
    done = await sally.press(listing, "✖ Cancel 1.")
    assert "Cancelled the drop" in done.content.plain_text
    assert (await services.drops.get(seller, drop.id)).status == "cancelled"
    assert "No drops are waiting" in (await sally.say("/drops")).content.plain_text
    m = await sally.say("/issue")
    m = await sally.press(m, f"#{live_voucher} ")
    m = await sally.press(m, "⏰ Later…")
    m = await sally.press(m, "✖ Cancel")
    assert "no drop was scheduled" in m.content.plain_text


async def test_r_drop1_typed_time_bad_input_and_limits_in_the_bot(
    rig: BotRig,  # noqa: F811
    sally: Person,  # noqa: F811
    services: Services,
    seller: Actor,
    live_voucher: int,
    clock: FrozenClock,
) -> None:
    await sally.say("/live")
    session = await services.live.active_session(seller)
    m = await sally.say("/issue")
    m = await sally.press(m, f"#{live_voucher} ")
    m = await sally.press(m, "⏰ Later…")
    m = await sally.press(m, "No task")
    bad = await sally.say("whenever")
    assert "couldn't read that time" in bad.content.plain_text
    assert "Step 3 of 3" in bad.content.plain_text  # the same question again
    soon = await sally.say("in 0 min")
    assert "1 minute to 6 hours ahead" in soon.content.plain_text
    far = await sally.say("in 7 h")
    assert "1 minute to 6 hours ahead" in far.content.plain_text
    assert "_" not in far.content.plain_text  # no field names in a chat
    ok = await sally.say("12:30")  # the shop's zone is UTC
    assert "✅ Drop scheduled." in ok.content.plain_text
    for i in range(19):
        await services.drops.schedule(
            seller,
            session.id,  # type: ignore[union-attr]
            live_voucher,
            "none",
            in_seconds=120 + i,
        )
    m = await sally.say("/issue")
    m = await sally.press(m, f"#{live_voucher} ")
    m = await sally.press(m, "⏰ Later…")
    m = await sally.press(m, "No task")
    full = await sally.press(m, "in 5 min")
    assert "already has 20 drops waiting" in full.content.plain_text
    assert len(await services.drops.pending_of_own_session(seller)) == 20
    listing = await sally.say("/drops")
    assert "20 drops waiting:" in listing.content.plain_text


async def test_r_drop1_schedule_a_drop_from_the_panel(
    rig: BotRig,  # noqa: F811
    sally: Person,  # noqa: F811
    services: Services,
    seller: Actor,
    live_voucher: int,
) -> None:
    from bot.telegram.live_panel import PanelRefresher

    await sally.say("/live")
    await PanelRefresher(services, rig.side.bot).tick()
    panel = next(
        m for m in rig.standin.messages(sally.chat) if "Claims this session" in m.content.plain_text
    )
    m = await sally.press(panel, "⏰ Schedule a drop")
    assert "Step 1 of 3" in m.content.plain_text
    assert "Which LIVE voucher?" in m.content.plain_text
    m = await sally.press(m, f"#{live_voucher} ")
    m = await sally.press(m, "Follow LIVE Host")
    m = await sally.press(m, "in 1 min")
    assert "✅ Drop scheduled." in m.content.plain_text
    [drop] = await services.drops.pending_of_own_session(seller)
    assert drop.task.describe() == "follow the host"
