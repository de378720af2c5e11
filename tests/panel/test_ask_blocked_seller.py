"""Issue 25 (smaller): a host's "Ask the seller for more" to a seller who blocked the bot is
told so, instead of "Asked the seller to add more", and nothing is queued for the seller."""

from __future__ import annotations

from sqlalchemy import select

from bot.telegram.live_panel import PanelRefresher
from core.rules.roles import Actor
from core.services import Services
from storage import team_chats
from storage.models import Notification
from tests.bot.conftest import BotRig, Person
from tests.panel.test_live_panel import panel_messages
from tests.support.waiting import eventually


async def test_ask_for_more_to_a_seller_who_blocked_the_bot_says_so(
    rig: BotRig,
    host: Person,
    services: Services,
    seller: Actor,
    live_voucher: int,
    panels: PanelRefresher,
) -> None:
    rig.standin.user(1001, "Sally", "sally", started=True)
    await host.say("/live")
    member = await services.accounts.membership(2002)
    assert member is not None
    session = await services.live.active_session(member.actor)
    assert session is not None
    await services.live.issue(member.actor, session.id, live_voucher, "none")
    await panels.tick()
    [panel] = panel_messages(rig, host.chat)

    await rig.standin.block_bot(1001)  # Telegram sends the bot my_chat_member (kicked)

    async def blocked() -> bool:
        async with services.db.read() as s:
            return await team_chats.is_blocked(s, 1001)

    await eventually(blocked, "the seller's block remembered")
    answer = await host.press_data(panel, f"lp:{session.id}:a:{live_voucher}")
    assert answer is not None and "The seller has blocked me" in answer
    assert answer != "Asked the seller to add more."
    async with services.db.read() as s:
        stmt = select(Notification).where(Notification.kind == "ask_more")
        assert list((await s.execute(stmt)).scalars()) == []
