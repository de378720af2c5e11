"""Live sessions, what viewers do in them, and LIVE voucher distributions (R-live1…R-live4)."""

from __future__ import annotations

from bot.http.inputs import (
    DistributionIn,
    DistributionPath,
    FollowIn,
    SessionPath,
    SessionQuery,
    StartSessionIn,
    WatchIn,
)
from bot.http.outputs import (
    DistributionOut,
    FollowOut,
    SessionOut,
    SessionPage,
    WatchOut,
    distribution_out,
    follow_out,
    session_out,
)
from bot.http.rate_limits import RateClass
from bot.http.routing import Call, Reply, Route, decode_cursor, page


async def start_session(call: Call[StartSessionIn, None, None]) -> Reply:
    view = await call.services.live.start_session(call.actor, call.body.account_id)
    return Reply(session_out(view), 201)


async def end_session(call: Call[None, None, SessionPath]) -> SessionOut:
    return session_out(await call.services.live.end_session(call.actor, call.path.session_id))


async def list_sessions(call: Call[None, SessionQuery, None]) -> SessionPage:
    q = call.query
    rows = await call.services.live.list_sessions(
        call.actor, active=q.active, limit=q.limit + 1, after_id=decode_cursor(q.cursor)
    )
    items, cursor = page(rows, q.limit, lambda s: s.id)
    return SessionPage(items=[session_out(s) for s in items], next_cursor=cursor)


async def get_session(call: Call[None, None, SessionPath]) -> SessionOut:
    return session_out(await call.services.live.get_session(call.actor, call.path.session_id))


async def record_watch(call: Call[WatchIn, None, SessionPath]) -> WatchOut:
    b = call.body
    seconds = await call.services.live.record_watch(
        call.actor.shop_id, call.path.session_id, b.buyer_id, b.watched_seconds
    )
    return WatchOut(session_id=call.path.session_id, buyer_id=b.buyer_id, watched_seconds=seconds)


async def record_follow(call: Call[FollowIn, None, None]) -> FollowOut:
    b = call.body
    result = await call.services.live.record_follow(
        call.actor.shop_id, b.buyer_id, b.host_handle, b.action, b.at
    )
    return follow_out(result)


async def issue_distribution(call: Call[DistributionIn, None, SessionPath]) -> Reply:
    b = call.body
    view = await call.services.live.issue(
        call.actor,
        call.path.session_id,
        b.voucher_id,
        b.task.type,
        b.task.minutes,
        mode=b.mode,
        winners=b.winners,
        entry_minutes=b.entry_minutes,
    )
    return Reply(distribution_out(view), 201)


async def stop_distribution(call: Call[None, None, DistributionPath]) -> DistributionOut:
    view = await call.services.live.stop(call.actor, call.path.distribution_id)
    return distribution_out(view)


async def get_distribution(call: Call[None, None, DistributionPath]) -> DistributionOut:
    view = await call.services.live.get_distribution(call.actor, call.path.distribution_id)
    return distribution_out(view)


ROUTES = [
    Route(
        "POST",
        "/v1/live/sessions",
        "Start an account's live session",
        "live",
        start_session,
        body=StartSessionIn,
        response=SessionOut,
        status=201,
        problems=(409,),
        description="R-live1: an account has at most one active session (409 `session_active`).",
        idempotent=True,
    ),
    Route(
        "POST",
        "/v1/live/sessions/{session_id}/end",
        "End a live session (stops its distributions)",
        "live",
        end_session,
        params=SessionPath,
        response=SessionOut,
    ),
    Route(
        "GET",
        "/v1/live/sessions",
        "List live sessions",
        "live",
        list_sessions,
        query=SessionQuery,
        response=SessionPage,
    ),
    Route(
        "GET",
        "/v1/live/sessions/{session_id}",
        "Read a live session and its active distributions",
        "live",
        get_session,
        params=SessionPath,
        response=SessionOut,
    ),
    Route(
        "POST",
        "/v1/live/sessions/{session_id}/watch",
        "Report a viewer's cumulative watch time",
        "live",
        record_watch,
        params=SessionPath,
        body=WatchIn,
        response=WatchOut,
        description="Kept as the maximum reported; answers the watch time now on record.",
        rate=RateClass.VIEWERS,
    ),
    Route(
        "POST",
        "/v1/follows",
        "Report a follow or unfollow of a host",
        "live",
        record_follow,
        body=FollowIn,
        response=FollowOut,
        description="R-live2: `counted` tells whether this follow counts as a new follow.",
        rate=RateClass.VIEWERS,
    ),
    Route(
        "POST",
        "/v1/live/sessions/{session_id}/distributions",
        "Issue a LIVE voucher in a session with a task",
        "live",
        issue_distribution,
        params=SessionPath,
        body=DistributionIn,
        response=DistributionOut,
        status=201,
        problems=(409,),
        description="R-live2/R-live3: one ongoing LIVE voucher, one task at a time. With "
        "`mode: draw`, `winners` and `entry_minutes` it is a lucky draw (R-draw1): see "
        "`/v1/distributions/{distribution_id}/draw`.",
        idempotent=True,
    ),
    Route(
        "POST",
        "/v1/distributions/{distribution_id}/stop",
        "Stop a distribution",
        "live",
        stop_distribution,
        params=DistributionPath,
        response=DistributionOut,
    ),
    Route(
        "GET",
        "/v1/distributions/{distribution_id}",
        "Read a distribution (stopped ones too)",
        "live",
        get_distribution,
        params=DistributionPath,
        response=DistributionOut,
    ),
]
