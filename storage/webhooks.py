"""SQL of webhook endpoints and deliveries (R-ev2).

Fan-out: each enabled endpoint keeps `cursor_seq`, the last event of its shop handed to it;
the sender turns the events after it into `webhookdelivery` rows (one per event×endpoint,
unique) and moves the cursor, in one transaction. `seq` commits in order (storage/events.py),
so no event is passed over.

A delivery is *due* while it is neither delivered nor failed, its `next_attempt_at` has come,
its endpoint is enabled and no lease runs. A sender takes it with a conditional UPDATE that
sets `lease_until` (longer than an attempt can last): of two senders, in one process or two,
exactly one wins, so never two attempts of one event to one endpoint are in flight.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from storage.sql import changed_rows, row_id, table_of

ERROR_LIMIT = 300


# --- endpoints -----------------------------------------------------------------------------


async def add_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    session.add(endpoint)
    await session.flush()
    return endpoint


async def get_endpoint(
    session: AsyncSession, shop_id: int, endpoint_id: int, *, lock: bool = False
) -> WebhookEndpoint | None:
    stmt = select(WebhookEndpoint).where(
        col(WebhookEndpoint.id) == endpoint_id,
        col(WebhookEndpoint.shop_id) == shop_id,
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_endpoints(session: AsyncSession, shop_id: int) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.shop_id) == shop_id)
        .order_by(col(WebhookEndpoint.id))
    )
    return list((await session.execute(stmt)).scalars())


async def enabled_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.disabled_at).is_(None))
        .order_by(col(WebhookEndpoint.id))
    )
    return list((await session.execute(stmt)).scalars())


async def delete_endpoint(session: AsyncSession, endpoint_id: int) -> None:
    await session.execute(
        delete(WebhookAttempt).where(col(WebhookAttempt.endpoint_id) == endpoint_id)
    )
    await session.execute(
        delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    )
    await session.execute(delete(WebhookEndpoint).where(col(WebhookEndpoint.id) == endpoint_id))


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    types = json.loads(endpoint.types) if endpoint.types else None
    return not types or event_type in types


# --- fan-out -------------------------------------------------------------------------------


async def fan_out(
    session: AsyncSession, endpoint: WebhookEndpoint, now: datetime, *, batch: int = 1000
) -> int:
    """Deliveries for the endpoint's events after its cursor; how many events were passed."""
    stmt = (
        select(col(Event.id), col(Event.seq), col(Event.type))
        .where(col(Event.shop_id) == endpoint.shop_id, col(Event.seq) > endpoint.cursor_seq)
        .order_by(col(Event.seq))
        .limit(batch)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return 0
    moved = await session.execute(
        update(WebhookEndpoint)
        .where(
            col(WebhookEndpoint.id) == endpoint.id,
            col(WebhookEndpoint.cursor_seq) == endpoint.cursor_seq,
        )
        .values(cursor_seq=rows[-1].seq)
    )
    if changed_rows(moved) != 1:
        return 0  # another sender moved it first
    values = [
        {
            "shop_id": endpoint.shop_id,
            "endpoint_id": endpoint.id,
            "event_id": row.id,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for row in rows
        if wants(endpoint, row.type)
    ]
    if values:
        await session.execute(table_of(WebhookDelivery).insert(), values)
    endpoint.cursor_seq = rows[-1].seq
    return len(rows)


# --- the delivery side ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueDelivery:
    id: int
    endpoint_id: int
    event_id: int
    attempts: int


def _pending() -> ColumnElement[bool]:
    return and_(
        col(WebhookDelivery.delivered_at).is_(None),
        col(WebhookDelivery.failed_at).is_(None),
    )


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(col(WebhookDelivery.lease_until).is_(None), col(WebhookDelivery.lease_until) <= now)


async def due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    exclude_endpoints: Collection[int] = (),
) -> list[DueDelivery]:
    """Due deliveries of enabled endpoints, the longest-waiting first."""
    stmt = (
        select(
            col(WebhookDelivery.id),
            col(WebhookDelivery.endpoint_id),
            col(WebhookDelivery.event_id),
            col(WebhookDelivery.attempts),
        )
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            _pending(),
            col(WebhookDelivery.next_attempt_at) <= now,
            _free(now),
            col(WebhookEndpoint.disabled_at).is_(None),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )
    if exclude_endpoints:
        stmt = stmt.where(col(WebhookDelivery.endpoint_id).not_in(list(exclude_endpoints)))
    return [DueDelivery(*row) for row in (await session.execute(stmt)).all()]


async def lease(session: AsyncSession, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Takes the right to make one attempt until `until`; True only for the winner."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            _pending(),
            col(WebhookDelivery.next_attempt_at) <= now,
            _free(now),
        )
        .values(lease_until=until, attempts=col(WebhookDelivery.attempts) + 1)
    )
    return changed_rows(result) == 1


