"""R-ev3 live streams over Server-Sent Events: `GET /v1/live/sessions/{id}/stream` (API key)
and `GET /public/live/{token}/stream` (an overlay token, R-ev4: read-only, the account's
current session).

First a `snapshot` (the session as `GET /v1/live/sessions/{id}` shows it, with each active
distribution's voucher, remaining quota and, for a draw, its entries and commitment), then
every event of the session as it commits (`id:` its `seq`, `event:` its type, `data:` the
envelope), `distribution.progress` (no `id:`) at most once a second per distribution while
claims happen, and a comment every 15 s. `Last-Event-ID` resumes after that `seq`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import HttpVersion11, web
from aiohttp_sse import EventSourceResponse, sse_response

from bot.event_hub import SINK_LIMIT, EventHub, Sink, Subscriber, sse_message
from bot.http.auth import authenticate
from bot.http.inputs import Params, SessionPath
from bot.http.outputs import session_out
from bot.http.routing import API_KEYS, SERVICES, Route, parse_params
from core.events import EventType
from core.rules.roles import Actor
from core.services.streams import Snapshot, StreamService

EVENT_HUB = web.AppKey("event_hub", EventHub)
HEARTBEAT = 15.0  # seconds between comments on a quiet stream
CHECK_EVERY = 5.0  # seconds: a queued (not live) stream whose client left ends after this at most
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class TokenPath(Params):
    token: str


def install(app: web.Application) -> None:
    """The process's hub on the app, closed with it (called by create_app)."""
    hub = EventHub(app[SERVICES])
    app[EVENT_HUB] = hub

    async def close(_app: web.Application) -> None:
        await hub.close()

    app.on_cleanup.append(close)


def snapshot_json(snap: Snapshot) -> str:
    return json.dumps(
        {
            "seq": snap.seq,
            "shop": snap.shop,
            "session": session_out(snap.session).model_dump(mode="json") if snap.session else None,
            "distributions": snap.distributions,
        },
        ensure_ascii=False,
    )


def _last_event_id(request: web.Request) -> int | None:
    value = request.headers.get("Last-Event-ID", "").strip()
    return int(value) if value.isdigit() else None


async def _stream(
    request: web.Request, actor: Actor, session_id: int | None, account_id: int | None = None
) -> web.StreamResponse:
    services = request.app[SERVICES]
    hub = request.app[EVENT_HUB]
    sub = Subscriber(actor.shop_id, session_id, account_id)
    await hub.subscribe(sub)  # before the snapshot: nothing committed after it is missed
    try:
        snap = await services.streams.snapshot(actor, session_id)  # 404 before streaming
        async with sse_response(request, headers=HEADERS, ping_interval=HEARTBEAT) as resp:
            await resp.send(snapshot_json(snap), event="snapshot")
            sent = snap.seq
            resume = _last_event_id(request)
            if resume is not None and session_id is not None and resume < snap.seq:
                sent = await _backlog(resp, services.streams, actor.shop_id, session_id, resume)
                sent = max(sent, snap.seq)
            sub.sent = sent
            await _follow(resp, sub, services.streams, actor, _sink(request))
            if sub.overflowed:
                _abort_if_behind(request)
        return resp
    finally:
        hub.unsubscribe(sub)


