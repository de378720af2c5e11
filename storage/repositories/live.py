"""Live sessions, watch time, follows and distributions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.distribution_changes import announce_distribution
from storage.models import (
    Claim,
    Distribution,
    FollowEvent,
    LiveSession,
    WatchRecord,
)
from storage.repositories._common import _all, _first, _insert, _storable_id
from storage.sql import changed_rows, table_of

# --- live sessions, watch time, follows, distributions ------------------------------------


async def get_session(session: AsyncSession, shop_id: int, session_id: int) -> LiveSession | None:
    if not _storable_id(session_id):
        return None
    return await _first(
        session,
        select(LiveSession).where(LiveSession.id == session_id, LiveSession.shop_id == shop_id),
    )


async def active_session_of_account(session: AsyncSession, account_id: int) -> LiveSession | None:
    return await _first(
        session,
        select(LiveSession).where(
            LiveSession.account_id == account_id, col(LiveSession.ended_at).is_(None)
        ),
    )


async def list_sessions(
    session: AsyncSession,
    shop_id: int,
    *,
    active: bool | None,
    limit: int,
    after_id: int | None,
) -> list[LiveSession]:
    stmt = select(LiveSession).where(LiveSession.shop_id == shop_id)
    if active is True:
        stmt = stmt.where(col(LiveSession.ended_at).is_(None))
    elif active is False:
        stmt = stmt.where(col(LiveSession.ended_at).is_not(None))
    if after_id is not None:
        stmt = stmt.where(col(LiveSession.id) > after_id)
    return await _all(session, stmt.order_by(col(LiveSession.id)).limit(limit))


async def end_session(session: AsyncSession, session_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(LiveSession)
        .where(col(LiveSession.id) == session_id, col(LiveSession.ended_at).is_(None))
        .values(ended_at=now)
    )
    return changed_rows(result) == 1


async def record_watch(
    session: AsyncSession, session_id: int, buyer_id: str, seconds: int, now: datetime
) -> int:
    """Keeps the maximum reported cumulative watch time; returns it."""
    table = table_of(WatchRecord)
    stmt = _insert(session, WatchRecord).values(
        session_id=session_id, buyer_id=buyer_id, watched_seconds=seconds, updated_at=now
    )
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["session_id", "buyer_id"],
        set_={
            "watched_seconds": func.max(table.c.watched_seconds, excluded.watched_seconds)
            if session.bind.dialect.name == "sqlite"
            else func.greatest(table.c.watched_seconds, excluded.watched_seconds),
            "updated_at": now,
        },
    ).returning(table.c.watched_seconds)
    return int((await session.execute(stmt)).scalar_one())


async def last_counted_follow(
    session: AsyncSession, shop_id: int, host: str, buyer_id: str, *, before: datetime | None = None
) -> datetime | None:
    stmt = select(func.max(FollowEvent.at)).where(
        FollowEvent.shop_id == shop_id,
        FollowEvent.host_handle == host,
        FollowEvent.buyer_id == buyer_id,
        col(FollowEvent.counted).is_(True),
    )
    if before is not None:
        stmt = stmt.where(FollowEvent.at <= before)
    return (await session.execute(stmt)).scalar()


async def latest_follow_event(
    session: AsyncSession, shop_id: int, host: str, buyer_id: str
) -> FollowEvent | None:
    return await _first(
        session,
        select(FollowEvent)
        .where(
            FollowEvent.shop_id == shop_id,
            FollowEvent.host_handle == host,
            FollowEvent.buyer_id == buyer_id,
        )
        .order_by(col(FollowEvent.at).desc(), col(FollowEvent.id).desc())
        .limit(1),
    )


async def get_distribution(
    session: AsyncSession, shop_id: int, distribution_id: int
) -> Distribution | None:
    if not _storable_id(distribution_id):
        return None
    return await _first(
        session,
        select(Distribution).where(
            Distribution.id == distribution_id, Distribution.shop_id == shop_id
        ),
    )


async def active_distribution_of_voucher(
    session: AsyncSession, voucher_id: int
) -> Distribution | None:
    return await _first(
        session,
        select(Distribution).where(
            Distribution.voucher_id == voucher_id, col(Distribution.stopped_at).is_(None)
        ),
    )


async def active_distributions(
    session: AsyncSession,
    *,
    shop_id: int | None = None,
    session_ids: Iterable[int] | None = None,
    account_id: int | None = None,
    voucher_id: int | None = None,
) -> list[Distribution]:
    stmt = select(Distribution).where(col(Distribution.stopped_at).is_(None))
    if shop_id is not None:
        stmt = stmt.where(Distribution.shop_id == shop_id)
    if session_ids is not None:
        stmt = stmt.where(col(Distribution.session_id).in_(list(session_ids)))
    if account_id is not None:
        stmt = stmt.where(Distribution.account_id == account_id)
    if voucher_id is not None:
        stmt = stmt.where(Distribution.voucher_id == voucher_id)
    return await _all(session, stmt.order_by(col(Distribution.id)))


async def stop_distribution(
    session: AsyncSession, distribution_id: int, now: datetime, reason: str
) -> bool:
    result = await session.execute(
        update(Distribution)
        .where(col(Distribution.id) == distribution_id, col(Distribution.stopped_at).is_(None))
        .values(stopped_at=now, stop_reason=reason)
        .returning(col(Distribution.voucher_id))
    )
    voucher_id = result.scalar()
    if voucher_id is None:
        return False
    # Below the ORM, so announced by hand: every process's LIVE claims stop (R-live4, R-scale1).
    announce_distribution(session.sync_session, voucher_id)
    return True


async def claims_in_session(session: AsyncSession, session_id: int) -> int:
    stmt = select(func.count()).where(Claim.session_id == session_id)
    return int((await session.execute(stmt)).scalar_one())
