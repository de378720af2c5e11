"""R-ev2 the webhook sender, run by the leader: it turns new events into deliveries, leases
the due ones and POSTs them as the Standard Webhooks specification says, and prunes the event
log once an hour (R-ev1 retention).

A well-behaved client: a 10 s timeout, no redirects followed, at most `concurrency` attempts
in flight and at most `per_endpoint` to one endpoint, so a hanging endpoint holds only its
own slots and never delays another's deliveries (nor the claim path, which never waits for
it). The SSRF guard runs at every attempt: the URL's form and literal address first, then
every address its host resolves to (`GuardedResolver`), which is the address connected to.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from standardwebhooks.webhooks import Webhook

from core.errors import VoucherbotError
from core.rules.webhook_urls import check_shape, refused_addresses
from core.services import Services
from core.services.webhooks import ATTEMPT_TIMEOUT, Attempt, Outgoing

log = logging.getLogger(__name__)

POLL_EVERY = 0.25  # seconds between looks for new events and due deliveries
PRUNE_EVERY = 3600.0  # seconds between prunes of the event log
STOP_GRACE = 2.0  # seconds given to attempts in flight at stop (their lease covers the rest)
USER_AGENT = "Voucherbot-Webhooks/1"


class NotPublic(OSError):
    """The host resolved to an address the SSRF guard refuses."""


class GuardedResolver(AbstractResolver):
    """Resolves with the system resolver and refuses a host with any non-public address."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        refused = refused_addresses(
            [str(r["host"]) for r in results], allow_private=self._allow_private
        )
        if refused:
            raise NotPublic(f"{host} resolves to a non-public address ({', '.join(refused)})")
        return results

    async def close(self) -> None:
        await self._inner.close()


def signature(secrets: tuple[str, ...], message_id: str, at: Any, body: bytes) -> str:
    """`v1,<base64>` per secret, space-separated (both during a rotation)."""
    return " ".join(Webhook(s).sign(message_id, at, body) for s in secrets)


class WebhookSender:
    def __init__(
        self,
        services: Services,
        *,
        allow_private: bool = False,
        concurrency: int = 64,
        per_endpoint: int = 4,
        poll_every: float = POLL_EVERY,
        timeout: float = ATTEMPT_TIMEOUT,
    ) -> None:
        self.services = services
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.poll_every = poll_every
        self.timeout = timeout
        self._in_flight: Counter[int] = Counter()
        self._outcomes: list[Attempt] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self.sent = 0  # attempts made (the benchmark reads it)

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=self.allow_private),
            limit=self.concurrency,
            limit_per_host=self.per_endpoint,
            use_dns_cache=False,  # every attempt's addresses are checked afresh
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers={"User-Agent": USER_AGENT},
        )
        self._stop.clear()
        self._loop = asyncio.create_task(self._run(), name="webhook-sender")

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._loop is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE)
            for task in pending:  # their leases expire: another attempt follows later
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            await self._record()
        except Exception:
            log.exception("recording the last webhook attempts failed (their leases expire)")
        if self._http is not None:
            await self._http.close()
            self._http = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        pruned_at = float("-inf")
        while not self._stop.is_set():
            try:
                await self._record()
                await self.services.webhooks.fan_out()
                await self._start_due()
                if time.monotonic() - pruned_at >= PRUNE_EVERY:
                    pruned_at = time.monotonic()
                    pruned = await self.services.events.prune()
                    if pruned:
                        log.info("event log: %d events past retention pruned", pruned)
            except Exception:
                log.exception("the webhook sender's pass failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_every)

    async def _start_due(self) -> None:
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return
        taken = await self.services.webhooks.take_due(free, self._in_flight, self.per_endpoint)
        for out in taken:
            self._in_flight[out.endpoint_id] += 1
            task = asyncio.create_task(self._attempt(out))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._done, endpoint_id=out.endpoint_id))

    def _done(self, task: asyncio.Task[None], *, endpoint_id: int) -> None:
        self._tasks.discard(task)
        self._in_flight[endpoint_id] -= 1
        if self._in_flight[endpoint_id] <= 0:
            del self._in_flight[endpoint_id]
        self._wake.set()

    async def _attempt(self, out: Outgoing) -> None:
        started = time.perf_counter()
        status, error = await self._post(out)
        latency_ms = int((time.perf_counter() - started) * 1000)
        self.sent += 1
        self._outcomes.append(Attempt(out, status, latency_ms, error))
        self._wake.set()

    async def _record(self) -> None:
        """The attempts finished since the last pass, recorded in one transaction (an
        unrecorded attempt's lease expires, so it is tried again: at least once)."""
        outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            await self.services.webhooks.settle_many(outcomes)

    async def _post(self, out: Outgoing) -> tuple[int | None, str | None]:
        """(HTTP status or None, error or None) of one POST."""
        assert self._http is not None
        try:
            check_shape(out.url, allow_private=self.allow_private)
        except VoucherbotError:
            return None, "the URL is not an allowed https address"
        at = self.services.clock.now()
        headers = {
            "content-type": "application/json",
            "webhook-id": out.message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature(out.secrets, out.message_id, at, out.body),
        }
        try:
            async with self._http.post(
                out.url, data=out.body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
        except TimeoutError:
            return None, f"no answer within {self.timeout:g} s"
        except NotPublic as exc:
            return None, str(exc)
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            if isinstance(cause, NotPublic):
                return None, str(cause)
            return None, f"could not connect: {cause.strerror or cause}"
        except aiohttp.ClientError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return status, None if 200 <= status < 300 else f"HTTP {status}"
