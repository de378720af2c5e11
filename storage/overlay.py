"""SQL of overlay tokens (R-ev4): one active token per account, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import OverlayToken
from storage.sql import changed_rows


async def active_token(session: AsyncSession, account_id: int) -> str | None:
    stmt = select(col(OverlayToken.token)).where(
        col(OverlayToken.account_id) == account_id,
        col(OverlayToken.revoked_at).is_(None),
    )
    return (await session.execute(stmt)).scalars().first()


async def add_token(
    session: AsyncSession, token: str, shop_id: int, account_id: int, now: datetime
) -> None:
    session.add(OverlayToken(token=token, shop_id=shop_id, account_id=account_id, created_at=now))
    await session.flush()


async def revoke(session: AsyncSession, account_id: int, now: datetime) -> int:
    result = await session.execute(
        update(OverlayToken)
        .where(
            col(OverlayToken.account_id) == account_id,
            col(OverlayToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return changed_rows(result)


async def lookup(session: AsyncSession, token: str) -> tuple[int, int] | None:
    """(shop id, account id) of a token that is not revoked."""
    stmt = select(col(OverlayToken.shop_id), col(OverlayToken.account_id)).where(
        col(OverlayToken.token) == token,
        col(OverlayToken.revoked_at).is_(None),
    )
    row = (await session.execute(stmt)).first()
    return (int(row[0]), int(row[1])) if row is not None else None
