"""Issue 25: the bot in real Telegram, against the stand-in's updates and error bodies: a team
group upgraded to a supergroup, the bot removed from and added back to the team chat, a person
blocking the bot, forum topics; and three behaviours that already worked: addressed commands,
one attempt to a person who blocked the bot, double taps giving one effect."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col

from bot.telegram.outbox_sender import OutboxSender
from core.rules.roles import Actor
from core.services import Services
from storage import repositories as repo
from storage import team_chats
from storage.models import Notification, Voucher
from tests.bot.conftest import TIMEOUT, BotRig, Person, find_button
from tests.bot.test_conversation import walk_to_summary
from tests.conftest import draft, percent_draft
from tests.support.waiting import eventually

GROUP = -100321
SUPERGROUP = -1001000000321


async def shop_state(services: Services, seller: Actor) -> tuple[int | None, int | None, bool]:
    async with services.db.read() as session:
        shop = await repo.get_shop(session, seller.shop_id)
        assert shop is not None
        return shop.team_chat_id, shop.team_thread_id, shop.team_paused_at is not None


async def team_chat_in(rig: BotRig, sally: Person, group: int = GROUP) -> Person:
    rig.standin.group(group, "Acme team", members=[sally.user])
    team = sally.in_group(group)
    assert "now the team chat" in (await team.say("/team")).content.plain_text
    return team


def sender(rig: BotRig) -> OutboxSender:
    return OutboxSender(rig.services.db, rig.side.bot, clock=rig.services.clock, on_pending=None)


async def test_migrate_service_messages_move_the_team_chat_at_once(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await team_chat_in(rig, sally)
    await rig.standin.upgrade_to_supergroup(GROUP, SUPERGROUP, sally.user)

    async def moved() -> bool:
        return (await shop_state(services, seller))[0] == SUPERGROUP

    await eventually(moved, "the team chat moved to the supergroup")
    # The next team notice goes straight to the new id: no refused call.
    await services.vouchers.create(
        seller, percent_draft(name="Tiny cap", percent=20, max_discount=100, min_spend=10_000)
    )
    calls = rig.standin.calls["sendMessage"]
    assert await sender(rig).deliver_pending() == 1
    assert rig.standin.calls["sendMessage"] == calls + 1
    assert "Tiny cap" in (rig.standin.messages(SUPERGROUP)[-1].plain_text or "")


async def test_bot_removed_pauses_the_team_chat_tells_the_seller_and_team_resumes_it(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await sally.say("/start")  # the seller has a private chat with the bot
    team = await team_chat_in(rig, sally)
    await rig.standin.remove_bot_from_group(GROUP, sally.user)

    async def paused() -> bool:
        return (await shop_state(services, seller))[2]

    await eventually(paused, "the team chat paused")
    await services.vouchers.create(  # its R-v8 warning to the team is kept
        seller, percent_draft(name="Kept", percent=20, max_discount=100, min_spend=10_000)
    )
    out = sender(rig)
    await out.deliver_pending()
    told = rig.standin.last_message(sally.user.id)
    assert told is not None and "no longer in the team chat" in (told.plain_text or "")
    assert await out.pending() >= 1  # kept, not sent, not dropped
    assert not any("Kept" in (m.plain_text or "") for m in rig.standin.messages(GROUP))

    added = await rig.standin.add_bot_to_group(GROUP, sally.user)
    back = await rig.standin.next_reply(GROUP, TIMEOUT, since=added.seq)
    assert "Send /team here" in (back.plain_text or "")
    await team.say("/team")
    assert not (await shop_state(services, seller))[2]
    await out.deliver_pending()
    assert await out.pending() == 0
    assert any("Kept" in (m.plain_text or "") for m in rig.standin.messages(GROUP))


async def test_person_blocking_and_unblocking_the_bot_is_remembered(
    rig: BotRig, sally: Person, services: Services
) -> None:
    allowed = rig.standin.state.updates.allowed_updates  # polling asks for my_chat_member
    assert allowed is not None and "my_chat_member" in allowed

    async def blocked() -> bool:
        async with services.db.read() as session:
            return await team_chats.is_blocked(session, sally.user.id)

    await rig.standin.block_bot(sally.user)
    await eventually(blocked, "the block remembered")
    await rig.standin.block_bot(sally.user, blocked=False)

    async def unblocked() -> bool:
        return not await blocked()

    await eventually(unblocked, "the unblock remembered")


async def test_team_inside_a_forum_topic_replies_there_and_notices_go_there(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    rig.standin.group(SUPERGROUP, "Acme forum", members=[sally.user], forum=True)
    sent = await rig.standin.send_text(sally.user, "/team", SUPERGROUP, thread_id=42)
    reply = await rig.standin.next_reply(SUPERGROUP, TIMEOUT, since=sent.seq)
    assert "now the team chat" in (reply.plain_text or "") and reply.thread_id == 42
    assert await shop_state(services, seller) == (SUPERGROUP, 42, False)
    await services.vouchers.create(
        seller, percent_draft(name="Tiny cap", percent=20, max_discount=100, min_spend=10_000)
    )
    await sender(rig).deliver_pending()
    notice = rig.standin.messages(SUPERGROUP)[-1]
    assert "Tiny cap" in (notice.plain_text or "") and notice.thread_id == 42


async def test_addressed_commands_only_for_this_bot(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Spring", total_quantity=10))
    me = rig.standin.state.bot.username
    mine = await sally.say(f"/quota@{me}")
    assert "Spring: 10 of 10 left" in (mine.plain_text or "")
    other = await rig.standin.send_text(sally.user, "/quota@otherbot")
    # Updates are handled in order: the answer after it is the /help's, nothing for @otherbot.
    helped = await sally.say("/help")
    replies = [e for e in rig.standin.events if e.seq > other.seq and e.chat_id == sally.user.id]
    assert "Spring" not in (helped.plain_text or "")
    assert all(
        "Spring: 10 of 10" not in (getattr(e.message, "plain_text", "") or "") for e in replies
    )


async def test_user_who_blocked_the_bot_gets_one_attempt(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    rig.standin.user(sally.user.id).blocked_bot = True  # silently: the bot learns it from a 403
    async with services.db.write() as session:
        shop = await repo.get_shop(session, seller.shop_id)
        assert shop is not None
        from core.notifications import notify_person

        for n in range(3):
            await notify_person(
                session,
                shop,
                sally.user.id,
                event_key=f"b{n}",
                kind="test",
                text=f"n{n}",
                now=services.clock.now(),
            )
    calls = rig.standin.calls["sendMessage"]
    out = sender(rig)
    await out.deliver_pending()
    services.clock.advance(hours=1)  # type: ignore[attr-defined]
    await out.deliver_pending()
    assert rig.standin.calls["sendMessage"] == calls + 1
    assert await out.pending() == 0


async def test_double_taps_on_submit_and_deactivate_give_one_effect(
    rig: BotRig, sally: Person, services: Services, seller: Actor
) -> None:
    await services.shops.set_team_chat(seller, GROUP)
    *_, (_, _, summary) = await walk_to_summary(sally)
    data = find_button(summary, "✅ Submit")
    presses = [await rig.standin.press_button(sally.user, summary, data) for _ in range(2)]
    await asyncio.gather(*(p.answer(TIMEOUT) for p in presses))
    async with services.db.read() as session:
        vouchers = list((await session.execute(select(Voucher))).scalars())
    assert len(vouchers) == 1

    confirm = await sally.say(f"/deactivate {vouchers[0].id}")
    data = find_button(confirm, "⛔ Yes, deactivate")
    presses = [await rig.standin.press_button(sally.user, confirm, data) for _ in range(2)]
    await asyncio.gather(*(p.answer(TIMEOUT) for p in presses))
    assert (await services.vouchers.get(seller, vouchers[0].id)).status == "deactivated"  # type: ignore[arg-type]
    async with services.db.read() as session:
        kinds = list(
            (
                await session.execute(
                    select(col(Notification.kind)).where(Notification.kind == "deactivated")
                )
            ).scalars()
        )
    assert len(kinds) == 1  # one deactivation, one team notice
