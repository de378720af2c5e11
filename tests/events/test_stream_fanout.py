"""R-ev3 the hub's fan-out: a commit of this process wakes it at once (no poll tick), a live
subscriber gets the event's bytes written straight to its connection, and one that cannot take
them (stopped reading, or gone) is dropped without holding up the others."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from aiohttp import web

from bot import event_hub
from bot.event_hub import SINK_LIMIT, EventHub, Subscriber, sse_message
from bot.http.routes_streams import _sink
from core.events import EventType, emit
from core.rules.roles import Actor
from core.services import Services
from storage.changes import ChangeFeed, PostgresChangeFeed, SqliteChangeFeed
from storage.db import Database
from storage.events import LogTop
from tests.draws.helpers import live_voucher


async def test_r_ev3_this_process_hears_the_shops_a_committed_transaction_wrote_to(
    services: Services, seller: Actor
) -> None:
    """The writing process hears `event:<shop>` at its commit, on both databases (the hub's
    wake): not before the commit, not after a rollback, not for a read."""
    heard: list[str] = []
    watch = ChangeFeed()
    watch.subscribe(lambda topic, ident: heard.append(f"{topic}:{ident}"))
    publisher = services.resources.publisher
    publisher.hear(watch)
    try:
        async with services.db.write() as session:
            await emit(
                session, seller.shop_id, EventType.DROP_FIRED, {"drop_id": 1}, services.clock.now()
            )
            assert heard == []  # not before the commit
        assert heard == [f"event:{seller.shop_id}"]
        with pytest.raises(RuntimeError):
            async with services.db.write() as session:
                await emit(
                    session,
                    seller.shop_id,
                    EventType.DROP_FIRED,
                    {"drop_id": 2},
                    services.clock.now(),
                )
                raise RuntimeError("rolled back")
        await services.shops.get(seller.shop_id)  # a read: nothing written
        assert heard == [f"event:{seller.shop_id}"]  # neither the rollback nor the read
    finally:
        publisher.unhear(watch)


async def _hub_without_other_hearing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> EventHub:
    """A hub that reads the log's top once an hour, takes no cheap looks, hears no NOTIFY and
    no change counter: only this process's commit can wake it, so a test that receives an
    event proves the wake."""
    monkeypatch.setattr(PostgresChangeFeed, "_on_notify", lambda *args: None)
    monkeypatch.setattr(SqliteChangeFeed, "fresh", lambda self: True)
    return EventHub(services, poll_every=3600, look_every=None, progress_every=3600)


async def test_r_ev3_a_commit_in_this_process_reaches_the_stream_without_a_poll_tick(
    services: Services, seller: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await services.live.start_session(seller)
    v = await live_voucher(services, seller)
    hub = await _hub_without_other_hearing(services, monkeypatch)
    queued = Subscriber(seller.shop_id, s.id)  # not live yet: the hub queues for it
    await hub.subscribe(queued)
    try:
        d = await services.live.issue(seller, s.id, v.id, "none")
        kind, e, message = await asyncio.wait_for(queued.queue.get(), 5)
        assert kind == "event" and e.type == EventType.DISTRIBUTION_STARTED
        assert e.data["distribution_id"] == d.id
        assert message == sse_message(e.envelope_json, id=str(e.seq), event=e.type)
    finally:
        await hub.close()


@dataclass
class _Sink:
    """A live subscriber's connection: takes messages, or refuses them (stopped reading)."""

    accepts: bool = True
    got: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    open: bool = True

    def write(self, message: bytes) -> bool:
        if not self.accepts:
            return False
        self.got.append(message)
        self.arrived.set()
        return True

    def alive(self) -> bool:
        return self.open


