"""Queries of segments, budgets, promo codes and redemption limits (R-seg, R-budget, R-code,
R-redeem). Every budget and redemption change is one conditional UPDATE of the voucher row:
on PostgreSQL it takes the row lock the claim store takes, on SQLite it runs under the single
writer, so the sums are exact whatever the concurrency."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import Claim, CodeGuess, Voucher
from storage.repositories._common import _insert
from storage.sql import changed_rows, table_of

# --- R-seg -----------------------------------------------------------------------------------


async def other_new_customers_voucher(
    session: AsyncSession,
    shop_id: int,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: int | None,
) -> str | None:
    """The name of another live-able `new_customers` voucher whose claim period overlaps."""
    stmt = select(Voucher.name).where(
        Voucher.shop_id == shop_id,
        Voucher.segment == "new_customers",
        col(Voucher.deactivated_at).is_(None),
        col(Voucher.starts_at) < ends_at,
        col(Voucher.ends_at) > starts_at,
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Voucher.id) != exclude_id)
    return (await session.execute(stmt.limit(1))).scalar()


async def last_claim_of_segment(
    session: AsyncSession, shop_id: int, segment: str
) -> datetime | None:
    """When a buyer last claimed one of the shop's vouchers for this segment (R-adv2)."""
    stmt = (
        select(func.max(Claim.claimed_at))
        .join(Voucher, col(Voucher.id) == col(Claim.voucher_id))
        .where(Claim.shop_id == shop_id, Voucher.segment == segment)
    )
    return (await session.execute(stmt)).scalar()


# --- R-code ----------------------------------------------------------------------------------


async def voucher_with_code(
    session: AsyncSession, shop_id: int, code: str, now: datetime, exclude_id: int | None = None
) -> Voucher | None:
    """The shop's upcoming or ongoing voucher with this code (upper case), ongoing first."""
    stmt = select(Voucher).where(
        Voucher.shop_id == shop_id,
        Voucher.code == code,
        col(Voucher.deactivated_at).is_(None),
        col(Voucher.ends_at) > now,
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Voucher.id) != exclude_id)
    return (await session.execute(stmt.order_by(col(Voucher.starts_at)).limit(1))).scalars().first()


async def wrong_guesses(session: AsyncSession, whos: list[str], minute: datetime) -> dict[str, int]:
    stmt = select(CodeGuess.who, CodeGuess.wrong).where(
        col(CodeGuess.who).in_(whos), CodeGuess.minute == minute
    )
    return {who: wrong for who, wrong in (await session.execute(stmt)).all()}


async def count_wrong_guess(
    session: AsyncSession, whos: list[str], minute: datetime
) -> dict[str, int]:
    """One more wrong code for each `who` this minute; the counts after it (atomic: the
    upsert's row lock orders concurrent guesses, so each gets its own count)."""
    counts = {}
    for who in whos:
        stmt = _insert(session, CodeGuess).values(who=who, minute=minute, wrong=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["who", "minute"],
            set_={"wrong": table_of(CodeGuess).c.wrong + 1},
        ).returning(table_of(CodeGuess).c.wrong)
        counts[who] = int((await session.execute(stmt)).scalar_one())
    return counts


async def forget_guesses_before(session: AsyncSession, whos: list[str], minute: datetime) -> None:
    """Drops these counters' old minutes (through the primary key)."""
    await session.execute(
        delete(CodeGuess).where(col(CodeGuess.who).in_(whos), col(CodeGuess.minute) < minute)
    )


# --- R-budget, R-redeem ----------------------------------------------------------------------


async def raise_budget(session: AsyncSession, voucher_id: int, new_budget: int) -> bool:
    """A larger budget, atomically; never lowers it nor sets one that was not there."""
    result = await session.execute(
        update(Voucher)
        .where(
            col(Voucher.id) == voucher_id,
            col(Voucher.budget).is_not(None),
            col(Voucher.budget) <= new_budget,
        )
        .values(budget=new_budget)
    )
    return changed_rows(result) == 1


async def redeem_against_voucher(
    session: AsyncSession, voucher_id: int, discount: int, reserved: int
) -> tuple[int, int | None, int, int] | None:
    """One redemption (R-redeem, R-budget): counts the order, spends the actual discount and
    gives back what the claim held, when the redemption limit and the budget allow it.
    Returns (spent after, budget, hold, reserved after), or None when refused."""
    v = table_of(Voucher).c
    result = await session.execute(
        update(Voucher)
        .where(
            v.id == voucher_id,
            or_(v.redemption_limit.is_(None), v.redeemed < v.redemption_limit),
            or_(
                v.budget.is_(None),
                v.budget_spent + v.budget_reserved - reserved + discount <= v.budget,
            ),
        )
        .values(
            redeemed=v.redeemed + 1,
            budget_spent=v.budget_spent + discount,
            budget_reserved=v.budget_reserved - reserved,
        )
        .returning(v.budget_spent, v.budget, v.budget_hold, v.budget_reserved)
    )
    row = result.first()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def unredeem(
    session: AsyncSession, voucher_id: int, discount: int, claim_id: int, back_to_claimed: bool
) -> None:
    """A cancelled order (R-o5): one redemption fewer, its discount unspent, and when its claim
    is usable again the claim holds what it can of the budget again (at least the discount
    just unspent, so spent + reserved never grows past the budget)."""
    v = table_of(Voucher).c
    row = (
        await session.execute(
            update(Voucher)
            .where(v.id == voucher_id)
            .values(redeemed=v.redeemed - 1, budget_spent=v.budget_spent - discount)
            .returning(v.budget, v.budget_spent, v.budget_reserved, v.budget_hold)
        )
    ).first()
    if row is None or not back_to_claimed or row[0] is None:
        return
    budget, spent, reserved, hold = row
    hold_again = max(0, min(hold, budget - spent - reserved))
    await session.execute(
        update(Voucher)
        .where(v.id == voucher_id)
        .values(budget_reserved=v.budget_reserved + hold_again)
    )
    await session.execute(
        update(Claim).where(col(Claim.id) == claim_id).values(reserved=hold_again)
    )


async def give_back(session: AsyncSession, held: dict[int, int]) -> None:
    """Expired or void claims give their reservations back (R-budget)."""
    v = table_of(Voucher).c
    for voucher_id, amount in held.items():
        if amount:
            await session.execute(
                update(Voucher)
                .where(v.id == voucher_id)
                .values(budget_reserved=v.budget_reserved - amount)
            )


async def end_claims(session: AsyncSession, where: list[Any], status: str) -> int:
    """Moves `claimed` claims matching `where` to `status` (expired, void) and gives their
    reservations back, from exactly the rows it changed."""
    c = table_of(Claim).c
    result = await session.execute(
        update(Claim)
        .where(c.status == "claimed", *where)
        .values(status=status)
        .returning(c.voucher_id, c.reserved)
    )
    held: dict[int, int] = defaultdict(int)
    n = 0
    for voucher_id, reserved in result.all():
        held[voucher_id] += reserved
        n += 1
    await give_back(session, held)
    return n
