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

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

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
        WebhookEndpoint.id == endpoint_id,  # type: ignore[arg-type]
        WebhookEndpoint.shop_id == shop_id,  # type: ignore[arg-type]
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_endpoints(session: AsyncSession, shop_id: int) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.shop_id == shop_id)  # type: ignore[arg-type]
        .order_by(WebhookEndpoint.id)  # type: ignore[arg-type]
    )
    return list((await session.execute(stmt)).scalars())


async def enabled_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    stmt = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.disabled_at.is_(None))  # type: ignore[union-attr]
        .order_by(WebhookEndpoint.id)  # type: ignore[arg-type]
    )
    return list((await session.execute(stmt)).scalars())


async def delete_endpoint(session: AsyncSession, endpoint_id: int) -> None:
    for table in (WebhookAttempt, WebhookDelivery):
        await session.execute(delete(table).where(table.endpoint_id == endpoint_id))  # type: ignore[attr-defined]
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))  # type: ignore[arg-type]


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    types = json.loads(endpoint.types) if endpoint.types else None
    return not types or event_type in types


# --- fan-out -------------------------------------------------------------------------------


async def fan_out(
    session: AsyncSession, endpoint: WebhookEndpoint, now: datetime, *, batch: int = 1000
) -> int:
    """Deliveries for the endpoint's events after its cursor; how many events were passed."""
    stmt = (
        select(Event.id, Event.seq, Event.type)
        .where(Event.shop_id == endpoint.shop_id, Event.seq > endpoint.cursor_seq)  # type: ignore[arg-type]
        .order_by(Event.seq)  # type: ignore[arg-type]
        .limit(batch)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        return 0
    moved = await session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint.id,  # type: ignore[arg-type]
            WebhookEndpoint.cursor_seq == endpoint.cursor_seq,  # type: ignore[arg-type]
        )
        .values(cursor_seq=rows[-1].seq)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
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
        await session.execute(WebhookDelivery.__table__.insert(), values)  # type: ignore[attr-defined]
    endpoint.cursor_seq = rows[-1].seq
    return len(rows)


# --- the delivery side ---------------------------------------------------------------------


@dataclass(frozen=True)
class DueDelivery:
    id: int
    endpoint_id: int
    event_id: int
    attempts: int


def _pending() -> object:
    return and_(
        WebhookDelivery.delivered_at.is_(None),  # type: ignore[union-attr]
        WebhookDelivery.failed_at.is_(None),  # type: ignore[union-attr]
    )


def _free(now: datetime) -> object:
    return or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until <= now)  # type: ignore[union-attr, operator]


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
            WebhookDelivery.id,
            WebhookDelivery.endpoint_id,
            WebhookDelivery.event_id,
            WebhookDelivery.attempts,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)  # type: ignore[arg-type]
        .where(
            _pending(),  # type: ignore[arg-type]
            WebhookDelivery.next_attempt_at <= now,  # type: ignore[arg-type]
            _free(now),  # type: ignore[arg-type]
            WebhookEndpoint.disabled_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    if exclude_endpoints:
        stmt = stmt.where(WebhookDelivery.endpoint_id.not_in(list(exclude_endpoints)))  # type: ignore[attr-defined]
    return [DueDelivery(*row) for row in (await session.execute(stmt)).all()]


async def lease(session: AsyncSession, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Takes the right to make one attempt until `until`; True only for the winner."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,  # type: ignore[arg-type]
            _pending(),  # type: ignore[arg-type]
            WebhookDelivery.next_attempt_at <= now,  # type: ignore[arg-type]
            _free(now),  # type: ignore[arg-type]
        )
        .values(lease_until=until, attempts=WebhookDelivery.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def record_attempt(
    session: AsyncSession,
    *,
    endpoint_id: int,
    event_id: int,
    at: datetime,
    status: int | None,
    latency_ms: int,
    error: str | None,
) -> None:
    session.add(
        WebhookAttempt(
            endpoint_id=endpoint_id,
            event_id=event_id,
            at=at,
            status=status,
            latency_ms=latency_ms,
            error=error[:ERROR_LIMIT] if error else None,
        )
    )


async def delivered(session: AsyncSession, delivery_id: int, now: datetime) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)  # type: ignore[arg-type]
        .values(delivered_at=now, lease_until=None)
    )


async def retry_at(session: AsyncSession, delivery_id: int, at: datetime) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)  # type: ignore[arg-type]
        .values(next_attempt_at=at, lease_until=None)
    )


async def give_up(session: AsyncSession, delivery_id: int, now: datetime) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)  # type: ignore[arg-type]
        .values(failed_at=now, lease_until=None)
    )


async def redeliver(
    session: AsyncSession, endpoint: WebhookEndpoint, event_id: int, now: datetime
) -> None:
    """Makes the event due to the endpoint again (a new delivery, or the old one reopened)."""
    reopened = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,  # type: ignore[arg-type]
            WebhookDelivery.event_id == event_id,  # type: ignore[arg-type]
        )
        .values(delivered_at=None, failed_at=None, next_attempt_at=now, attempts=0)
    )
    if reopened.rowcount == 0:  # type: ignore[attr-defined]
        session.add(
            WebhookDelivery(
                shop_id=endpoint.shop_id,
                endpoint_id=endpoint.id,  # type: ignore[arg-type]
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
        select(WebhookAttempt, Event.public_id, Event.type)
        .join(Event, Event.id == WebhookAttempt.event_id)  # type: ignore[arg-type]
        .where(WebhookAttempt.endpoint_id == endpoint_id)  # type: ignore[arg-type]
        .order_by(WebhookAttempt.id.desc())  # type: ignore[union-attr]
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(WebhookAttempt.id < before_id)  # type: ignore[operator]
    return [(a, pid, t) for a, pid, t in (await session.execute(stmt)).all()]


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).select_from(WebhookDelivery).where(_pending())  # type: ignore[arg-type]
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
            WebhookDelivery.id.in_(list(ids)),  # type: ignore[union-attr]
            _pending(),  # type: ignore[arg-type]
            WebhookDelivery.next_attempt_at <= now,  # type: ignore[arg-type]
            _free(now),  # type: ignore[arg-type]
        )
        .values(lease_until=until, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id, WebhookDelivery.attempts)
    )
    return {int(i): int(a) for i, a in result.all()}


async def endpoints_by_ids(
    session: AsyncSession, ids: Collection[int]
) -> dict[int, WebhookEndpoint]:
    if not ids:
        return {}
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id.in_(list(ids)))  # type: ignore[union-attr]
    return {e.id: e for e in (await session.execute(stmt)).scalars()}  # type: ignore[misc]


async def events_by_ids(session: AsyncSession, ids: Collection[int]) -> dict[int, Event]:
    if not ids:
        return {}
    stmt = select(Event).where(Event.id.in_(list(ids)))  # type: ignore[union-attr]
    return {e.id: e for e in (await session.execute(stmt)).scalars()}  # type: ignore[misc]
