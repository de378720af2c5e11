"""Events benchmark (R-ev2, R-ev3): live-stream subscribers and webhook deliveries.

    python -m bench.events                  # SQLite, full size (1,000 subscribers, 10,000 events)
    python -m bench.events --database-url postgresql+asyncpg://…
    python -m bench.events --smoke          # CI size, well under a minute
    python -m bench.events --part streams   # one half only (or --part webhooks)

1. Streams: the API runs as its own process (`python -m bot.http.serve_api`); this process
   opens N subscribers to one live session's stream, reads the server's memory before and after
   (VmRSS / N: memory per idle subscriber), then issues distributions through its own services
   (so the event crosses processes: NOTIFY on PostgreSQL, the look at the log on SQLite) and
   measures from the instant the issue's transaction committed (its `after_commit`) to each
   subscriber's connection receiving the event's bytes (p50/p99/max; goal p99 ≤ 250 ms). The
   subscribers are read by protocols, not a task each, so that this process's own reading
   does not dominate the figure on a 2-core machine.
2. Webhooks: 20 local receivers (3 answer 500 to every first attempt, 1 never answers, the
   others 200), E events, the leader's sender in this process: every event must reach every
   answering endpoint (no loss), never two attempts of one event to one endpoint in flight
   (no duplicates), and the hanging one must not hold up the others (throughput printed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

if __package__ in (None, ""):  # run as `python bench/events.py`, as .ci/run runs benches
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.claim_rush import (
    Live,
    Seeded,
    Server,
    _free_port,
    _line,
    _rush_buyers,
    _rush_phase,
    generate,
    voucher_claimed,
)
from bench.claim_rush import (
    Size as RushSize,
)
from bot.webhook_sender import WebhookSender
from core.clock import SystemClock
from core.events import PROGRESS, EventType, emit
from core.rules.roles import Actor
from core.rules.vouchers import VoucherDraft
from core.services import Services
from storage import events as event_store
from storage.changes import ChangeFeed
from storage.db import Database
from storage.events import EVENT_TOPIC
from storage.migrate import upgrade

P99_GOAL_MS = 250.0
IDLE_GOAL_KIB = 50.0


@dataclass(frozen=True)
class Size:
    subscribers: int
    rounds: int
    events: int
    endpoints: int = 20


FULL = Size(subscribers=1000, rounds=5, events=10_000)
SMOKE = Size(subscribers=50, rounds=2, events=100)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _draft(name: str) -> VoucherDraft:
    now = datetime.now(UTC)
    return VoucherDraft(
        name=name, kind="live", discount_type="amount", amount=500, min_spend=0,
        total_quantity=1000, per_customer_limit=1, starts_at=now, ends_at=now + timedelta(days=1),
    )  # fmt: skip


# --- streams ---------------------------------------------------------------------------------


@dataclass
class Receipts:
    ready: int = 0  # subscribers past their snapshot
    times: list[float] = field(default_factory=list)  # receive instants of the current round


async def _stream_events(http: aiohttp.ClientSession, url: str, key: str) -> AsyncIterator[str]:
    """The type of each server-sent event of one stream, as its data line arrives."""
    async with http.get(url, headers={"Authorization": f"Bearer {key}"}) as response:
        event = None
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event:
                yield event


SNAPSHOT = b"event: snapshot"
STARTED = b"event: distribution.started"


class _Reader(asyncio.Protocol):
    """One subscriber's connection, read by a protocol rather than a task: each chunk that
    arrives is scanned for the event's line and its arrival instant is the receipt. A thousand
    aiohttp readers (a task, a parser, a line iterator each) cost this process more CPU than
    the server's whole fan-out, on the same two cores, so the benchmark measured its own
    reading; the bytes' arrival in this process is what the server delivered."""

    def __init__(self, request: bytes, r: Receipts) -> None:
        self.request, self.r = request, r
        self.tail = b""  # a marker may be split across two reads
        self.snapshot = False
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        text = self.tail + data
        if not self.snapshot and SNAPSHOT in text:
            if not text.startswith(b"HTTP/1.1 200") and not self.tail:
                raise RuntimeError(f"the stream answered {text[:40]!r}")
            self.snapshot = True
            self.r.ready += 1
        self.r.times.extend([now] * text.count(STARTED))
        self.tail = text[-(len(STARTED) - 1) :]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set_result(None)

    async def close(self) -> None:
        """Closed for good before the server is told to stop (it waits for open streams)."""
        if self.transport is not None:
            self.transport.close()
        await self.closed


