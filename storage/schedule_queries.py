"""SQL of the scheduled effects (R-s1, R-s2): which vouchers still owe an effect, and the
voucher row an effect works on.

An effect is owed while its key is missing from the AppliedEffect ledger; the keys are built
here and in `core.services.schedule` the same way (`voucher:<id>:<effect>`).
"""

from __future__ import annotations

from sqlalchemy import Exists, String, and_, cast, exists, literal, not_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import AppliedEffect, Voucher

EFFECTS = ("opened", "closed", "expired")


def effect_key(voucher_id: int, effect: str) -> str:
    return f"voucher:{voucher_id}:{effect}"


def _applied(effect: str) -> Exists:
    """EXISTS (the ledger holds `voucher:<this voucher's id>:<effect>`): a primary-key lookup."""
    key = literal("voucher:") + cast(Voucher.id, String) + literal(f":{effect}")
    return exists().where(col(AppliedEffect.key) == key)


async def vouchers_owing_effects(session: AsyncSession) -> list[tuple[Voucher, frozenset[str]]]:
    """Every voucher that is not deactivated and still owes an effect, with the effects it
    already had. A deactivated voucher owes nothing: deactivation stopped its distributions,
    voided its claims and told the team (R-v11)."""
    flags = [_applied(e).label(e) for e in EFFECTS]
    stmt = (
        select(Voucher, *flags)
        .where(
            col(Voucher.deactivated_at).is_(None),
            not_(and_(*(_applied(e) for e in EFFECTS))),
        )
        .order_by(col(Voucher.id))
    )
    rows = (await session.execute(stmt)).all()
    return [
        (row[0], frozenset(e for e, done in zip(EFFECTS, row[1:], strict=True) if done))
        for row in rows
    ]


async def voucher_for_effect(session: AsyncSession, voucher_id: int) -> Voucher | None:
    """The voucher row, locked on PostgreSQL so an effect and a deactivation (which locks the
    same row) never interleave; SQLite write transactions are serial anyway."""
    stmt = select(Voucher).where(Voucher.id == voucher_id).with_for_update()
    return (await session.execute(stmt)).scalars().first()
