"""R-ev1 the event log: what each change tells a platform or a viewer, written in the
transaction of the change (like the notification outbox, R-n2) through `emit`.

Each `*_data` function builds the `data` of one event type from the rows the service already
holds; `emit` gives it to storage, which numbers it (`seq`, per shop, no gaps) and stores the
envelope `{id, seq, type, created_at, data}`. Event data is English-free: ids, codes, numbers
and instants only, so a platform renders it in its own words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import events as store
from storage.claim_store import PreparedEvent
from storage.claim_store.event_rows import budget_figures, crosses_share
from storage.models import Distribution, Draw, LiveSession, TimedDrop, Voucher


class EventType(StrEnum):
    """Every event type of the log (R-ev1); `distribution.progress` is a stream-only message
    (R-ev3) and never stored."""

    VOUCHER_CREATED = "voucher.created"
    VOUCHER_UPDATED = "voucher.updated"
    VOUCHER_DEACTIVATED = "voucher.deactivated"
    VOUCHER_CLAIM_PERIOD_OPENED = "voucher.claim_period_opened"
    VOUCHER_CLAIM_PERIOD_CLOSED = "voucher.claim_period_closed"
    VOUCHER_QUOTA_LOW = "voucher.quota_low"
    VOUCHER_SOLD_OUT = "voucher.sold_out"
    VOUCHER_BUDGET_LOW = "voucher.budget_low"
    VOUCHER_BUDGET_SPENT = "voucher.budget_spent"
    LIVE_SESSION_STARTED = "live_session.started"
    LIVE_SESSION_ENDED = "live_session.ended"
    DISTRIBUTION_STARTED = "distribution.started"
    DISTRIBUTION_STOPPED = "distribution.stopped"
    DROP_SCHEDULED = "drop.scheduled"
    DROP_FIRED = "drop.fired"
    DROP_FAILED = "drop.failed"
    DROP_CANCELLED = "drop.cancelled"
    DRAW_OPENED = "draw.opened"
    DRAW_CLOSED = "draw.closed"
    DRAW_CANCELLED = "draw.cancelled"


EVENT_TYPES = tuple(t.value for t in EventType)
PROGRESS = "distribution.progress"  # R-ev3: on streams only


async def emit(
    session: AsyncSession,
    shop_id: int,
    type_: EventType,
    data: dict[str, Any],
    now: datetime,
    *,
    live_session_id: int | None = None,
    once_key: str | None = None,
) -> bool:
    """R-ev1: records one event in the caller's transaction (it commits or rolls back with the
    change). `once_key` makes an event once-only (False when it was recorded already).
    Inside `deferred(session)` it is written when that block ends."""
    queue = session.info.get(_DEFERRED)
    if queue is not None:
        queue.append((shop_id, type_, data, now, live_session_id, once_key))
        return True
    stored = await store.append(
        session,
        shop_id,
        type_.value,
        data,
        now,
        live_session_id=live_session_id,
        once_key=once_key,
    )
    return stored is not None


_DEFERRED = "voucherbot_deferred_events"


@asynccontextmanager
async def deferred(session: AsyncSession) -> AsyncIterator[None]:
    """Events emitted inside the block are written when it ends, so the shop's event counter
    (a row lock on PostgreSQL) is taken after every other row lock the block takes: a block
    that stops several distributions (and cancels their draws) and a draw closing at the same
    moment then lock in the same order, never in a deadlock."""
    if _DEFERRED in session.info:
        yield
        return
    session.info[_DEFERRED] = []
    try:
        yield
        queue = session.info.pop(_DEFERRED)
        for shop_id, type_, data, now, live_session_id, once_key in queue:
            await emit(
                session, shop_id, type_, data, now, live_session_id=live_session_id,
                once_key=once_key,
            )  # fmt: skip
    finally:
        session.info.pop(_DEFERRED, None)


def instant(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def task_data(task_type: str, minutes: int | None) -> dict[str, Any]:
    return {"type": task_type, "minutes": minutes}


def budget_left(v: Voucher) -> int | None:
    """R-budget: what neither redemptions nor open claims hold; None without a budget."""
    if v.budget is None:
        return None
    return max(v.budget - v.budget_spent - v.budget_reserved, 0)


def voucher_data(v: Voucher) -> dict[str, Any]:
    """The voucher as a platform shows it (its figures at the moment of the event)."""
    return {
        "voucher": {
            "id": v.id,
            "name": v.name,
            "kind": v.kind,
            "discount_type": v.discount_type,
            "percent": v.percent,
            "amount": v.amount,
            "max_discount": v.max_discount,
            "min_spend": v.min_spend,
            "total_quantity": v.total_quantity,
            "claimed": v.claimed,
            "remaining": max(v.total_quantity - v.claimed, 0),
            "segment": v.segment,
            "budget": v.budget,
            "budget_left": budget_left(v),
            "starts_at": instant(v.starts_at),
            "ends_at": instant(v.ends_at),
            "deactivated_at": instant(v.deactivated_at),
        }
    }


def quota_data(voucher_id: int, name: str, claimed: int, total: int) -> dict[str, Any]:
    return {
        "voucher_id": voucher_id,
        "name": name,
        "claimed": claimed,
        "total_quantity": total,
        "remaining": max(total - claimed, 0),
    }


def budget_data(
    voucher_id: int, name: str, budget: int, spent: int, reserved: int
) -> dict[str, Any]:
    """`voucher.budget_low` / `voucher.budget_spent` (R-budget): money in minor units (the
    claim stores add the same figures to a prepared `voucher.budget_low`)."""
    return {"voucher_id": voucher_id, "name": name, **budget_figures(budget, spent, reserved)}


# R-budget: `voucher.budget_low` is told when spent + reserved (what redemptions spent and open
# claims hold) reaches 80% of the budget; only claims raise that sum, so a claim tells it, in
# its own transaction (`claim_events`), and a redemption only when its claim held nothing.
BUDGET_LOW_SHARE = (4, 5)


def budget_low_crossed(budget: int, committed_before: int, committed_after: int) -> bool:
    """Whether spent + reserved moving from `committed_before` to `committed_after` reaches
    80% of `budget` (R-budget)."""
    return crosses_share(BUDGET_LOW_SHARE, budget, committed_before, committed_after)


def once_key(shop_id: int, voucher_id: int, type_: EventType, of: int | str) -> str:
    """A voucher's once-only event for one total (quota events) or one budget."""
    return f"shop:{shop_id}:voucher:{voucher_id}:{type_}:{of}"