async def finish(
    session: AsyncSession, delivery_id: int, attempts: int, **outcome: datetime | None
) -> None:
    """Ends the attempt numbered `attempts`: its outcome (`delivered_at`, `next_attempt_at` or
    `failed_at`) applies only if the delivery was not reopened meanwhile (a redelivery resets
    `attempts`); the lease is released either way, so a reopened one goes out next."""
    await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery_id,
            col(WebhookDelivery.attempts) == attempts,
        )
        .values(**outcome)
    )
    await session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .values(lease_until=None)
    )


async def redeliver(
    session: AsyncSession, endpoint: WebhookEndpoint, event_id: int, now: datetime
) -> None:
    """Makes the event due to the endpoint again (a new delivery, or the old one reopened)."""
    reopened = await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.event_id) == event_id,
        )
        .values(delivered_at=None, failed_at=None, next_attempt_at=now, attempts=0)
    )
    if changed_rows(reopened) == 0:
        session.add(
            WebhookDelivery(
                shop_id=endpoint.shop_id,
                endpoint_id=row_id(endpoint),
                event_id=event_id,
                next_attempt_at=now,
                created_at=now,
            )
        )


async def attempts(
    session: AsyncSession, endpoint_id: int, *, limit: int, before_id: int | None = None
) -> list[tuple[WebhookAttempt, str, str]]:
    """The endpoint's attempts, newest first, with their event's id and type."""
    stmt = (
        select(WebhookAttempt, col(Event.public_id), col(Event.type))
        .join(Event, col(Event.id) == col(WebhookAttempt.event_id))
        .where(col(WebhookAttempt.endpoint_id) == endpoint_id)
        .order_by(col(WebhookAttempt.id).desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(col(WebhookAttempt.id) < before_id)
    return [(a, pid, t) for a, pid, t in (await session.execute(stmt)).all()]


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).select_from(WebhookDelivery).where(_pending())
    return int((await session.execute(stmt)).scalar_one())


async def lease_many(
    session: AsyncSession, ids: Collection[int], now: datetime, until: datetime
) -> dict[int, int]:
    """`lease` for several deliveries in one statement: {id: attempts} of those won."""
    if not ids:
        return {}
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id).in_(list(ids)),
            _pending(),
            col(WebhookDelivery.next_attempt_at) <= now,
            _free(now),
        )
        .values(lease_until=until, attempts=col(WebhookDelivery.attempts) + 1)
        .returning(col(WebhookDelivery.id), col(WebhookDelivery.attempts))
    )
    return {int(i): int(a) for i, a in result.all()}


async def endpoints_by_ids(
    session: AsyncSession, ids: Collection[int]
) -> dict[int, WebhookEndpoint]:
    if not ids:
        return {}
    stmt = select(WebhookEndpoint).where(col(WebhookEndpoint.id).in_(list(ids)))
    return {row_id(e): e for e in (await session.execute(stmt)).scalars()}


async def events_by_ids(session: AsyncSession, ids: Collection[int]) -> dict[int, Event]:
    if not ids:
        return {}
    stmt = select(Event).where(col(Event.id).in_(list(ids)))
    return {row_id(e): e for e in (await session.execute(stmt)).scalars()}


async def record_attempts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookAttempt), rows)


async def finish_delivered(
    session: AsyncSession, done: list[tuple[int, int]], now: datetime
) -> None:
    """`finish` with `delivered_at` for a batch of (delivery id, attempt number)."""
    if not done:
        return
    await session.execute(
        update(WebhookDelivery)
        .where(
            or_(
                *(
                    and_(col(WebhookDelivery.id) == i, col(WebhookDelivery.attempts) == n)
                    for i, n in done
                )
            )
        )
        .values(delivered_at=now)
    )


async def release(session: AsyncSession, ids: list[int]) -> None:
    """Ends the leases of attempts that are over."""
    if ids:
        await session.execute(
            update(WebhookDelivery).where(col(WebhookDelivery.id).in_(ids)).values(lease_until=None)
        )


async def clear_failing(session: AsyncSession, endpoint_ids: Collection[int]) -> None:
    """Endpoints that just accepted a delivery are no longer failing."""
    if endpoint_ids:
        await session.execute(
            update(WebhookEndpoint)
            .where(
                col(WebhookEndpoint.id).in_(list(endpoint_ids)),
                col(WebhookEndpoint.failing_since).is_not(None),
            )
            .values(failing_since=None)
        )
