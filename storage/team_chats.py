"""SQL of where notices go when Telegram moves or closes a chat (issue 25): a group upgraded to
a supergroup, a team chat the bot was removed from (paused), a person who blocked the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import BlockedChat, Notification, Shop
from storage.outbox import move_chat
from storage.sql import changed_rows


async def move_chat_everywhere(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup: every shop whose team chat it was, and every pending notice
    to it, now point at the new id. The topic is forgotten (a new supergroup has none).
    Returns how many shops moved; running it twice is harmless."""
    result = await session.execute(
        update(Shop)
        .where(col(Shop.team_chat_id) == old_chat_id)
        .values(team_chat_id=new_chat_id, team_thread_id=None)
    )
    await move_chat(session, old_chat_id, new_chat_id)
    return changed_rows(result)


async def forget_topic(session: AsyncSession, chat_id: int) -> int:
    """The team chat's forum topic is gone: its notices go to General from now on."""
    result = await session.execute(
        update(Shop).where(col(Shop.team_chat_id) == chat_id).values(team_thread_id=None)
    )
    return changed_rows(result)


async def pause(session: AsyncSession, chat_id: int, now: datetime) -> list[Shop]:
    """The bot is out of this group: the shops whose team chat it is and that were not paused
    yet are paused now (their notices are kept); returns those shops."""
    stmt = select(Shop).where(col(Shop.team_chat_id) == chat_id, col(Shop.team_paused_at).is_(None))
    shops = list((await session.execute(stmt)).scalars().all())
    for shop in shops:
        shop.team_paused_at = now
    return shops


async def is_paused_team_chat(session: AsyncSession, chat_id: int) -> bool:
    stmt = select(col(Shop.id)).where(
        col(Shop.team_chat_id) == chat_id, col(Shop.team_paused_at).is_not(None)
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def is_team_chat(session: AsyncSession, chat_id: int) -> bool:
    stmt = select(col(Shop.id)).where(col(Shop.team_chat_id) == chat_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def block(session: AsyncSession, chat_id: int, now: datetime) -> bool:
    """The person blocked the bot; True if that is news."""
    if await session.get(BlockedChat, chat_id) is not None:
        return False
    session.add(BlockedChat(chat_id=chat_id, blocked_at=now))
    await session.flush()
    return True


async def unblock(session: AsyncSession, chat_id: int) -> None:
    await session.execute(delete(BlockedChat).where(col(BlockedChat.chat_id) == chat_id))


async def is_blocked(session: AsyncSession, chat_id: int) -> bool:
    return await session.get(BlockedChat, chat_id) is not None


async def kept_notices(
    session: AsyncSession, chat_id: int, before: datetime
) -> list[tuple[int, str]]:
    """(id, kind) of the pending notices to `chat_id` written before `before`, oldest first."""
    stmt = (
        select(col(Notification.id), col(Notification.kind))
        .where(
            col(Notification.chat_id) == chat_id,
            col(Notification.sent_at).is_(None),
            col(Notification.failed_at).is_(None),
            col(Notification.created_at) < before,
        )
        .order_by(col(Notification.id))
    )
    return [(int(row[0]), str(row[1])) for row in (await session.execute(stmt)).all()]


async def replace_by_summary(
    session: AsyncSession, ids: list[int], summary: str, now: datetime
) -> None:
    """The first of `ids` becomes the summary (so it keeps its place in the chat's order); the
    others count as delivered by it."""
    first, rest = ids[0], ids[1:]
    await session.execute(
        update(Notification)
        .where(col(Notification.id) == first)
        .values(text=summary, buttons=None, kind="summary", next_attempt_at=now)
    )
    if rest:
        await session.execute(
            update(Notification)
            .where(col(Notification.id).in_(rest))
            .values(sent_at=now, last_error="summarised")
        )
