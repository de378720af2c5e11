"""Where notices go when Telegram moves or closes a chat (issue 25), inside the caller's
transaction: the bot's Telegram handlers (through `TeamChatService`) and the outbox sender
(when Telegram refuses a send) both use these.

- A group upgraded to a supergroup: the shop's team chat and its pending notices move to the
  new id at once (`chat_migrated`).
- The bot left or was removed from a team chat: the team chat is *paused*, its notices are kept
  (not sent, not dropped) and the seller is told in private how to fix it (`bot_out_of_chat`).
  /team in a group resumes it (`resume`): kept notices are delivered, those older than
  `SUMMARY_AGE` as one summary.
- A person blocked the bot: their pending notices are given up and no new ones are queued
  (`person_blocked`); the feature that would have written to them says so instead.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import row_id
from core.notice_kinds import NoticeKind, kept_summary, team_chat_paused_text
from core.notifications import notify_person, pack
from storage import outbox, team_chats
from storage import repositories as repo
from storage.models import Shop

# Kept notices older than this are summarised in one message when the team chat comes back.
SUMMARY_AGE = timedelta(hours=1)


async def chat_migrated(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup: returns how many shops' team chats moved."""
    if old_chat_id == new_chat_id:
        return 0
    return await team_chats.move_chat_everywhere(session, old_chat_id, new_chat_id)


async def bot_out_of_chat(session: AsyncSession, chat_id: int, now: datetime) -> int:
    """The bot left or was removed from a group: pauses the team chats it was and tells each
    shop's seller once; returns how many shops were paused now."""
    shops = await team_chats.pause(session, chat_id, now)
    for shop in shops:
        seller = await repo.seller_of_shop(session, row_id(shop))
        if seller is None or seller.telegram_user_id is None:
            continue
        await notify_person(
            session,
            shop,
            seller.telegram_user_id,
            event_key=f"team_chat:{chat_id}:paused:{now:%Y%m%d%H%M%S}",
            kind=NoticeKind.TEAM_CHAT_PAUSED,
            text=team_chat_paused_text(shop.name),
            now=now,
        )
    return len(shops)


async def person_blocked(session: AsyncSession, chat_id: int, now: datetime) -> int:
    """A person blocked the bot: remembers it and gives up their pending notices (a send would
    only be refused); returns how many were given up."""
    await team_chats.block(session, chat_id, now)
    return await outbox.fail_chat(session, chat_id, now, "Forbidden: bot was blocked by the user")


async def person_unblocked(session: AsyncSession, chat_id: int) -> None:
    await team_chats.unblock(session, chat_id)


async def resume(session: AsyncSession, shop: Shop, old_chat_id: int | None, now: datetime) -> int:
    """/team after a pause: the kept notices go to the chosen chat (which may be another group),
    the old ones as one summary. Call after the shop's team chat is set and unpaused; returns
    how many notices the summary stands for (0: none)."""
    chat_id = shop.team_chat_id
    if chat_id is None:
        return 0
    if old_chat_id is not None and old_chat_id != chat_id:
        await outbox.move_chat(session, old_chat_id, chat_id)
    old = await team_chats.kept_notices(session, chat_id, now - SUMMARY_AGE)
    if len(old) < 2:
        return 0
    counts = Counter(kind for _id, kind in old)
    summary = pack(kept_summary(dict(counts)), row_id(shop), shop.language)
    await team_chats.replace_by_summary(session, [row_id for row_id, _kind in old], summary, now)
    return len(old)
