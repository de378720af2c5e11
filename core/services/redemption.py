"""An order's redemption against its voucher's limits (R-redeem, R-budget), in the order's
transaction: one conditional update of the voucher row counts the order, spends the actual
discount and gives back what the claim held, or refuses when the redemption limit is reached
or the budget cannot pay the discount. The team hears at 80% of the budget spent and when it
is spent (R-n1, through the outbox, once each), and the event log records `voucher.budget_spent`
in the same transaction (R-ev1); `voucher.budget_low` counts spent + reserved, so the claim that
reaches 80% writes it (`core.events.claim_events`), and an order only when its claim held
nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core import events
from core.budget_notifications import budget_text
from core.ids import row_id
from core.notice_kinds import NoticeKind
from core.notifications import notify
from core.rules.checkout import Priced
from core.rules.targeting import budget_crossings
from storage import repositories as repo
from storage import targeting_queries as q
from storage.models import Claim, Voucher


class ClaimTaken(Exception):
    """Another order redeemed the chosen claim first, or took the voucher's last redemption
    or budget meanwhile: choose again (the wallet is read afresh)."""


async def redeem_with_limits(
    session: AsyncSession, shop_id: int, chosen: Priced, now: datetime
) -> None:
    claim = await session.get(Claim, chosen.offer.claim_id)
    held = claim.reserved if claim is not None else 0
    done = await q.redeem_against_voucher(session, chosen.offer.voucher_id, chosen.discount, held)
    if done is None:
        raise ClaimTaken
    await session.execute(
        update(Claim).where(col(Claim.id) == chosen.offer.claim_id).values(reserved=0)
    )
    spent, budget, hold, reserved = done
    if budget is None or chosen.discount == 0:
        return
    voucher_id = chosen.offer.voucher_id
    # R-budget: spent + reserved before this order (its discount not spent, its claim's hold
    # still held); only when the claim held nothing can the sum rise here.
    before = spent - chosen.discount + reserved + held
    if events.budget_low_crossed(budget, before, spent + reserved):
        voucher = await repo.get_voucher(session, shop_id, voucher_id)
        if voucher is not None:
            await _budget_event(
                session, events.EventType.VOUCHER_BUDGET_LOW, voucher, budget, spent, reserved, now
            )
    for kind in budget_crossings(budget, hold, spent - chosen.discount, spent):
        shop = await repo.get_shop(session, shop_id)
        voucher = await repo.get_voucher(session, shop_id, voucher_id)
        if shop is None or voucher is None:
            return
        await notify(
            session,
            shop,
            event_key=f"voucher:{voucher_id}:{kind}:{budget}",
            kind=kind,
            text=budget_text(shop, voucher, kind, spent, budget),
            now=now,
        )
        if kind == NoticeKind.BUDGET_SPENT:
            await _budget_event(
                session,
                events.EventType.VOUCHER_BUDGET_SPENT,
                voucher,
                budget,
                spent,
                reserved,
                now,
            )


async def _budget_event(
    session: AsyncSession,
    kind: events.EventType,
    voucher: Voucher,
    budget: int,
    spent: int,
    reserved: int,
    now: datetime,
) -> None:
    """R-ev1: a budget event of a redemption, once per voucher, kind and budget."""
    voucher_id = row_id(voucher)
    await events.emit(
        session,
        voucher.shop_id,
        kind,
        events.budget_data(voucher_id, voucher.name, budget, spent, reserved),
        now,
        once_key=events.once_key(voucher.shop_id, voucher_id, kind, budget),
    )