async def test_r_ev3_live_subscribers_get_the_same_bytes_and_a_stuck_one_is_dropped(
    services: Services, seller: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await services.live.start_session(seller)
    v = await live_voucher(services, seller)
    hub = await _hub_without_other_hearing(services, monkeypatch)
    subs = [Subscriber(seller.shop_id, s.id) for _ in range(3)]
    sinks = [_Sink(), _Sink(accepts=False), _Sink()]
    for sub, sink in zip(subs, sinks, strict=True):
        await hub.subscribe(sub)
        sub.sink = sink
    try:
        await services.live.issue(seller, s.id, v.id, "none")
        await asyncio.wait_for(sinks[2].arrived.wait(), 5)
        assert sinks[0].got == sinks[2].got and len(sinks[0].got) == 1
        assert b"event: distribution.started\r\n" in sinks[0].got[0]
        assert subs[0].sent == subs[2].sent == int(sinks[0].got[0].split(b"\r\n")[0][4:])
        stuck = subs[1]
        assert stuck.overflowed and stuck.sink is None
        assert stuck.queue.get_nowait()[0] == "drop"  # its stream's task is woken to end
        assert subs[0].queue.empty() and not subs[0].overflowed
    finally:
        await hub.close()


async def test_r_ev3_a_live_subscriber_whose_client_left_is_dropped_by_the_sweep(
    services: Services, seller: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_hub, "SWEEP_EVERY", 0.0)  # a sweep at every pass
    s = await services.live.start_session(seller)
    hub = EventHub(services)
    left, staying = Subscriber(seller.shop_id, s.id), Subscriber(seller.shop_id, s.id)
    for sub, sink in ((left, _Sink(open=False)), (staying, _Sink())):
        await hub.subscribe(sub)
        sub.sink = sink
    try:
        # The live stream waits on its queue with no timeout: the sweep wakes it to end.
        assert (await asyncio.wait_for(left.queue.get(), 5))[0] == "drop"
        assert left.overflowed and left.sink is None
        assert staying.sink is not None and staying.queue.empty()
    finally:
        await hub.close()


class _Transport(asyncio.Transport):
    def __init__(self, unsent: int = 0, closing: bool = False) -> None:
        super().__init__()
        self.unsent, self.closing = unsent, closing
        self.written: list[bytes] = []

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.unsent

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))


@dataclass
class _Request:
    transport: Any
    version: Any = (1, 1)


def test_r_ev3_a_connection_sink_frames_a_chunk_and_refuses_a_client_too_far_behind() -> None:
    ok = _Transport()
    sink = _sink(cast(web.Request, _Request(ok)))
    assert sink is not None and sink.write(b"hello") and sink.alive()
    assert ok.written == [b"5\r\nhello\r\n"]  # one chunk of the response's chunked body
    for stuck in (_Transport(unsent=SINK_LIMIT + 1), _Transport(closing=True)):
        sink = _sink(cast(web.Request, _Request(stuck)))
        assert sink is not None and not sink.write(b"hello") and stuck.written == []
    assert not sink.alive()  # the closing one
    assert (
        _sink(cast(web.Request, _Request(ok, (1, 0)))) is None
    )  # HTTP/1.0: no chunks, the hub queues


async def test_r_ev3_on_sqlite_another_processs_event_is_seen_by_a_cheap_look(
    services: Services, seller: Actor, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = LogTop.of(services.db)
    if not services.db.is_sqlite:
        assert top is None  # PostgreSQL: NOTIFY tells every process
        return
    assert top is not None
    s = await services.live.start_session(seller)
    v = await live_voucher(services, seller)
    monkeypatch.setattr(EventHub, "_on_change", lambda self, topic, ident: None)
    # The regular read of the log once an hour: only the cheap look can see the event.
    hub = EventHub(services, poll_every=3600, progress_every=3600)
    sub = Subscriber(seller.shop_id, s.id)
    await hub.subscribe(sub)
    other_db = Database(db_url)  # another process's engine and services over the same file
    other = Services.build(other_db, services.clock)
    try:
        before = top.read()
        d = await other.live.issue(seller, s.id, v.id, "none")
        assert (top.read() or 0) > (before or 0)  # at once, on this thread
        kind, e, _ = await asyncio.wait_for(sub.queue.get(), 5)
        assert kind == "event" and e.data["distribution_id"] == d.id
    finally:
        top.close()
        await hub.close()
        await other_db.dispose()
