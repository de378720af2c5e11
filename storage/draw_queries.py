"""SQL of lucky draws (R-draw1–R-draw5): draw rows, their entrants, the close, the beacon
round and the cancelled draws of a session. The entries' writer and reader are in
storage/draw_entries.py (re-exported here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.draw_entries import (
    CANCELLED,
    DRAWING,
    DRAWN,
    MAX_ENTRY_BATCH,
    OPEN,
    PG_BATCHES_IN_FLIGHT,
    EntryContext,
    EntryContextReader,
    EntryOutcome,
    EntryRequest,
    EntryResult,
    EntryWriter,
    _storable,
)
from storage.models import Claim, Distribution, Draw, DrawEntry
from storage.sql import changed_rows

__all__ = [
    "CANCELLED",
    "DRAWING",
    "DRAWN",
    "MAX_ENTRY_BATCH",
    "OPEN",
    "PG_BATCHES_IN_FLIGHT",
    "EntryContext",
    "EntryContextReader",
    "EntryOutcome",
    "EntryRequest",
    "EntryResult",
    "EntryWriter",
]


async def get_draw(session: AsyncSession, shop_id: int, distribution_id: int) -> Draw | None:
    if not _storable(distribution_id):
        return None
    stmt = select(Draw).where(Draw.distribution_id == distribution_id, Draw.shop_id == shop_id)
    return (await session.execute(stmt)).scalars().first()


async def draw_of(session: AsyncSession, distribution_id: int) -> Draw | None:
    return await session.get(Draw, distribution_id)


async def is_draw(session: AsyncSession, distribution_id: int) -> bool:
    stmt = select(Draw.distribution_id).where(Draw.distribution_id == distribution_id)
    return (await session.execute(stmt)).first() is not None


async def draws_of(session: AsyncSession, distribution_ids: Iterable[int]) -> dict[int, Draw]:
    ids = list(distribution_ids)
    if not ids:
        return {}
    stmt = select(Draw).where(col(Draw.distribution_id).in_(ids))
    return {d.distribution_id: d for d in (await session.execute(stmt)).scalars().all()}


async def cancel_open_draw(
    session: AsyncSession, distribution_id: int, now: datetime, reason: str
) -> Draw | None:
    """Cancels a draw whose window has not closed yet; None when there is none to cancel (a
    closed window is drawn even if the distribution stops afterwards, R-draw2)."""
    stmt = (
        update(Draw)
        .where(
            col(Draw.distribution_id) == distribution_id,
            col(Draw.status) == OPEN,
            col(Draw.closes_at) > now,
        )
        .values(status=CANCELLED, cancel_reason=reason, drawn_at=now)
        .returning(Draw)
    )
    return (await session.execute(stmt)).scalars().first()


async def count_entries(session: AsyncSession, distribution_id: int) -> int:
    stmt = select(func.count()).where(DrawEntry.distribution_id == distribution_id)
    return int((await session.execute(stmt)).scalar_one())


async def entry_counts(session: AsyncSession, distribution_ids: Iterable[int]) -> dict[int, int]:
    ids = list(distribution_ids)
    if not ids:
        return {}
    stmt = (
        select(DrawEntry.distribution_id, func.count())
        .where(col(DrawEntry.distribution_id).in_(ids))
        .group_by(col(DrawEntry.distribution_id))
    )
    return {int(d): int(n) for d, n in (await session.execute(stmt)).all()}


async def entrants(session: AsyncSession, distribution_id: int) -> list[str]:
    stmt = select(DrawEntry.buyer_id).where(DrawEntry.distribution_id == distribution_id)
    return [row[0] for row in (await session.execute(stmt)).all()]


async def get_entry(session: AsyncSession, distribution_id: int, buyer_id: str) -> DrawEntry | None:
    return await session.get(DrawEntry, (distribution_id, buyer_id))


async def draws_owing_a_close(session: AsyncSession) -> list[Draw]:
    """Draws still to be made: open ones, and ones a process began and did not finish."""
    stmt = select(Draw).where(col(Draw.status).in_([OPEN, DRAWING])).order_by(col(Draw.closes_at))
    return list((await session.execute(stmt)).scalars().all())


async def begin_draw(
    session: AsyncSession, distribution_id: int, now: datetime, lease_until: datetime
) -> Draw | None:
    """Takes the draw for this process until `lease_until`: an open draw whose window has
    closed, or one whose previous taker's lease ran out (it died mid-way)."""
    stmt = (
        update(Draw)
        .where(
            col(Draw.distribution_id) == distribution_id,
            col(Draw.closes_at) <= now,
            (col(Draw.status) == OPEN)
            | ((col(Draw.status) == DRAWING) & (col(Draw.lease_until) <= now)),
        )
        .values(status=DRAWING, lease_until=lease_until)
        .returning(Draw)
    )
    return (await session.execute(stmt)).scalars().first()