async def _open_readers(server: Server, path: str, key: str, n: int, r: Receipts) -> list[_Reader]:
    loop = asyncio.get_running_loop()
    host, port = "127.0.0.1", server.port
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    readers: list[_Reader] = []
    for _ in range(0, n, 100):  # in batches: the server's accept backlog is 1,024
        batch = [
            loop.create_connection(lambda: _Reader(request, r), host, port)
            for _ in range(min(100, n - len(readers)))
        ]
        readers += [reader for _, reader in await asyncio.gather(*batch)]
    return readers


async def streams(
    services: Services, seller: Actor, server: Server, key: str, size: Size
) -> dict[str, Any]:
    session = await services.live.start_session(seller)
    path = f"/v1/live/sessions/{session.id}/stream"
    rss_before = _rss_kib(server.process.pid)
    r = Receipts()
    latencies: list[float] = []
    # The instant each transaction of this process that wrote events committed (the issue's
    # own commit, not its return a few milliseconds later).
    commits: list[float] = []
    watch = ChangeFeed()  # hears this process's own commits only, as they commit
    watch.subscribe(
        lambda topic, _ident: commits.append(time.perf_counter()) if topic == EVENT_TOPIC else None
    )
    services.resources.publisher.hear(watch)
    readers = await _open_readers(server, path, key, size.subscribers, r)
    try:
        deadline = time.monotonic() + 120
        while r.ready < size.subscribers and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the server settle before reading its memory
        rss_after = _rss_kib(server.process.pid)
        for n in range(size.rounds):
            v = await services.vouchers.create(seller, _draft(f"Round {n}"))
            r.times.clear()
            before = len(commits)
            d = await services.live.issue(seller, session.id, v.id, "none")
            (committed,) = commits[before:]  # the issue's one transaction
            while len(r.times) < r.ready and time.perf_counter() - committed < 10:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            latencies += [t - committed for t in r.times]
            await services.live.stop(seller, d.id)
            await asyncio.sleep(0.3)
    finally:
        services.resources.publisher.unhear(watch)
        await asyncio.gather(*(reader.close() for reader in readers))
    latencies.sort()

    def ms(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "subscribers": r.ready,
        "samples": len(latencies),
        "p50_ms": ms(0.50) if latencies else 0.0,
        "p99_ms": ms(0.99) if latencies else 0.0,
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "idle_kib": (rss_after - rss_before) / max(r.ready, 1),
    }


# --- webhooks --------------------------------------------------------------------------------


@dataclass
class Receiver:
    mode: str  # ok | fail_first | hang
    seen: dict[str, int] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    most_in_flight: int = 0
    delivered: set[str] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        mid = request.headers["webhook-id"]
        self.in_flight[mid] = self.in_flight.get(mid, 0) + 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight[mid])
        try:
            self.seen[mid] = self.seen.get(mid, 0) + 1
            if self.mode == "hang":
                await asyncio.sleep(3600)
            if self.mode == "fail_first" and self.seen[mid] == 1:
                return web.Response(status=500)
            self.delivered.add(mid)
            return web.Response(status=204)
        finally:
            self.in_flight[mid] -= 1


async def webhooks(services: Services, seller: Actor, size: Size) -> dict[str, Any]:
    services.webhooks.allow_private = True
    modes = ["hang"] + ["fail_first"] * 3 + ["ok"] * (size.endpoints - 4)
    receivers = [Receiver(m) for m in modes]
    runners = []
    for r in receivers:
        runners.append(await _receive(r))
        port = runners[-1].addresses[0][1]
        await services.webhooks.create(seller, f"http://127.0.0.1:{port}/hook")
    started = time.perf_counter()
    async with services.db.write() as session:
        for i in range(size.events):
            await emit(
                session, seller.shop_id, EventType.DROP_FIRED, {"drop_id": i}, services.clock.now()
            )
    sender = WebhookSender(services, allow_private=True, timeout=2.0, poll_every=0.05)
    await sender.start()
    answering = [r for r in receivers if r.mode != "hang"]
    try:
        # Room for the slowest figure measured (SQLite, ~150 deliveries/s), twice over.
        deadline = time.monotonic() + max(600.0, size.events * len(answering) / 75)
        while time.monotonic() < deadline:
            if all(len(r.delivered) >= size.events for r in answering):
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        await sender.stop()
        for runner in runners:
            await runner.cleanup()
    delivered = sum(len(r.delivered) for r in answering)
    return {
        "events": size.events,
        "endpoints": len(receivers),
        "delivered": delivered,
        "expected": size.events * len(answering),
        "lost": size.events * len(answering) - delivered,
        # (the hanging receiver never learns that an attempt timed out: not counted)
        "most_in_flight": max(r.most_in_flight for r in answering),
        "hanging_attempts": sum(receivers[0].seen.values()),
        "seconds": elapsed,
        "rate": delivered / elapsed if elapsed else 0.0,
    }


