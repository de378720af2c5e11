"""SQL for the Telegram bot's persisted state: guided-flow conversations and per-user data.

Values arrive and leave as JSON text; the caller (the bot's persistence) owns the encoding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import BotConversation, BotData


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def conversations(session: AsyncSession, name: str) -> dict[str, str]:
    """Every stored conversation of one handler: JSON key → JSON state."""
    rows = await session.execute(
        select(BotConversation.key, BotConversation.state).where(BotConversation.name == name)
    )
    return {key: state for key, state in rows.all()}


async def save_conversation(
    session: AsyncSession, name: str, key: str, state: str, now: datetime
) -> None:
    values = {"state": state, "updated_at": now}
    stmt = _insert(session, BotConversation).values(name=name, key=key, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["name", "key"], set_=values))


async def drop_conversation(session: AsyncSession, name: str, key: str) -> None:
    await session.execute(
        delete(BotConversation).where(
            col(BotConversation.name) == name, col(BotConversation.key) == key
        )
    )


async def data_of_kind(session: AsyncSession, kind: str) -> dict[str, str]:
    """Every stored document of one kind (`user`, `chat`, `bot`, `callback`): ref → JSON."""
    rows = await session.execute(select(BotData.ref, BotData.data).where(BotData.kind == kind))
    return {ref: data for ref, data in rows.all()}


async def save_data(session: AsyncSession, kind: str, ref: str, data: str, now: datetime) -> None:
    values = {"data": data, "updated_at": now}
    stmt = _insert(session, BotData).values(kind=kind, ref=ref, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["kind", "ref"], set_=values))


async def drop_data(session: AsyncSession, kind: str, ref: str) -> None:
    await session.execute(delete(BotData).where(col(BotData.kind) == kind, col(BotData.ref) == ref))