class ConnectionSink:
    """What the hub writes a live stream's messages with: straight to the connection, each
    framed as a chunk of the response's body (HTTP/1.1 chunked encoding, as aiohttp frames a
    streamed response)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def write(self, message: bytes) -> bool:
        t = self.transport
        if t.is_closing() or t.get_write_buffer_size() > SINK_LIMIT:
            return False  # gone, or stopped reading: dropped, never buffered without bound
        t.write(b"%x\r\n%b\r\n" % (len(message), message))
        return True

    def alive(self) -> bool:
        return not self.transport.is_closing()


def _sink(request: web.Request) -> ConnectionSink | None:
    """None (the hub queues instead) for an HTTP/1.0 client: no chunks."""
    transport = request.transport
    if not isinstance(transport, asyncio.Transport) or request.version < HttpVersion11:
        return None
    return ConnectionSink(transport)


def _abort_if_behind(request: web.Request) -> None:
    """A dropped client that stopped reading is cut off now, not left holding its unsent
    bytes until the kernel gives up on it (it resumes with Last-Event-ID)."""
    transport = request.transport
    if transport is not None and transport.get_write_buffer_size() > SINK_LIMIT:
        transport.abort()


async def _backlog(
    resp: Any, streams: StreamService, shop_id: int, session_id: int, after: int
) -> int:
    while True:
        events = await streams.events_after(shop_id, after, live_session_id=session_id)
        for e in events:
            await resp.write(sse_message(e.envelope_json, id=str(e.seq), event=e.type))
            after = e.seq
        if len(events) < 500:
            return after


async def _follow(
    resp: EventSourceResponse,
    sub: Subscriber,
    streams: StreamService,
    actor: Actor,
    sink: Sink | None,
) -> None:
    """Sends what the hub queued; once nothing is queued, the stream is live and the hub
    writes to the connection itself (no await between the check and the switch, so nothing
    is missed or reordered). The hub queues again, and wakes this task, to drop the stream or
    to have an overlay's fresh snapshot sent."""
    try:
        while resp.is_connected() and not sub.overflowed:
            if sink is not None and sub.sink is None and sub.queue.empty():
                sub.sink = sink
            if sub.sink is not None:
                # Live: no timeout of its own (a raised timeout every few seconds per stream
                # was garbage to collect); the hub's sweep drops it when its client leaves.
                kind, item, message = await sub.queue.get()
            else:
                try:
                    kind, item, message = await asyncio.wait_for(sub.queue.get(), CHECK_EVERY)
                except TimeoutError:
                    continue
            if kind == "drop":
                break
            if kind == "progress":
                await resp.write(message)
                continue
            if item.seq <= sub.sent:
                continue  # sent already (the snapshot's seq, or the resumed backlog)
            await resp.write(message)
            sub.sent = item.seq
            if sub.account_id is not None and item.type == EventType.LIVE_SESSION_STARTED:
                # An overlay follows its account's new session: a fresh snapshot of it.
                sub.session_id = item.live_session_id
                await resp.send(
                    snapshot_json(await streams.snapshot(actor, sub.session_id)), event="snapshot"
                )
    finally:
        sub.sink = None


async def stream_session(request: web.Request) -> web.StreamResponse:
    actor = await authenticate(request, request.app[API_KEYS])
    path = parse_params(SessionPath, request.match_info)
    await request.app[SERVICES].live.get_session(actor, path.session_id)
    return await _stream(request, actor, path.session_id)


async def stream_public(request: web.Request) -> web.StreamResponse:
    streams = request.app[SERVICES].streams
    access = await streams.overlay_access(request.match_info["token"])
    session_id = await streams.active_session_of(access)
    return await _stream(
        request, StreamService.overlay_actor(access), session_id, access.account_id
    )


ROUTES = [
    Route(
        "GET",
        "/v1/live/sessions/{session_id}/stream",
        "Follow a live session (Server-Sent Events)",
        "live",
        raw=stream_session,
        params=SessionPath,
        media_type="text/event-stream",
        problems=(404,),
        description=__doc__.split("\n\n", 1)[1].strip(),
    ),
    Route(
        "GET",
        "/public/live/{token}/stream",
        "Follow an account's live session with its overlay token (Server-Sent Events)",
        "live",
        raw=stream_public,
        params=TokenPath,
        auth=False,
        media_type="text/event-stream",
        problems=(404,),
        description=(
            "R-ev3/R-ev4: the stream of the account's current live session, read-only, opened "
            "by the overlay token the bot's /overlay hands out; a snapshot again when the "
            "account starts a new session."
        ),
    ),
]