async def finish_draw(
    session: AsyncSession,
    distribution_id: int,
    now: datetime,
    *,
    entries: int,
    claims_made: int,
    skipped: str,
) -> bool:
    stmt = (
        update(Draw)
        .where(col(Draw.distribution_id) == distribution_id, col(Draw.status) == DRAWING)
        .values(
            status=DRAWN,
            drawn_at=now,
            lease_until=None,
            entries=entries,
            claims_made=claims_made,
            skipped=skipped,
        )
    )
    return changed_rows(await session.execute(stmt)) == 1


async def link_claims(
    session: AsyncSession, shop_id: int, distribution_id: int, claim_ids: list[int]
) -> None:
    """The draw's claims are made without a distribution (the claim store re-checks that a
    distribution is still active, which a closed draw no longer is); they are linked to it
    here, in the transaction that finishes the draw."""
    if claim_ids:
        await session.execute(
            update(Claim)
            .where(col(Claim.shop_id) == shop_id, col(Claim.id).in_(claim_ids))
            .values(distribution_id=distribution_id)
        )


async def claims_of_draw(session: AsyncSession, distribution_id: int) -> list[Claim]:
    stmt = select(Claim).where(Claim.distribution_id == distribution_id)
    return list((await session.execute(stmt.order_by(col(Claim.id)))).scalars().all())


async def draw_figures(
    session: AsyncSession,
    shop_id: int,
    *,
    session_id: int | None = None,
    voucher_id: int | None = None,
    limit: int = 200,
    after_id: int | None = None,
) -> list[dict[str, Any]]:
    """Per draw: entries beside claims (analytics, R-a7 for draws)."""
    claims = (
        select(func.count())
        .where(col(Claim.distribution_id) == col(Draw.distribution_id))
        .scalar_subquery()
    )
    entries = (
        select(func.count())
        .where(col(DrawEntry.distribution_id) == col(Draw.distribution_id))
        .scalar_subquery()
    )
    stmt = (
        select(Draw, Distribution.account_id, entries.label("n_entries"), claims.label("n_claims"))
        .join(Distribution, col(Distribution.id) == col(Draw.distribution_id))
        .where(Draw.shop_id == shop_id)
    )
    if session_id is not None:
        stmt = stmt.where(Draw.session_id == session_id)
    if voucher_id is not None:
        stmt = stmt.where(Draw.voucher_id == voucher_id)
    if after_id is not None:
        stmt = stmt.where(col(Draw.distribution_id) > after_id)
    stmt = stmt.order_by(col(Draw.distribution_id)).limit(limit)
    return [
        {"draw": d, "account_id": acc, "entries": int(n_e), "claims": int(n_c)}
        for d, acc, n_e, n_c in (await session.execute(stmt)).all()
    ]


async def cancelled_draws_before(session: AsyncSession, draw: Draw) -> list[Draw]:
    """R-draw5: the draws of the same live session cancelled before `draw` opened (a re-roll
    shows in every later draw's document), oldest first."""
    stmt = (
        select(Draw)
        .where(
            Draw.session_id == draw.session_id,
            Draw.status == CANCELLED,
            col(Draw.drawn_at) <= draw.opened_at,  # a cancelled draw's drawn_at: when
            col(Draw.distribution_id) != draw.distribution_id,
        )
        .order_by(col(Draw.opened_at), col(Draw.distribution_id))
    )
    return list((await session.execute(stmt)).scalars().all())


async def record_beacon(
    session: AsyncSession, distribution_id: int, signature: str, randomness: str
) -> None:
    """R-draw4: the verified round, once (a second process's identical answer changes nothing)."""
    await session.execute(
        update(Draw)
        .where(col(Draw.distribution_id) == distribution_id, col(Draw.beacon_status) == "pending")
        .values(
            beacon_status="verified",
            beacon_signature=signature,
            beacon_randomness=randomness,
            beacon_retry_at=None,
        )
    )


async def give_up_beacon(session: AsyncSession, distribution_id: int) -> None:
    """R-draw4: no mirror answered in time; the draw is made from the seed alone."""
    await session.execute(
        update(Draw)
        .where(col(Draw.distribution_id) == distribution_id, col(Draw.beacon_status) == "pending")
        .values(beacon_status="missing", beacon_retry_at=None)
    )


async def retry_beacon_at(session: AsyncSession, distribution_id: int, at: datetime) -> None:
    await session.execute(
        update(Draw)
        .where(col(Draw.distribution_id) == distribution_id, col(Draw.beacon_status) == "pending")
        .values(beacon_retry_at=at)
    )
