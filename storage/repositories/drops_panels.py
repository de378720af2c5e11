"""Timed drops and live panels (R-drop1, R-live5)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Account,
    Claim,
    LivePanel,
    LiveSession,
    TimedDrop,
)
from storage.repositories._common import _all, _first, _insert, _storable_id
from storage.sql import changed_rows

# --- timed drops and live panels (R-drop1, R-live5) ---------------------------------------


async def get_drop(
    session: AsyncSession, shop_id: int, drop_id: int, *, lock: bool = False
) -> TimedDrop | None:
    if not _storable_id(drop_id):
        return None
    stmt = select(TimedDrop).where(TimedDrop.id == drop_id, TimedDrop.shop_id == shop_id)
    return await _first(session, stmt.with_for_update() if lock else stmt)


async def drop_for_firing(session: AsyncSession, drop_id: int) -> TimedDrop | None:
    """The drop row, locked on PostgreSQL so two processes firing it take turns (the second
    then sees it settled); SQLite write transactions are serial anyway."""
    stmt = select(TimedDrop).where(TimedDrop.id == drop_id).with_for_update()
    return await _first(session, stmt)


async def drops_of_session(
    session: AsyncSession, session_ids: Iterable[int], *, pending_only: bool = False
) -> list[TimedDrop]:
    stmt = select(TimedDrop).where(col(TimedDrop.session_id).in_(list(session_ids)))
    if pending_only:
        stmt = stmt.where(TimedDrop.status == "pending")
    return await _all(session, stmt.order_by(col(TimedDrop.at), col(TimedDrop.id)))


async def count_pending_drops(session: AsyncSession, session_id: int) -> int:
    stmt = select(func.count()).where(
        TimedDrop.session_id == session_id, TimedDrop.status == "pending"
    )
    return int((await session.execute(stmt)).scalar_one())


async def pending_drops(session: AsyncSession) -> list[TimedDrop]:
    """Every pending drop of every shop, soonest first: what the scheduler owes."""
    stmt = select(TimedDrop).where(TimedDrop.status == "pending")
    return await _all(session, stmt.order_by(col(TimedDrop.at), col(TimedDrop.id)))


async def settle_drop(
    session: AsyncSession,
    drop_id: int,
    status: str,
    now: datetime,
    *,
    reason: str | None = None,
    distribution_id: int | None = None,
) -> bool:
    """pending → fired|failed|cancelled, once: False when the drop was already settled."""
    result = await session.execute(
        update(TimedDrop)
        .where(col(TimedDrop.id) == drop_id, col(TimedDrop.status) == "pending")
        .values(status=status, settled_at=now, reason=reason, distribution_id=distribution_id)
    )
    return changed_rows(result) == 1


async def cancel_pending_drops(
    session: AsyncSession, session_id: int, now: datetime, reason: str
) -> list[int]:
    """Cancels a session's pending drops in one statement; returns the ids it cancelled. On
    PostgreSQL it waits for a drop being fired (its row is locked) and then skips it."""
    result = await session.execute(
        update(TimedDrop)
        .where(col(TimedDrop.session_id) == session_id, col(TimedDrop.status) == "pending")
        .values(status="cancelled", settled_at=now, reason=reason)
        .returning(col(TimedDrop.id))
    )
    # a returned primary key is never NULL (the column is `int | None` only for unsaved rows)
    return [i for i in result.scalars() if i is not None]


async def get_panel(session: AsyncSession, session_id: int) -> LivePanel | None:
    return await _first(session, select(LivePanel).where(LivePanel.session_id == session_id))


async def add_panel(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Records a posted panel unless the session already has one (one panel per session)."""
    stmt = _insert(session, LivePanel).values(**values)
    stmt = stmt.on_conflict_do_nothing(index_elements=["session_id"])
    result = await session.execute(stmt)
    return changed_rows(result) == 1


async def update_panel(session: AsyncSession, session_id: int, **values: Any) -> None:
    await session.execute(
        update(LivePanel).where(col(LivePanel.session_id) == session_id).values(**values)
    )


async def panels_to_tend(session: AsyncSession) -> list[tuple[LiveSession, LivePanel | None]]:
    """Sessions whose panel needs the leader: active ones (with or without a panel yet) and
    ended ones whose panel is not yet the summary."""
    stmt = (
        select(LiveSession, LivePanel)
        .outerjoin(LivePanel, col(LivePanel.session_id) == col(LiveSession.id))
        .where(
            or_(
                col(LiveSession.ended_at).is_(None),
                (col(LivePanel.session_id).is_not(None)) & col(LivePanel.closed_at).is_(None),
            )
        )
        .order_by(col(LiveSession.id))
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def lock_live_session(
    session: AsyncSession, shop_id: int, session_id: int
) -> LiveSession | None:
    """The session row, locked on PostgreSQL: what serializes counting its pending drops."""
    if not _storable_id(session_id):
        return None
    stmt = (
        select(LiveSession)
        .where(LiveSession.id == session_id, LiveSession.shop_id == shop_id)
        .with_for_update()
    )
    return await _first(session, stmt)


async def claims_by_distribution(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    """Claims made through each distribution (the panel's "claims in this session")."""
    if not ids:
        return {}
    stmt = (
        select(Claim.distribution_id, func.count())
        .where(col(Claim.distribution_id).in_(list(ids)))
        .group_by(col(Claim.distribution_id))
    )
    return {int(k): int(n) for k, n in (await session.execute(stmt)).all()}


async def session_by_id(session: AsyncSession, session_id: int) -> LiveSession | None:
    if not _storable_id(session_id):
        return None
    return await _first(session, select(LiveSession).where(LiveSession.id == session_id))


async def panel_by_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> LivePanel | None:
    return await _first(
        session,
        select(LivePanel).where(LivePanel.chat_id == chat_id, LivePanel.message_id == message_id),
    )


async def seller_of_shop(session: AsyncSession, shop_id: int) -> Account | None:
    return await _first(
        session,
        select(Account)
        .where(
            Account.shop_id == shop_id,
            Account.role == "seller",
            col(Account.unlinked_at).is_(None),
        )
        .order_by(col(Account.id))
        .limit(1),
    )
