"""R-ev1 the event log: `GET /v1/events?after=&types=&limit=` lists a shop's events in `seq`
order. (Redelivering an event to the webhook endpoints is in routes_webhooks.py.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from bot.http.inputs import Params
from bot.http.outputs import Out
from bot.http.routing import Call, Route
from core.events import EVENT_TYPES


class EventQuery(Params):
    after: int = Field(
        default=0, description="Only events with a larger `seq` (0: from the start)."
    )
    types: str | None = Field(
        default=None,
        description="Comma-separated event types to keep, e.g. `voucher.sold_out,drop.fired`.",
    )
    limit: int = Field(default=100, description="At most this many events, 1–500.")


class EventOut(Out):
    id: str = Field(description="`evt_…`, unique; the `webhook-id` of its deliveries")
    seq: int = Field(description="rises by one per shop, with no gaps")
    type: str = Field(description="one of: " + ", ".join(EVENT_TYPES))
    created_at: datetime
    data: dict[str, Any]


class EventPageOut(Out):
    items: list[EventOut]
    last_seq: int = Field(description="pass it as `after` to continue")


async def list_events(call: Call[None, EventQuery, None]) -> EventPageOut:
    q = call.query
    result = await call.services.events.list(
        call.actor, after=q.after, types=q.types, limit=q.limit
    )
    return EventPageOut(
        items=[EventOut.model_validate(e) for e in result.items], last_seq=result.last_seq
    )


ROUTES = [
    Route(
        "GET",
        "/v1/events",
        "List the shop's events in order",
        "events",
        list_events,
        query=EventQuery,
        response=EventPageOut,
        description=(
            "R-ev1: every change a platform or a viewer would show, as envelopes `{id, seq, "
            "type, created_at, data}` in `seq` order (per shop, no gaps). Poll with `after` "
            "set to the last `seq` you processed. Events are kept `EVENT_RETENTION_DAYS` days "
            "(30 by default)."
        ),
    ),
]
