"""R-live5: the live panel posted on /live and on an API-started session, edited with the
right figures, throttled, its buttons, a restart, a deleted panel, and the summary."""

from __future__ import annotations

from sqlalchemy import select

from bot.telegram.live_panel import PanelRefresher
from core.clock import FrozenClock
from core.rules.roles import Actor
from core.services import Services
from core.views import SessionView
from storage.models import Notification
from tests.bot.conftest import BotRig, Person, labels
from tests.support.waiting import eventually


def panel_messages(rig: BotRig, chat: int) -> list:  # type: ignore[type-arg]
    return [
        m
        for m in rig.standin.messages(chat)
        if "Claims this session" in m.content.plain_text
        or "See the figures with /stats" in m.content.plain_text
    ]


async def live_and_issued(
    sally: Person, panels: PanelRefresher, services: Services, seller: Actor, voucher_id: int
) -> SessionView:
    """The seller goes live with /live (the panel is posted) and issues the voucher, no task."""
    await sally.say("/live")
    await panels.tick()
    session = await services.live.active_session(seller)
    assert session is not None
    await services.live.issue(seller, session.id, voucher_id, "none")
    return session


async def claim(services: Services, seller: Actor, voucher_id: int, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        await services.claims.claim(seller.shop_id, voucher_id, f"buyer{i}")


async def test_r_live5_panel_posted_on_live_and_edited_with_the_figures(
    rig: BotRig,
    sally: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
    clock: FrozenClock,
) -> None:
    await sally.say("/live")
    await panels.tick()
    [panel] = panel_messages(rig, sally.chat)
    text = panel.content.plain_text
    assert "session #1 · less than a minute" in text and "Nothing is being distributed" in text
    assert {"🎟 Issue", "⏰ Schedule a drop", "🎬 End live"} <= set(labels(panel))
    stored = await services.panel.panel_of(1)
    assert stored is not None and (stored.chat_id, stored.message_id) == (
        sally.chat,
        panel.message_id,
    )
    session = await services.live.active_session(seller)
    assert session is not None
    await services.live.issue(seller, session.id, live_voucher, "none")
    clock.advance(seconds=40)
    await claim(services, seller, live_voucher, 12)
    clock.advance(seconds=20)
    await panels.tick()
    text = rig.standin.message(sally.chat, panel.message_id).content.plain_text  # type: ignore[union-attr]
    assert "session #1 · 1 min" in text
    assert "Live 5 off (#1) · no task" in text
    assert "12 claims · 88 of 100 left" in text
    # 12 claims over the 60 s the distribution has run: 12/min, 88 left → about 7 min.
    assert "12.0 claims/min · sells out in about 7 min" in text
    assert "Claims this session: 12" in text
    assert {f"⏹ Stop #{live_voucher}", f"➕ Add #{live_voucher}"} <= set(
        labels(rig.standin.message(sally.chat, panel.message_id))  # type: ignore[arg-type]
    )
    assert len(panel_messages(rig, sally.chat)) == 1  # edited in place


async def test_r_live5_panel_for_a_session_started_through_the_api(
    rig: BotRig, host: Person, services: Services, seller: Actor, panels: PanelRefresher
) -> None:
    member = await services.accounts.membership(2002)
    assert member is not None
    await services.live.start_session(Actor.platform(seller.shop_id), member.actor.account_id)
    await panels.tick()
    [panel] = panel_messages(rig, host.chat)
    assert "You're live" in panel.content.plain_text
    # A host who may not add quantity is offered to ask the seller instead (once distributing).


async def test_r_live5_many_claims_in_a_second_make_at_most_one_edit_per_3_seconds(
    rig: BotRig,
    sally: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
    clock: FrozenClock,
) -> None:
    await live_and_issued(sally, panels, services, seller, live_voucher)
    clock.advance(seconds=3)
    await panels.tick()  # shows the distribution
    edits = rig.standin.calls["editMessageText"]
    for step in range(60):  # 6 s of ticks every 0.1 s, with 5 claims in each of the first 10
        if step < 10:
            await claim(services, seller, live_voucher, 5, first=step * 5)
        clock.advance(seconds=0.1)
        await panels.tick()
    made = rig.standin.calls["editMessageText"] - edits
    # The first edit waits for the 3 s gap; the next can't come before 3 s after it.
    assert made == 1, made
    [panel] = panel_messages(rig, sally.chat)
    assert "50 claims · 50 of 100 left" in panel.content.plain_text


async def test_r_live5_buttons_stop_ask_issue_and_end_refresh_at_once(
    rig: BotRig,
    host: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
) -> None:
    await host.say("/live")
    member = await services.accounts.membership(2002)
    assert member is not None
    session = await services.live.active_session(member.actor)
    await services.live.issue(member.actor, session.id, live_voucher, "watch", 3)  # type: ignore[union-attr]
    await panels.tick()
    [panel] = panel_messages(rig, host.chat)
    assert f"🙋 Ask seller for more #{live_voucher}" in labels(panel)
    assert not any(label.startswith("➕ Add") for label in labels(panel))
    # Ask the seller: the seller gets a one-tap Add quantity through the outbox.
    answer = await host.press_data(panel, f"lp:{session.id}:a:{live_voucher}")  # type: ignore[union-attr]
    assert answer == "Asked the seller to add more."
    async with services.db.read() as s:
        [note] = list(
            (await s.execute(select(Notification).where(Notification.kind == "ask_more"))).scalars()
        )
    assert note.chat_id == 1001 and f"v:{live_voucher}:add" in (note.buttons or "")
    # Stop: the panel changes at once, without waiting for the refresher's tick.
    edited = await host.press(panel, f"⏹ Stop #{live_voucher}")
    assert edited.message_id == panel.message_id
    assert "Nothing is being distributed" in edited.content.plain_text
    assert await services.live.distributions(member.actor) == []
    # Issue: the /issue flow takes the pressed message; the panel moves below it.
    flow = await host.press(edited, "🎟 Issue")
    assert "Which LIVE voucher?" in flow.content.plain_text
    await rig.standin.wait_for(
        lambda: (
            len(panel_messages(rig, host.chat)) == 1
            and panel_messages(rig, host.chat)[0].message_id != panel.message_id
        )
    )
    [moved] = panel_messages(rig, host.chat)

    async def recorded() -> bool:  # the handler records the moved panel after sending it
        return (await services.panel.panel_of(session.id)).message_id == moved.message_id  # type: ignore[union-attr]

    await eventually(recorded, "the moved panel to be recorded", within=5)
    # End live, with a confirmation; the panel becomes the summary at once.
    confirm = await host.press(moved, "🎬 End live")
    assert "End the live session?" in confirm.content.plain_text
    summary = await host.press(confirm, "🎬 Yes, end it")
    assert summary.message_id == moved.message_id
    assert "Live session #1 ended after less than a minute" in summary.content.plain_text
    assert "0 voucher claims" in summary.content.plain_text and summary.buttons == []
    assert await services.live.active_session(member.actor) is None

    async def closed() -> bool:  # the refresher records the edit after Telegram accepted it
        return (await services.panel.panel_of(session.id)).closed  # type: ignore[union-attr]

    await eventually(closed, "the ended panel to be recorded as closed", within=5)


async def test_r_live5_same_message_edited_after_a_restart_and_deleted_panel_reposted(
    rig: BotRig,
    sally: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    clock: FrozenClock,
) -> None:
    await sally.say("/live")
    await PanelRefresher(services, rig.side.bot).tick()
    [panel] = panel_messages(rig, sally.chat)
    await rig.restart()  # a new Application; the refresher of the new leader knows nothing
    session = await services.live.active_session(seller)
    await services.live.issue(seller, session.id, live_voucher, "follow")  # type: ignore[union-attr]
    clock.advance(seconds=5)
    await PanelRefresher(services, rig.side.bot).tick()
    [same] = panel_messages(rig, sally.chat)
    assert same.message_id == panel.message_id and "follow the host" in same.content.plain_text
    # The host deletes the panel: the next change posts a new one, and it is remembered.
    same.deleted = True
    await services.live.stop_voucher(seller, live_voucher)
    clock.advance(seconds=5)
    await PanelRefresher(services, rig.side.bot).tick()
    [new] = panel_messages(rig, sally.chat)
    assert new.message_id != panel.message_id
    assert (await services.panel.panel_of(session.id)).message_id == new.message_id  # type: ignore[union-attr]


async def test_r_live5_summary_at_the_end_of_the_session(
    rig: BotRig,
    sally: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
    clock: FrozenClock,
) -> None:
    await live_and_issued(sally, panels, services, seller, live_voucher)
    await claim(services, seller, live_voucher, 1)
    clock.advance(minutes=25)
    await sally.say("/endlive")
    await panels.tick()
    [panel] = panel_messages(rig, sally.chat)
    text = panel.content.plain_text
    assert "Live session #1 ended after 25 min" in text and "1 voucher claim in" in text
    assert panel.buttons == []
    edits = rig.standin.calls["editMessageText"]
    clock.advance(minutes=1)
    await panels.tick()  # closed: nothing more to do
    assert rig.standin.calls["editMessageText"] == edits
    assert await services.panel.to_tend() == []
