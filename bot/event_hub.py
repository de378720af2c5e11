"""R-ev3 one process's hub of live-stream subscribers: it hears that a shop's log grew and
hands each new event to the subscribers of that shop, and every second it sends the claim
progress of the distributions they watch.

Hearing, from every process: on PostgreSQL the write that appends an event announces
`event:<shop>` with the change feed's NOTIFY (storage/changes.py); on SQLite the hub looks at
the log's highest row id every `look_every` (10 ms) on a connection of its own, without a
thread hop (`storage.events.LogTop`, ~10 µs a look); and as a safety net on PostgreSQL (or when
SQLite is busy) it reads that id every `poll_every` (one indexed read). A commit of this
process that appended events wakes the hub at once: the change feed hears this process's own
announcements as they commit (`storage.changes.Publisher.hear`), on both databases. Either
way it then reads the shop's events after the last `seq` it handed out, in `seq` order, so a
subscriber sees the log exactly: each subscriber remembers the last `seq` it was sent (its
snapshot's, or what Last-Event-ID resumed), so there is no gap and no repeat.

Handing out: each event's message is encoded once, as the bytes the response writes, and the
same bytes go to every subscriber. A stream that has sent its snapshot (and any resumed
backlog) is *live*: the hub writes those bytes straight to its connection's transport, with
no per-subscriber task switch, formatting or allocation (a thousand subscribers take a few
milliseconds). A transport whose unsent bytes pass `SINK_LIMIT` (a client that stopped
reading), or that is closing, is dropped at once; it never delays the others and is never
buffered without bound (a browser resumes with Last-Event-ID). Until a stream is live, and
while it must do something of its own (an overlay's fresh snapshot), the hub queues for it
instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.events import PROGRESS, EventType
from core.services import Services
from storage.events import EVENT_TOPIC, LogTop, StoredEvent

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1000  # a subscriber this far behind is dropped (it resumes with Last-Event-ID)
PROGRESS_EVERY = 1.0  # seconds: at most one progress message per distribution per second
LOOK_EVERY = 0.01  # seconds between SQLite's cheap looks at the log's top row (LogTop)
SINK_LIMIT = 256 * 1024  # unsent bytes at which a live subscriber is dropped

SWEEP_EVERY = 5.0  # seconds: a live subscriber whose client left is dropped within this


class Sink(Protocol):
    """A live subscriber's connection, written to by the hub."""

    def write(self, message: bytes) -> bool:
        """Writes one message's bytes now; False when the connection cannot take them
        (closing, or too far behind): the subscriber is then dropped."""

    def alive(self) -> bool:
        """Whether the connection is still open (the hub's sweep for clients that left)."""


