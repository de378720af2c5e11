"""R-draw1–3 from the host's phone: "Lucky draw" at /issue's task step (winners and entry
minutes by buttons), the draw on the live panel with entries and countdown, and the result in
the host's own chat and the team's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.telegram.live_panel import PanelRefresher
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from storage.models import Distribution, Draw, Notification
from tests.bot.conftest import BotRig, Person, labels


async def open_draw_by_taps(sally: Person) -> str:
    m = await sally.say("/issue")
    m = await sally.press(m, "🔴 Go live now")
    m = await sally.press(m, "#")
    assert "🎁 Lucky draw…" in labels(m)
    m = await sally.press(m, "🎁 Lucky draw…")
    text = m.content.plain_text
    assert "How many winners?" in text and "Step 2 of 4" in text
    assert {"1", "3", "5", "10", "20", "50"} <= set(labels(m))
    m = await sally.press(m, "3")
    assert "3 winners. How long do entries stay open?" in m.content.plain_text
    m = await sally.press(m, "2 min")
    text = m.content.plain_text
    assert "Step 4 of 4" in text and "What must viewers do to enter?" in text
    assert "🎁 Lucky draw…" not in labels(m)  # already a draw
    m = await sally.press(m, "No task")
    return m.content.plain_text


async def test_r_draw1_host_opens_a_lucky_draw_in_a_few_taps(
    rig: BotRig, sally: Person, services: Services, live_voucher: int, clock: FrozenClock
) -> None:
    text = await open_draw_by_taps(sally)
    assert "Lucky draw of Live 5 off" in text and "3 winners" in text
    assert "Entries close at" in text and "nobody wins" in text
    async with services.db.read() as session:
        [d] = (await session.execute(select(Distribution))).scalars().all()
        draw = await session.get(Draw, d.id)
    assert draw is not None
    assert (draw.winners, draw.entry_minutes, d.task_type) == (3, 2, "none")
    assert draw.closes_at == clock.now() + timedelta(minutes=2)


async def test_r_draw1_back_from_winners_returns_to_the_plain_task_step(
    rig: BotRig, sally: Person, live_voucher: int
) -> None:
    m = await sally.say("/issue")
    m = await sally.press(m, "🔴 Go live now")
    m = await sally.press(m, "#")
    m = await sally.press(m, "🎁 Lucky draw…")
    m = await sally.press(m, "◀ Back")
    assert "Task for" in m.content.plain_text and "🎁 Lucky draw…" in labels(m)
    assert "Step 2 of 2" in m.content.plain_text
    m = await sally.press(m, "No task")
    assert "✅ Issued" in m.content.plain_text  # first come, not a draw


async def test_r_draw1_panel_shows_entries_and_countdown_then_the_result_reaches_host_and_team(
    rig: BotRig,
    sally: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
    clock: FrozenClock,
) -> None:
    await services.shops.set_team_chat(seller, -100200)
    await open_draw_by_taps(sally)
    async with services.db.read() as session:
        [d] = (await session.execute(select(Distribution))).scalars().all()
    for buyer in ("viewer-a", "viewer-b", "viewer-c", "viewer-d"):
        await services.draws.enter(seller.shop_id, d.id, buyer)  # type: ignore[arg-type]
    clock.advance(seconds=30)
    await panels.refresh_now(d.session_id)
    panel = [m for m in rig.standin.messages(sally.chat) if "Lucky draws" in m.content.plain_text]
    assert panel, "the panel shows the running draw"
    text = panel[-1].content.plain_text
    assert "Live 5 off: 4 entries · closes in 2 min" in text
    clock.advance(minutes=2)
    assert await services.draws.close(d.id)  # type: ignore[arg-type]
    async with services.db.read() as session:
        rows = (
            (
                await session.execute(
                    select(Notification).where(
                        Notification.kind.in_(["draw_result", "draw_result_host"])  # type: ignore[attr-defined]
                    )
                )
            )
            .scalars()
            .all()
        )
    chats = sorted(r.chat_id for r in rows)
    assert chats == sorted([-100200, sally.user.id])
    assert all("4 entries, 3 winners received the voucher" in r.text for r in rows)