# --- events attached to a claim rush (bench/claim_rush.py --with-events) ---------------------


@dataclass
class StreamTally:
    """What M subscribers of one session's stream received while the claims ran."""

    ready: int = 0
    events: dict[str, int] = field(default_factory=dict)  # type → receipts, all subscribers
    progress: int = 0  # distribution.progress messages received


async def _count_stream(http: aiohttp.ClientSession, url: str, key: str, t: StreamTally) -> None:
    async for event in _stream_events(http, url, key):
        if event == "snapshot":
            t.ready += 1
        elif event == PROGRESS:
            t.progress += 1
        else:
            t.events[event] = t.events.get(event, 0) + 1


class EventLoad:
    """N webhook endpoints on local servers, delivered to by the leader's sender in this
    process, and M subscribers of a live session's stream on the API server: attached while a
    claim-rush phase runs, in a thread of their own (the rush's generator is another process).
    `stop()` waits until every endpoint has every event written meanwhile, then reports."""

    def __init__(
        self, url: str, seller: Actor, session_id: int, api: Server, n: int, m: int
    ) -> None:
        self.url, self.seller, self.session_id = url, seller, session_id
        self.api, self.endpoints, self.subscribers = api, n, m
        self.figures: dict[str, Any] = {}
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(180):
            raise RuntimeError("the webhook endpoints and stream subscribers did not start")

    def stop(self) -> dict[str, Any]:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(300)
        return self.figures

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        db = Database(self.url)
        services = Services.build(db, SystemClock())
        services.webhooks.allow_private = True
        receivers = [Receiver("ok") for _ in range(self.endpoints)]
        runners = []
        tally = StreamTally()
        try:
            async with db.read() as session:
                first_seq = await event_store.last_seq(session, self.seller.shop_id)
            for r in receivers:
                runners.append(await _receive(r))
                port = runners[-1].addresses[0][1]
                await services.webhooks.create(self.seller, f"http://127.0.0.1:{port}/hook")
            sender = WebhookSender(services, allow_private=True, timeout=2.0, poll_every=0.05)
            await sender.start()
            url = f"{self.api.base_url}/v1/live/sessions/{self.session_id}/stream"
            # A key of their own: the rush's key keeps its own rate limits (R-api6).
            key = (await services.api_keys.create_for_shop(self.seller.shop_id)).secret
            connector = aiohttp.TCPConnector(limit=0)
            http = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=None)
            )
            tasks = [
                asyncio.create_task(_count_stream(http, url, key, tally))
                for _ in range(self.subscribers)
            ]
            deadline = time.monotonic() + 120
            while tally.ready < self.subscribers and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            self._ready.set()
            await self._stop.wait()
            async with db.read() as session:
                written = len(
                    await event_store.list_after(
                        session, self.seller.shop_id, first_seq, limit=100_000
                    )
                )
            started = time.monotonic()
            while time.monotonic() - started < 60:
                if all(len(r.delivered) >= written for r in receivers):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # the streams' last events
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await http.close()
            await sender.stop()
            self.figures = {
                "events": written,
                "delivered": sum(len(r.delivered) for r in receivers),
                "expected": written * len(receivers),
                "most_in_flight": max((r.most_in_flight for r in receivers), default=0),
                "subscribers": tally.ready,
                "stream_events": dict(tally.events),
                "progress": tally.progress,
            }
        finally:
            self._ready.set()
            for runner in runners:
                await runner.cleanup()
            await db.dispose()


