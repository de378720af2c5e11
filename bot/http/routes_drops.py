"""R-drop1 timed drops: schedule a distribution for a later moment of a live session, list a
session's drops, cancel one. Response shapes as in the API contract (`mode`, `winners`,
`entry_minutes` exist for lucky draws; until those land a drop is `first_come`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from bot.http.inputs import Body, Id, Instant, PageQuery, Params, SessionPath, TaskIn
from bot.http.outputs import Out, TaskOut
from bot.http.paging import page_of
from bot.http.routing import Call, Reply, Route
from core.views import DropView


class DropIn(Body):
    voucher_id: Id
    task: TaskIn
    at: Instant | None = Field(
        default=None, description="When to issue it: 1 minute to 6 hours ahead (with offset)."
    )
    in_seconds: int | None = Field(
        default=None, description="Or: in this many seconds, 60–21600. Give `at` or this."
    )
    mode: Literal["first_come", "draw"] = "first_come"
    winners: int | None = Field(default=None, description="For `mode: draw` (R-draw1).")
    entry_minutes: int | None = Field(default=None, description="For `mode: draw` (R-draw1).")


class DropPath(Params):
    drop_id: Id


class DropOut(Out):
    id: int
    session_id: int
    voucher_id: int
    task: TaskOut
    mode: Literal["first_come", "draw"]
    winners: int | None
    entry_minutes: int | None
    at: datetime
    status: Literal["pending", "fired", "failed", "cancelled"]
    distribution_id: int | None = Field(description="the distribution it made, once fired")
    reason: str | None = Field(
        description="why it failed (the refusal code of an immediate issue, e.g. "
        "`not_distributable`, `distribution_active`, `session_ended`) or was cancelled "
        "(`cancelled`, `session_ended`)"
    )


class DropPage(Out):
    items: list[DropOut]
    next_cursor: str | None = Field(default=None, description="null on the last page")


def drop_out(d: DropView) -> DropOut:
    return DropOut(
        id=d.id,
        session_id=d.session_id,
        voucher_id=d.voucher_id,
        task=TaskOut.of(d.task),
        mode=d.mode,
        winners=d.winners,
        entry_minutes=d.entry_minutes,
        at=d.at,
        status=d.status,
        distribution_id=d.distribution_id,
        reason=d.reason,
    )


async def schedule_drop(call: Call[DropIn, None, SessionPath]) -> Reply:
    b = call.body
    view = await call.services.drops.schedule(
        call.actor,
        call.path.session_id,
        b.voucher_id,
        b.task.type,
        b.task.minutes,
        at=b.at,
        in_seconds=b.in_seconds,
        mode=b.mode,
        winners=b.winners,
        entry_minutes=b.entry_minutes,
    )
    return Reply(drop_out(view), 201)


async def list_drops(call: Call[None, PageQuery, SessionPath]) -> DropPage:
    views = await call.services.drops.list(call.actor, call.path.session_id)
    items, cursor = page_of(call, views, lambda d: d.id)
    return DropPage(items=[drop_out(v) for v in items], next_cursor=cursor)


async def cancel_drop(call: Call[None, None, DropPath]) -> DropOut:
    return drop_out(await call.services.drops.cancel(call.actor, call.path.drop_id))


ROUTES = [
    Route(
        "POST",
        "/v1/live/sessions/{session_id}/drops",
        "Schedule a timed drop in a live session",
        "live",
        schedule_drop,
        params=SessionPath,
        body=DropIn,
        response=DropOut,
        status=201,
        problems=(409,),
        description=(
            "R-drop1: issues the voucher with the task at `at` (or in `in_seconds`), 1 minute "
            "to 6 hours ahead, at most 20 pending per session (422 naming the field "
            "otherwise). At that second the scheduler makes every check of an immediate "
            "distribution; a drop that fails gets `status: failed` and a `reason`."
        ),
        idempotent=True,
    ),
    Route(
        "GET",
        "/v1/live/sessions/{session_id}/drops",
        "A live session's drops, pending and past",
        "live",
        list_drops,
        query=PageQuery,
        params=SessionPath,
        response=DropPage,
    ),
    Route(
        "POST",
        "/v1/drops/{drop_id}/cancel",
        "Cancel a pending drop",
        "live",
        cancel_drop,
        params=DropPath,
        response=DropOut,
        problems=(409,),
        description="Until it fires; a fired or failed drop answers 409 `drop_not_pending`.",
    ),
]
