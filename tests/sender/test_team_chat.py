"""Issue 25 in the sender, against the stand-in speaking Telegram's own answers: a team group
upgraded to a supergroup (400 with migrate_to_chat_id), a team chat the bot was removed from
(403, paused and kept), a person who blocked the bot (403, one attempt), forum topics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.telegram.outbox_sender import OutboxSender
from bot.telegram_standin import TelegramStandIn
from core.clock import FrozenClock
from core.errors import Conflict
from core.notifications import notify, notify_person
from core.rules.roles import Actor
from core.services import Services
from storage import repositories as repo
from storage import team_chats
from storage.models import Notification, Shop
from tests.sender.conftest import PRIVATE_CHAT, TEAM_GROUP, Outbox, texts

Build = Callable[..., OutboxSender]
SUPERGROUP = -1001234567890
FORUM = -1009876543210
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@dataclass
class Team:
    """The seller's shop with the stand-in, its outbox and a sender: what every test here
    starts from."""

    standin: TelegramStandIn
    services: Services
    seller: Actor
    outbox: Outbox
    make_sender: Build

    async def use(self, chat_id: int, thread_id: int | None = None) -> None:
        """The seller names the team chat (/team)."""
        await self.services.shops.set_team_chat(self.seller, chat_id, thread_id)

    async def shop(self, session: AsyncSession) -> Shop:
        shop = await repo.get_shop(session, self.seller.shop_id)
        assert shop is not None
        return shop

    async def notice(self, key: str, text: str) -> bool:
        """A team notice written the way core writes them."""
        async with self.services.db.write() as session:
            shop = await self.shop(session)
            now = self.services.clock.now()
            return await notify(session, shop, event_key=key, kind="test", text=text, now=now)

    async def chat(self) -> tuple[int | None, int | None, bool]:
        """The team chat, its topic, and whether it is paused."""
        async with self.services.db.read() as session:
            shop = await self.shop(session)
        return shop.team_chat_id, shop.team_thread_id, shop.team_paused_at is not None

    def sender(self, **options: Any) -> OutboxSender:
        return self.make_sender(**options)


@pytest.fixture
def team(
    standin: TelegramStandIn,
    services: Services,
    seller: Actor,
    outbox_rows: Outbox,
    make_sender: Build,
) -> Team:
    return Team(standin, services, seller, outbox_rows, make_sender)


async def test_chat_migrated_moves_the_team_chat_and_pending_notices_at_once(team: Team) -> None:
    await team.use(TEAM_GROUP)
    await team.standin.upgrade_to_supergroup(TEAM_GROUP, SUPERGROUP, PRIVATE_CHAT)
    first = await team.outbox.add(TEAM_GROUP, "first")
    second = await team.outbox.add(TEAM_GROUP, "second")
    sender = team.sender()

    # The first send is refused with Telegram's 400 naming the new id; both go there.
    assert await sender.deliver_pending() == 2
    assert texts(team.standin, SUPERGROUP) == ["first", "second"]
    assert team.standin.calls["sendMessage"] == 3
    assert (await team.chat())[0] == SUPERGROUP
    for row_id in (first, second):
        assert (await team.outbox.row(row_id)).chat_id == SUPERGROUP

    # Later notices go to the new id directly: no refused call, no log line per notice.
    assert await team.notice("later", "later")
    assert await sender.deliver_pending() == 1
    assert team.standin.calls["sendMessage"] == 4
    assert texts(team.standin, SUPERGROUP) == ["first", "second", "later"]


async def test_injected_migration_error_has_telegrams_body_and_is_followed(team: Team) -> None:
    team.standin.group(SUPERGROUP, "Acme team")
    await team.use(TEAM_GROUP)
    team.standin.fail_next("sendMessage", migrate_to_chat_id=SUPERGROUP)
    await team.outbox.add(TEAM_GROUP, "moved")
    assert await team.sender().deliver_pending() == 1
    assert texts(team.standin, SUPERGROUP) == ["moved"]
    assert texts(team.standin, TEAM_GROUP) == []
    assert (await team.chat())[0] == SUPERGROUP


async def test_removed_from_the_team_chat_pauses_it_keeps_notices_and_tells_the_seller(
    team: Team, clock: FrozenClock
) -> None:
    await team.use(TEAM_GROUP)
    team.standin.set_member(
        TEAM_GROUP, team.standin.state.bot, "kicked"
    )  # no update: learnt from a 403
    assert await team.notice("a", "kept one")
    sender = team.sender()

    assert await sender.deliver_pending() == 1  # the seller's private notice
    [told] = texts(team.standin, PRIVATE_CHAT)
    assert "no longer in the team chat of Acme" in told and "/team" in told
    assert (await team.chat())[2] is True

    # Paused: later notices are kept and cost no call.
    assert await team.notice("b", "kept two")
    clock.advance(minutes=5)
    calls = team.standin.calls["sendMessage"]
    assert await sender.deliver_pending() == 0
    assert team.standin.calls["sendMessage"] == calls
    assert await sender.pending() == 2

    # Added back and /team sent: the kept notices are delivered, in order, once.
    team.standin.set_member(TEAM_GROUP, team.standin.state.bot, "member")
    await team.use(TEAM_GROUP)
    assert await sender.deliver_pending() == 2
    assert texts(team.standin, TEAM_GROUP) == ["kept one", "kept two"]
    assert await sender.pending() == 0


async def test_old_kept_notices_are_summarised_in_one_message(
    team: Team, clock: FrozenClock
) -> None:
    await team.use(TEAM_GROUP)
    await team.services.team_chats.bot_removed(TEAM_GROUP)
    for kind in ("claim_period_opened", "claim_period_opened", "quota_80"):
        await team.outbox.add(TEAM_GROUP, f"old {kind}", kind=kind)
    clock.advance(hours=2)
    await team.outbox.add(TEAM_GROUP, "recent")
    await team.use(TEAM_GROUP)

    sender = team.sender()
    assert await sender.deliver_pending() == 3  # and the seller was told in private
    summary, recent = texts(team.standin, TEAM_GROUP)
    assert "3 notices were kept" in summary
    assert "• 2 claim periods opened" in summary and "• 1 voucher almost claimed" in summary
    assert recent == "recent"
    assert await sender.pending() == 0


async def test_kept_notices_follow_the_team_chat_to_another_group(team: Team) -> None:
    team.standin.group(SUPERGROUP, "Acme team 2")
    await team.use(TEAM_GROUP)
    await team.services.team_chats.bot_removed(TEAM_GROUP)
    await team.outbox.add(TEAM_GROUP, "kept")
    await team.use(SUPERGROUP)
    assert await team.sender().deliver_pending() >= 1
    assert texts(team.standin, SUPERGROUP) == ["kept"]


async def test_blocked_person_gets_one_attempt_and_their_notices_stop(
    team: Team, clock: FrozenClock
) -> None:
    team.standin.user(PRIVATE_CHAT).blocked_bot = True  # Telegram has not told the bot (yet)
    for n in range(3):
        await team.outbox.add(PRIVATE_CHAT, f"private {n}")
    sender = team.sender()
    assert await sender.deliver_pending() == 0
    clock.advance(hours=1)
    assert await sender.deliver_pending() == 0
    assert team.standin.calls["sendMessage"] == 1  # one attempt, no retry storm
    assert all(row.failed_at is not None for row in await team.outbox.rows())

    # Nothing more is queued for them; a feature asking says so.
    async with team.services.db.write() as session:
        assert await team_chats.is_blocked(session, PRIVATE_CHAT)
        shop = await team.shop(session)
        queued = await notify_person(
            session, shop, PRIVATE_CHAT, event_key="x", kind="test", text="x", now=clock.now()
        )
    assert queued is False

    # Unblocked (Telegram's my_chat_member): notices flow again.
    await team.services.team_chats.unblocked(PRIVATE_CHAT)
    team.standin.user(PRIVATE_CHAT).blocked_bot = False
    await team.outbox.add(PRIVATE_CHAT, "welcome back")
    assert await sender.deliver_pending() == 1


async def test_blocked_seller_is_not_asked_for_more(
    services: Services, seller: Actor, clock: FrozenClock
) -> None:
    from tests.conftest import draft

    v = await services.vouchers.create(seller, draft(name="Live 5 off", kind="live"))
    await services.team_chats.blocked(1001)
    with pytest.raises(Conflict) as refused:
        await services.panel.ask_seller_for_more(seller, v.id)  # type: ignore[arg-type]
    assert refused.value.code == "seller_blocked_bot"
    async with services.db.read() as session:
        rows = (await session.execute(select(col(Notification.kind)))).scalars().all()
    assert "ask_more" not in rows


async def test_every_team_notice_carries_the_forum_topic(team: Team) -> None:
    team.standin.group(FORUM, "Acme forum", forum=True)
    await team.use(FORUM, 77)
    await team.notice("t1", "to the topic")
    await team.outbox.add(PRIVATE_CHAT, "private, no topic")
    assert await team.sender().deliver_pending() == 2
    [topic] = team.standin.messages(FORUM)
    assert topic.thread_id == 77 and topic.to_json()["is_topic_message"] is True
    [private] = team.standin.messages(PRIVATE_CHAT)
    assert private.thread_id is None
    assert (await team.chat())[:2] == (FORUM, 77)


async def test_a_deleted_topic_sends_the_notices_to_general(team: Team) -> None:
    team.standin.group(FORUM, "Acme forum", forum=True)
    await team.use(FORUM, 77)
    team.standin.fail_next("sendMessage", 400, description="Bad Request: message thread not found")
    await team.notice("t1", "to the team")
    assert await team.sender().deliver_pending() == 1
    [general] = team.standin.messages(FORUM)
    assert general.plain_text == "to the team" and general.thread_id is None
    assert (await team.chat())[:2] == (FORUM, None)


async def test_topic_is_forgotten_when_the_chat_migrates(team: Team) -> None:
    await team.use(TEAM_GROUP, 5)
    assert await team.services.team_chats.migrated(TEAM_GROUP, SUPERGROUP) == 1
    assert await team.chat() == (SUPERGROUP, None, False)
    assert await team.services.team_chats.migrated(TEAM_GROUP, SUPERGROUP) == 0  # twice: harmless