async def _receive(r: Receiver) -> web.AppRunner:
    """A local webhook endpoint (`/hook`) answered by `r`."""
    app = web.Application()
    app.router.add_post("/hook", r.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", _free_port()).start()
    return runner


# --- the run ---------------------------------------------------------------------------------


async def run(url: str, size: Size, part: str = "all") -> int:
    db = Database(url)
    await upgrade(db)
    services = Services.build(db, SystemClock())
    shop, account = await services.shops.create("Bench", owner_telegram_user_id=int(time.time()))
    seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    key = await services.api_keys.create_for_shop(shop.id)  # type: ignore[arg-type]
    port = _free_port()
    server = Server(["-m", "bot.http.serve_api", "--database-url", url, "--port", str(port)], port)
    failed = False
    if part in ("all", "streams"):
        failed |= await _streams_part(services, seller, server, key.secret, size)
    if part in ("all", "webhooks"):
        failed |= await _webhooks_part(services, seller, size)
    await db.dispose()
    return 1 if failed else 0


async def _streams_part(
    services: Services, seller: Actor, server: Server, key: str, size: Size
) -> bool:
    try:
        s = await streams(services, seller, server, key, size)
    finally:
        server.stop()
    verdict = "ok" if s["p99_ms"] <= P99_GOAL_MS else f"ABOVE the {P99_GOAL_MS:g} ms goal"
    print(
        f"streams: {s['subscribers']:,} subscribers, {s['samples']:,} receipts: commit→receive "
        f"p50 {s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms ({verdict}), "
        f"max {s['max_ms']:.0f} ms; "
        f"memory per idle subscriber {s['idle_kib']:.1f} KiB (goal ≤ {IDLE_GOAL_KIB:g})"
    )
    received_all = s["samples"] >= size.subscribers * size.rounds
    return bool(s["subscribers"] < size.subscribers or not received_all)


async def _webhooks_part(services: Services, seller: Actor, size: Size) -> bool:
    w = await webhooks(services, seller, size)
    print(
        f"webhooks: {w['events']:,} events × {w['endpoints']} endpoints (1 hanging, 3 failing "
        f"first): {w['delivered']:,}/{w['expected']:,} delivered, lost {w['lost']}, most "
        f"attempts of one event in flight at one endpoint {w['most_in_flight']}, "
        f"{w['rate']:,.0f} deliveries/s over {w['seconds']:.1f} s"
    )
    return bool(w["lost"] != 0 or w["most_in_flight"] > 1)


def rush_with_events(
    args: argparse.Namespace,
    url: str,
    api: Server,
    seeded: Seeded,
    live: Live,
    size: RushSize,
    ceiling: dict[str, Any],
) -> list[str]:
    """R1 and the rush on LIVE vouchers of one session, plain, then with N webhook endpoints
    and M subscribers of the session's stream attached (R-ev2, R-ev3: "one slow or dead
    endpoint never delays … the claim path"; progress is stream-only for the same reason)."""
    subscribers = args.subscribers or (20 if args.smoke else 200)
    print(
        f"\nwith events: LIVE vouchers of one session, plain, then with {args.endpoints} webhook "
        f"endpoints and {subscribers} stream subscribers attached:"
    )
    phase = {"key": seeded.key, "concurrency": size.concurrency, "duration": size.duration}
    phase["base_url"] = api.base_url
    buyers = _rush_buyers(size)
    plain = {
        "R1": generate({**phase, "voucher_id": live.r1, "prefix": "r1-live"}, api),
        "rush": generate(_rush_phase(api, seeded.key, live.rush, size, buyers), api),
    }
    load = EventLoad(url, live.seller, live.session_id, api, args.endpoints, subscribers)
    load.start()
    try:
        attached = {
            "R1": generate({**phase, "voucher_id": live.r1_events, "prefix": "r1-ev"}, api),
            "rush": generate(_rush_phase(api, seeded.key, live.rush_events, size, buyers), api),
        }
    finally:
        figures = load.stop()
    failures = []
    for name in ("R1", "rush"):
        p, a = plain[name], attached[name]
        print(_line(f"{name} live", p, ceiling, None))
        print(_line(f"{name} +ev", a, ceiling, None))
        print(
            f"         with events attached: {a['rate'] / p['rate']:.2f}× the plain rate, "
            f"p99 {a['p99_ms']:.1f} ms against {p['p99_ms']:.1f} ms"
        )
        errors = sum(v for k, v in a["statuses"].items() if k.startswith("5"))
        if errors:
            failures.append(f"{errors} server errors with events attached")
    for voucher_id, r in ((live.rush, plain["rush"]), (live.rush_events, attached["rush"])):
        claimed = asyncio.run(voucher_claimed(url, seeded.key, voucher_id))
        if claimed != size.rush_quantity or r["claims"] != size.rush_quantity:
            failures.append(f"live rush claimed {claimed} (answers {r['claims']})")
    f = figures
    print(
        f"         webhooks: {f.get('delivered', 0):,}/{f.get('expected', 0):,} deliveries of "
        f"{f.get('events', 0):,} events, most attempts of one event in flight at one "
        f"endpoint {f.get('most_in_flight', 0)}; streams: {f.get('subscribers', 0)} "
        f"subscribers received {f.get('stream_events', {})} and {f.get('progress', 0):,} "
        "progress messages"
    )
    if not f or f["delivered"] != f["expected"]:
        failures.append("webhook deliveries lost with the claims")
    sold_out = f.get("stream_events", {}).get("voucher.sold_out", 0)
    if sold_out < subscribers:  # each subscriber saw each live rush sell out
        failures.append(f"{sold_out} sold_out receipts for {subscribers} subscribers")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--smoke", action="store_true", help="CI size")
    parser.add_argument(
        "--part", choices=("all", "streams", "webhooks"), default="all", help="default: all"
    )
    args = parser.parse_args(argv)
    size = SMOKE if args.smoke else FULL
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return asyncio.run(run(url, size, args.part))


if __name__ == "__main__":
    raise SystemExit(main())
