"""R-ev2 webhook endpoints (Standard Webhooks): register, list, read, change, delete, rotate the
secret, read the attempts log; redeliver an event. Create route (for the Idempotency-Key
work): `POST /v1/webhook-endpoints`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from bot.http.inputs import Body, Id, Params
from bot.http.outputs import Out
from bot.http.routing import Call, Reply, Route, decode_cursor, encode_cursor
from core.services.webhooks import EndpointView

TypesField = Field(
    default=None,
    description='Event types to receive (e.g. `["drop.fired"]`); null or absent: all of them.',
)


class EndpointIn(Body):
    url: str = Field(description="`https://` and resolving to public addresses only.")
    types: list[str] | None = TypesField
    description: str | None = Field(default=None, max_length=200)


class EndpointPatch(Body):
    url: str | None = None
    types: list[str] | None = TypesField
    description: str | None = Field(default=None, max_length=200)
    disabled: bool | None = Field(
        default=None, description="true pauses deliveries; false resumes (and clears a failure)."
    )


class EndpointPath(Params):
    endpoint_id: Id


class EventPath(Params):
    event_id: str = Field(max_length=40, description="`evt_…`")


class AttemptsQuery(Params):
    limit: int = Field(default=50, description="1–200")
    cursor: str | None = None


class EndpointOut(Out):
    id: int
    url: str
    description: str | None
    types: list[str] | None
    disabled: bool
    disabled_reason: str | None = Field(description="`manual`, or `failing` after 3 days")
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(
        default=None, description="`whsec_…`: only in the answer that creates or rotates it"
    )


class EndpointPage(Out):
    items: list[EndpointOut]


class DeletedOut(Out):
    id: int
    deleted: bool


class AttemptOut(Out):
    event_id: str
    event_type: str
    at: datetime
    status: int | None = Field(description="the HTTP status, null when no answer came")
    latency_ms: int
    error: str | None


class AttemptPage(Out):
    items: list[AttemptOut]
    next_cursor: str | None


class RedeliverOut(Out):
    event_id: str
    endpoints: int = Field(description="how many endpoints will receive it again")


def endpoint_out(v: EndpointView) -> EndpointOut:
    return EndpointOut(
        id=v.id,
        url=v.url,
        description=v.description,
        types=v.types,
        disabled=v.disabled,
        disabled_reason=v.disabled_reason,
        created_at=v.created_at,
        updated_at=v.updated_at,
        secret=v.secret,
    )


async def create_endpoint(call: Call[EndpointIn, None, None]) -> Reply:
    b = call.body
    view = await call.services.webhooks.create(
        call.actor, b.url, types=b.types, description=b.description
    )
    return Reply(endpoint_out(view), 201)


async def list_endpoints(call: Call[None, None, None]) -> EndpointPage:
    return EndpointPage(
        items=[endpoint_out(v) for v in await call.services.webhooks.list(call.actor)]
    )


async def get_endpoint(call: Call[None, None, EndpointPath]) -> EndpointOut:
    return endpoint_out(await call.services.webhooks.get(call.actor, call.path.endpoint_id))


async def update_endpoint(call: Call[EndpointPatch, None, EndpointPath]) -> EndpointOut:
    changes: dict[str, Any] = {n: getattr(call.body, n) for n in call.body.model_fields_set}
    if changes.get("disabled") is None:
        changes.pop("disabled", None)
    view = await call.services.webhooks.update(call.actor, call.path.endpoint_id, changes)
    return endpoint_out(view)


async def delete_endpoint(call: Call[None, None, EndpointPath]) -> DeletedOut:
    await call.services.webhooks.delete(call.actor, call.path.endpoint_id)
    return DeletedOut(id=call.path.endpoint_id, deleted=True)


async def rotate_secret(call: Call[None, None, EndpointPath]) -> EndpointOut:
    view = await call.services.webhooks.rotate_secret(call.actor, call.path.endpoint_id)
    return endpoint_out(view)


async def list_attempts(call: Call[None, AttemptsQuery, EndpointPath]) -> AttemptPage:
    q = call.query
    rows = await call.services.webhooks.attempts(
        call.actor, call.path.endpoint_id, limit=q.limit, before_id=decode_cursor(q.cursor)
    )
    items = [
        AttemptOut(
            event_id=a.event_id,
            event_type=a.event_type,
            at=a.at,
            status=a.status,
            latency_ms=a.latency_ms,
            error=a.error,
        )
        for _, a in rows
    ]
    cursor = encode_cursor(rows[-1][0]) if len(rows) == q.limit else None
    return AttemptPage(items=items, next_cursor=cursor)


async def redeliver_event(call: Call[None, None, EventPath]) -> Reply:
    count = await call.services.webhooks.redeliver(call.actor, call.path.event_id)
    return Reply(RedeliverOut(event_id=call.path.event_id, endpoints=count), 202)


_BASE = "/v1/webhook-endpoints"
_ONE = _BASE + "/{endpoint_id}"

ROUTES = [
    Route(
        "POST",
        _BASE,
        "Register a webhook endpoint",
        "webhooks",
        create_endpoint,
        body=EndpointIn,
        response=EndpointOut,
        status=201,
        description=(
            "R-ev2: events from now on are POSTed to `url` as the Standard Webhooks "
            "specification says (`webhook-id`, `webhook-timestamp`, `webhook-signature`). "
            "The answer holds the signing `secret` (`whsec_…`), shown this once (a replay "
            "of the same request with its Idempotency-Key answers it again, R-c2)."
        ),
        idempotent=True,
    ),
    Route(
        "GET", _BASE, "List webhook endpoints", "webhooks", list_endpoints, response=EndpointPage
    ),
    Route(
        "GET",
        _ONE,
        "Read a webhook endpoint",
        "webhooks",
        get_endpoint,
        params=EndpointPath,
        response=EndpointOut,
    ),
    Route(
        "PATCH",
        _ONE,
        "Change a webhook endpoint (url, types, description, disabled)",
        "webhooks",
        update_endpoint,
        params=EndpointPath,
        body=EndpointPatch,
        response=EndpointOut,
    ),
    Route(
        "DELETE",
        _ONE,
        "Delete a webhook endpoint",
        "webhooks",
        delete_endpoint,
        params=EndpointPath,
        response=DeletedOut,
    ),
    Route(
        "POST",
        _ONE + "/rotate-secret",
        "Rotate an endpoint's signing secret",
        "webhooks",
        rotate_secret,
        params=EndpointPath,
        response=EndpointOut,
        description=(
            "The answer holds the new `secret`, shown this once. For 24 h every delivery is "
            "signed with both the new and the old secret (two `v1,` signatures)."
        ),
    ),
    Route(
        "GET",
        _ONE + "/attempts",
        "An endpoint's delivery attempts, newest first",
        "webhooks",
        list_attempts,
        params=EndpointPath,
        query=AttemptsQuery,
        response=AttemptPage,
    ),
    Route(
        "POST",
        "/v1/events/{event_id}/redeliver",
        "Deliver an event again to the endpoints",
        "webhooks",
        redeliver_event,
        params=EventPath,
        response=RedeliverOut,
        status=202,
    ),
]