def sse_message(data: str, *, event: str, id: str | None = None) -> bytes:
    """One server-sent event as text/event-stream lines (CRLF, as the stream's other messages
    are written), encoded once for every subscriber."""
    lines = [f"id: {id}"] if id is not None else []
    lines.append(f"event: {event}")
    lines += [f"data: {chunk}" for chunk in data.splitlines() or [""]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(eq=False)
class Subscriber:
    """One open stream: the session it follows (or, for an overlay, the account whose
    sessions it follows), the last `seq` it was sent, its queue of ("event", StoredEvent,
    message) / ("progress", dict, message) / ("drop", None, b"") while it is not live, and
    its sink once it is."""

    shop_id: int
    session_id: int | None
    account_id: int | None = None
    queue: asyncio.Queue[tuple[str, Any, bytes]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    overflowed: bool = False
    sent: int = 0  # the last seq this stream has sent (or that its snapshot holds)
    sink: Sink | None = None  # set while live: the hub writes straight to the connection

    def wants(self, e: StoredEvent) -> bool:
        if self.session_id is not None and e.live_session_id == self.session_id:
            return True
        return (
            self.account_id is not None
            and e.type == EventType.LIVE_SESSION_STARTED
            and e.data.get("account_id") == self.account_id
        )

    def put(self, item: tuple[str, Any, bytes]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True

    def hand(self, kind: str, item: Any, message: bytes) -> None:
        """Gives the subscriber one message: written now when live, else queued."""
        sink = self.sink
        if sink is None:
            self.put((kind, item, message))
        elif not sink.write(message):
            self.drop()

    def drop(self) -> None:
        """Too far behind (or gone): no more writes; its stream ends (and may resume)."""
        self.sink = None
        self.overflowed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(("drop", None, b""))  # wakes the stream's task


class EventHub:
    def __init__(
        self,
        services: Services,
        *,
        poll_every: float = 0.05,
        look_every: float | None = LOOK_EVERY,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        self.services = services
        self.poll_every = poll_every
        self.look_every = look_every  # None: no cheap looks (the regular read only)
        self._top: LogTop | None = None
        self.progress_every = progress_every
        self._subs: dict[int, set[Subscriber]] = defaultdict(set)
        self._cursor: dict[int, int] = {}  # shop -> last seq handed out
        self._dirty: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._max_pk = -1
        self._claims: dict[int, deque[tuple[float, int]]] = {}  # distribution -> samples
        self._sent_progress: dict[int, int] = {}  # distribution -> claimed last sent
        self._listening = False
        self._polled_at = float("-inf")

    # --- subscribing -----------------------------------------------------------------------

    async def subscribe(self, sub: Subscriber) -> None:
        """Registers the subscriber before its stream reads its snapshot, so nothing that
        commits afterwards can be missed."""
        self._ensure_running()
        if sub.shop_id not in self._cursor:
            self._cursor[sub.shop_id] = await self.services.streams.last_seq(sub.shop_id)
        self._subs[sub.shop_id].add(sub)
        self._wake.set()  # a pass now, at the pace for subscribers (it waited idle before)

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self._subs.get(sub.shop_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.shop_id]
                self._cursor.pop(sub.shop_id, None)

    @property
    def subscribers(self) -> int:
        return sum(len(s) for s in self._subs.values())

    # --- running ---------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self._task is None:
            if not self._listening:
                self.services.changes.subscribe(self._on_change)
                self._listening = True
            if self.look_every is not None:
                self._top = LogTop.of(self.services.db)
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-hub")

    def _on_change(self, topic: str | None, ident: str | None) -> None:
        if topic == EVENT_TOPIC and ident is not None and ident.isdigit():
            self._dirty.add(int(ident))
            self._wake.set()
        elif topic is None:  # the listener (re)connected: anything may have been missed
            self._dirty.update(self._subs)
            self._wake.set()

    async def close(self) -> None:
        if self._top is not None:
            self._top.close()
            self._top = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        progress_at = swept_at = time.monotonic()
        while True:
            every = self.poll_every
            if self._top is not None and self.look_every is not None and self._subs:
                every = self.look_every
            # A timer rather than wait_for: a timeout raised 100 times a second (and once every
            # few seconds by each of 1,000 streams) left cycles of exceptions, tasks and
            # frames whose collection stalled the process for ~160 ms at a time.
            timer = loop.call_later(every, self._wake.set)
            await self._wake.wait()
            timer.cancel()
            self._wake.clear()
            try:
                if self._subs:
                    await self._poll()
                    await self._dispatch()
                    if time.monotonic() - swept_at >= SWEEP_EVERY:
                        swept_at = time.monotonic()
                        self._sweep()
                    if time.monotonic() - progress_at >= self.progress_every:
                        progress_at = time.monotonic()
                        await self._progress(progress_at)
            except Exception:
                log.exception("the live-stream hub's pass failed; trying again")

    def _sweep(self) -> None:
        """Live streams wait for the hub without a timeout of their own: the ones whose
        client left are dropped here (their task is woken to end)."""
        for subs in self._subs.values():
            for sub in list(subs):
                if sub.sink is not None and not sub.sink.alive():
                    sub.drop()

    async def _poll(self) -> None:
        """The check for writes of other processes: the log's top id, cheaply on SQLite at
        every pass, else (and when SQLite is busy) read at most every `poll_every` (a wake
        from this process names its shop already)."""
        top = self._top.read() if self._top is not None else None
        if top is None:
            if time.monotonic() - self._polled_at < self.poll_every:
                return
            self._polled_at = time.monotonic()
            top = await self.services.streams.max_event_pk()
        if top != self._max_pk:
            self._max_pk = top
            self._dirty.update(self._subs)

    async def _dispatch(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for shop in dirty:
            if shop not in self._subs:
                continue
            while True:
                after = self._cursor.get(shop, 0)
                events = await self.services.streams.events_after(shop, after)
                for e in events:
                    message = sse_message(e.envelope_json, id=str(e.seq), event=e.type)
                    for sub in list(self._subs.get(shop, ())):
                        if e.seq <= sub.sent or not sub.wants(e):
                            continue
                        if sub.account_id is not None and e.type == EventType.LIVE_SESSION_STARTED:
                            # An overlay's account started a session: its stream sends a
                            # fresh snapshot itself, so it is queued for until then.
                            sub.sink = None
                        sub.hand("event", e, message)
                        if sub.sink is not None:
                            sub.sent = e.seq
                    self._cursor[shop] = e.seq
                if len(events) < 500:
                    break

    async def _progress(self, now: float) -> None:
        """`distribution.progress` for each watched distribution whose claims moved."""
        sessions = {s.session_id for subs in self._subs.values() for s in subs if s.session_id}
        rows = await self.services.streams.progress(sorted(sessions))
        seen = set()
        for p in rows:
            seen.add(p.distribution_id)
            samples = self._claims.setdefault(p.distribution_id, deque())
            samples.append((now, p.claimed))
            while samples and now - samples[0][0] > 60:
                samples.popleft()
            last = self._sent_progress.get(p.distribution_id)
            self._sent_progress[p.distribution_id] = p.claimed
            if last is None or last == p.claimed:
                continue  # nothing claimed since the last look (or the first look)
            first_at, first_claimed = samples[0]
            span = max(now - first_at, 1.0)
            data = {
                "type": PROGRESS,
                "data": {
                    "distribution_id": p.distribution_id,
                    "voucher_id": p.voucher_id,
                    "claimed": p.claimed,
                    "remaining": max(p.total - p.claimed, 0),
                    "budget_left": p.budget_left,
                    "claims_per_minute": round((p.claimed - first_claimed) * 60 / span, 1),
                },
            }
            message = sse_message(json.dumps(data), event=PROGRESS)
            for subs in self._subs.values():
                for sub in list(subs):
                    if sub.session_id == p.session_id:
                        sub.hand("progress", data, message)
        for gone in set(self._claims) - seen:
            self._claims.pop(gone, None)
            self._sent_progress.pop(gone, None)