@lru_cache(maxsize=4096)
def claim_events(shop_id: int, voucher_id: int, name: str, total: int) -> tuple[PreparedEvent, ...]:
    """R-ev1: the events a claim may cross, prepared as data for the claim store, which writes
    the ones its claim crosses in the claim's transaction: `voucher.quota_low` at 80% of
    `total` claimed, `voucher.sold_out` at the last unit, `voucher.budget_low` at 80% of the
    budget committed (the store matches the voucher row's budget, and writes nothing without
    one). The same for every claim of a voucher, so made once per (voucher, name, total)."""
    prepared = []
    for claimed in dict.fromkeys(((total * 4 + 4) // 5, total)):
        kind = quota_event(claimed, total)
        if kind is not None:
            data = quota_data(voucher_id, name, claimed, total)
            key = once_key(shop_id, voucher_id, kind, total)
            prepared.append(PreparedEvent(kind.value, key, data, claimed, total))
    low = EventType.VOUCHER_BUDGET_LOW
    prefix = once_key(shop_id, voucher_id, low, "")  # the store adds the budget
    data = {"voucher_id": voucher_id, "name": name}
    prepared.append(PreparedEvent(low.value, prefix, data, budget_share=BUDGET_LOW_SHARE))
    return tuple(prepared)


def session_data(live: LiveSession, *, claims: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "session_id": live.id,
        "account_id": live.account_id,
        "started_at": instant(live.started_at),
        "ended_at": instant(live.ended_at),
    }
    if claims is not None:
        data["claims"] = claims
    return data


def distribution_data(
    d: Distribution, voucher: Voucher | None, *, draw: Draw | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "distribution_id": d.id,
        "session_id": d.session_id,
        "voucher_id": d.voucher_id,
        "voucher_name": voucher.name if voucher is not None else None,
        "task": task_data(d.task_type, d.task_minutes),
        "mode": "draw" if draw is not None else "first_come",
        "remaining": max(voucher.total_quantity - voucher.claimed, 0) if voucher else None,
        "total_quantity": voucher.total_quantity if voucher is not None else None,
        "started_at": instant(d.started_at),
        "voucher": voucher_data(voucher)["voucher"] if voucher is not None else None,
    }
    if draw is not None:
        data.update(draw_fields(draw))
    return data


def draw_fields(draw: Draw) -> dict[str, Any]:
    return {
        "winners": draw.winners,
        "entry_minutes": draw.entry_minutes,
        "closes_at": instant(draw.closes_at),
        "commitment": draw.commitment,
        # R-draw4: the drand round fixed at open (null: a seed-only draw, DRAND_URLS=off)
        "beacon_chain": draw.beacon_chain,
        "beacon_round": draw.beacon_round,
        # at the close: the verified round's randomness, or null when no mirror answered
        "beacon_randomness": draw.beacon_randomness,
    }


def stopped_data(d: Distribution, reason: str) -> dict[str, Any]:
    return {
        "distribution_id": d.id,
        "session_id": d.session_id,
        "voucher_id": d.voucher_id,
        "reason": reason,
    }


def drop_data(
    drop: TimedDrop,
    *,
    status: str | None = None,
    reason: str | None = None,
    distribution_id: int | None = None,
) -> dict[str, Any]:
    return {
        "drop_id": drop.id,
        "session_id": drop.session_id,
        "voucher_id": drop.voucher_id,
        "task": task_data(drop.task_type, drop.task_minutes),
        "mode": drop.mode,
        "winners": drop.winners,
        "entry_minutes": drop.entry_minutes,
        "at": instant(drop.at),
        "status": status or drop.status,
        "reason": reason if reason is not None else drop.reason,
        "distribution_id": distribution_id if distribution_id is not None else drop.distribution_id,
    }


def draw_data(draw: Draw, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "distribution_id": draw.distribution_id,
        "session_id": draw.session_id,
        "voucher_id": draw.voucher_id,
        **draw_fields(draw),
    }
    data.update(extra)
    return data


async def emit_drops_cancelled(
    session: AsyncSession, shop_id: int, drop_ids: list[int], now: datetime
) -> None:
    """`drop.cancelled` for drops cancelled together (their session ended)."""
    for drop in await store.drops_by_ids(session, drop_ids):
        await emit(
            session,
            shop_id,
            EventType.DROP_CANCELLED,
            drop_data(drop),
            now,
            live_session_id=drop.session_id,
        )


def quota_event(claimed: int, total: int) -> EventType | None:
    """The quota event the claim numbered `claimed` of `total` crosses, if any (R-ev1): the
    first claim at 80% (`quota_low`) and the last one (`sold_out`; it alone when 80% is the
    last unit)."""
    if total < 1:
        return None
    if claimed == total:
        return EventType.VOUCHER_SOLD_OUT
    if claimed == (total * 4 + 4) // 5:
        return EventType.VOUCHER_QUOTA_LOW
    return None
