"""Draws opened and cancelled inside LiveService's transactions (R-draw*): `open_draw` when a
draw voucher is issued, `cancel_draw` when its distribution stops (see core/services/draws.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.ids import row_id
from core.notifications import (
    draw_cancelled_text,
    draw_opened_text,
    notify,
)
from core.rules import drand
from core.rules import draws as rules
from core.rules.live import Task, TaskType
from core.services.draw_life import (
    BEACON_PENDING,
)
from storage import draw_queries as dq
from storage import repositories as repo
from storage.models import Account, Distribution, Draw, Shop, Voucher

# --- used inside LiveService's transactions ---------------------------------------------------


async def open_draw(
    session: AsyncSession,
    shop: Shop,
    voucher: Voucher,
    d: Distribution,
    *,
    winners: int,
    entry_minutes: int,
    host: Account | None,
    now: datetime,
    beacon: bool = False,
    verify_base: str | None = None,
) -> Draw:
    """R-draw1/R-draw3: the draw row with its fresh seed; the team gets the commitment (as a
    fingerprint and a link). R-draw4: with `beacon`, the drand round the order will also
    depend on is fixed now: the first whose time is at least 3 s after `closes_at`."""
    seed = rules.new_seed()
    closes_at = now + timedelta(minutes=entry_minutes)
    draw = Draw(
        distribution_id=row_id(d),
        shop_id=row_id(shop),
        voucher_id=row_id(voucher),
        session_id=d.session_id,
        winners=winners,
        entry_minutes=entry_minutes,
        opened_at=now,
        closes_at=closes_at,
        seed=seed.hex(),
        commitment=rules.commitment_of(seed),
        status=rules.OPEN,
    )
    if beacon:
        draw.beacon_chain = drand.CHAIN_HASH
        draw.beacon_round = drand.round_for(closes_at)
        draw.beacon_status = BEACON_PENDING
    session.add(draw)
    await session.flush()
    await events.emit(  # R-ev1
        session,
        row_id(shop),
        events.EventType.DRAW_OPENED,
        events.draw_data(draw),
        now,
        live_session_id=d.session_id,
    )
    task = Task(TaskType(d.task_type), d.task_minutes)
    await notify(
        session,
        shop,
        event_key=f"draw:{d.id}:opened",
        kind="draw_opened",
        text=draw_opened_text(
            host,
            voucher,
            d.session_id,
            task,
            winners=winners,
            entry_minutes=entry_minutes,
            fingerprint=rules.fingerprint(draw.commitment),
            beacon=beacon,
            verify_url=rules.verify_url(verify_base, draw.distribution_id, draw.commitment),
        ),
        now=now,
    )
    return draw


async def cancel_draw(
    session: AsyncSession,
    shop: Shop,
    d: Distribution,
    now: datetime,
    reason: str,
    by: Account | None,
    verify_base: str | None = None,
) -> bool:
    """R-draw2: a draw stopped before its close is cancelled and nobody wins. True when this
    call cancelled one (the caller then says nothing more about the stop)."""
    draw = await dq.cancel_open_draw(session, row_id(d), now, reason)
    if draw is None:
        return False
    voucher = await repo.get_voucher(session, row_id(shop), d.voucher_id)
    assert voucher is not None, "vouchers are never deleted"
    entries = await dq.count_entries(session, row_id(d))
    await events.emit(  # R-ev1: the seed is public once the draw is over
        session,
        row_id(shop),
        events.EventType.DRAW_CANCELLED,
        events.draw_data(draw, seed=draw.seed, reason=reason, entries=entries),
        now,
        live_session_id=d.session_id,
    )
    await notify(
        session,
        shop,
        event_key=f"draw:{d.id}:cancelled",
        kind="draw_cancelled",
        text=draw_cancelled_text(
            voucher,
            reason,
            by,
            entries,
            rules.fingerprint(draw.commitment),
            rules.verify_url(verify_base, draw.distribution_id, draw.commitment),
        ),
        now=now,
    )
    return True


# --- the service ------------------------------------------------------------------------------
