"""R-ev2 webhooks: endpoints (secrets shown once, rotation with both signatures for 24 h),
the attempts log, redelivery, and the rules the leader's sender applies to each attempt
(backoff, giving up, disabling an endpoint failing for 3 days and telling the seller and the
team). The sending itself (HTTP, DNS) is the adapter's: bot/webhook_sender.py.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.errors import NotFound, PermissionDenied, invalid
from core.events import EVENT_TYPES
from core.ids import row_id
from core.notice_kinds import NoticeKind
from core.notifications import notify, notify_person, webhook_disabled_text
from core.refusal_codes import GeneralCode, IntegrationCode
from core.rules.roles import Action, Actor
from core.rules.webhook_urls import check_shape, literal_address, not_public, refused_addresses
from core.services.base import Service, require
from storage import events as event_store
from storage import repositories as repo
from storage import webhooks as store
from storage.models import WebhookEndpoint

# About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over ~27.6 h (R-ev2).
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=3)
OLD_SECRET_KEPT = timedelta(hours=24)
ATTEMPT_TIMEOUT = 10.0  # seconds: a 2xx within it succeeds
LEASE = timedelta(seconds=60)  # longer than an attempt can last (timeout + DNS + margin)
MAX_DESCRIPTION = 200
MAX_ENDPOINTS = 20


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _manage(actor: Actor) -> None:
    """The seller and the shop's platform (its API key) manage webhooks."""
    if not actor.may(Action.MANAGE_VOUCHERS):
        raise PermissionDenied(
            "Only the seller or the platform can manage webhooks.", code=GeneralCode.FORBIDDEN
        )


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt; None: give up."""
    return BACKOFF[attempts - 1] if 1 <= attempts <= len(BACKOFF) else None


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    description: str | None
    types: list[str] | None
    disabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    secret: str | None = None  # only when created or rotated

    @classmethod
    def of(cls, e: WebhookEndpoint, secret: str | None = None) -> EndpointView:
        return cls(
            id=row_id(e),
            url=e.url,
            description=e.description,
            types=json.loads(e.types) if e.types else None,
            disabled=e.disabled_at is not None,
            disabled_reason=e.disabled_reason,
            created_at=e.created_at,
            updated_at=e.updated_at,
            secret=secret,
        )


@dataclass(frozen=True)
class AttemptView:
    event_id: str
    event_type: str
    at: datetime
    status: int | None
    latency_ms: int
    error: str | None


@dataclass(frozen=True)
class Outgoing:
    """One attempt, ready to send: where, what, and the secrets that sign it."""

    delivery_id: int
    endpoint_id: int
    event_pk: int
    attempts: int
    url: str
    message_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    """How one attempt went: the HTTP status (None: no answer), its latency, the error."""

    out: Outgoing
    status: int | None
    latency_ms: int
    error: str | None


async def resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port)
    return sorted({str(info[4][0]) for info in infos})


def _types(types: object) -> str | None:
    if types is None:
        return None
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise invalid("types", "must be a list of event types")
    for t in types:
        if t not in EVENT_TYPES:
            raise invalid("types", f"unknown event type {t!r}", "unknown_event_type")
    return json.dumps(sorted(set(types))) if types else None


@dataclass
class WebhookService(Service):
    allow_private: bool = False
    resolver: Any = field(default=resolve)  # (host, port) -> addresses; tests replace it

    async def check_url(self, url: object) -> str:
        """R-ev2 at registration: https, and every address the host resolves to public."""
        scheme, host = check_shape(url, allow_private=self.allow_private)
        if self.allow_private or literal_address(host) is not None:
            return str(url)
        try:
            addresses = await self.resolver(host, 443 if scheme == "https" else 80)
        except OSError as exc:
            raise invalid("url", "must name a host that resolves", "url_unresolvable") from exc
        if not addresses or refused_addresses(addresses, allow_private=False):
            raise not_public()
        return str(url)

    # --- endpoints -------------------------------------------------------------------------

    async def create(
        self, actor: Actor, url: object, *, types: object = None, description: str | None = None
    ) -> EndpointView:
        _manage(actor)
        checked = await self.check_url(url)
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise invalid("description", f"must be at most {MAX_DESCRIPTION} characters")
        chosen = _types(types)
        now = self.clock.now()
        secret = new_secret()
        async with self.db.write() as session:
            await self._shop(session, actor.shop_id)
            if len(await store.list_endpoints(session, actor.shop_id)) >= MAX_ENDPOINTS:
                raise invalid("url", f"a shop has at most {MAX_ENDPOINTS} endpoints", "too_many")
            endpoint = await store.add_endpoint(
                session,
                WebhookEndpoint(
                    shop_id=actor.shop_id,
                    url=checked,
                    description=description,
                    types=chosen,
                    secret=secret,
                    # From now on: the events before it are in GET /v1/events.
                    cursor_seq=await event_store.last_seq(session, actor.shop_id),
                    created_at=now,
                    updated_at=now,
                ),
            )
        return EndpointView.of(endpoint, secret)

    async def _endpoint(
        self, session: Any, actor: Actor, endpoint_id: int, *, lock: bool = False
    ) -> WebhookEndpoint:
        endpoint = await store.get_endpoint(session, actor.shop_id, endpoint_id, lock=lock)
        if endpoint is None:
            raise NotFound(
                f"webhook endpoint {endpoint_id} not found", code=IntegrationCode.ENDPOINT_NOT_FOUND
            )
        return endpoint

    async def list(self, actor: Actor) -> builtins.list[EndpointView]:
        require(actor, Action.READ)
        async with self.db.read() as session:
            return [EndpointView.of(e) for e in await store.list_endpoints(session, actor.shop_id)]

    async def get(self, actor: Actor, endpoint_id: int) -> EndpointView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            return EndpointView.of(await self._endpoint(session, actor, endpoint_id))

    async def update(self, actor: Actor, endpoint_id: int, changes: dict[str, Any]) -> EndpointView:
        """PATCH: `url`, `types`, `description`, `disabled` (enabling clears the failure)."""
        _manage(actor)
        if "url" in changes:
            changes["url"] = await self.check_url(changes["url"])
        now = self.clock.now()
        async with self.db.write() as session:
            e = await self._endpoint(session, actor, endpoint_id, lock=True)
            if "url" in changes:
                e.url = changes["url"]
            if "types" in changes:
                e.types = _types(changes["types"])
            if "description" in changes:
                e.description = changes["description"]
            if "disabled" in changes:
                if changes["disabled"] and e.disabled_at is None:
                    e.disabled_at, e.disabled_reason = now, "manual"
                elif not changes["disabled"]:
                    e.disabled_at, e.disabled_reason, e.failing_since = None, None, None
            e.updated_at = now
            await session.flush()
            return EndpointView.of(e)

    async def delete(self, actor: Actor, endpoint_id: int) -> None:
        _manage(actor)
        async with self.db.write() as session:
            await self._endpoint(session, actor, endpoint_id, lock=True)
            await store.delete_endpoint(session, endpoint_id)

    async def rotate_secret(self, actor: Actor, endpoint_id: int) -> EndpointView:
        """A new secret; the old one keeps signing beside it for 24 h (R-ev2)."""
        _manage(actor)
        now = self.clock.now()
        secret = new_secret()
        async with self.db.write() as session:
            e = await self._endpoint(session, actor, endpoint_id, lock=True)
            e.old_secret, e.old_secret_until = e.secret, now + OLD_SECRET_KEPT
            e.secret, e.updated_at = secret, now
            await session.flush()
            return EndpointView.of(e, secret)

    async def attempts(
        self, actor: Actor, endpoint_id: int, *, limit: int = 50, before_id: int | None = None
    ) -> builtins.list[tuple[int, AttemptView]]:
        require(actor, Action.READ)
        if not 1 <= limit <= 200:
            raise invalid("limit", "must be from 1 to 200", "out_of_range", lo=1, hi=200)
        async with self.db.read() as session:
            await self._endpoint(session, actor, endpoint_id)
            rows = await store.attempts(session, endpoint_id, limit=limit, before_id=before_id)
        return [
            (row_id(a), AttemptView(pid, t, a.at, a.status, a.latency_ms, a.error))
            for a, pid, t in rows
        ]

    async def redeliver(self, actor: Actor, event_id: str) -> int:
        """Sends the event again to every enabled endpoint that wants it; how many."""
        _manage(actor)
        now = self.clock.now()
        async with self.db.write() as session:
            event = await event_store.get_by_public_id(session, actor.shop_id, event_id)
            if event is None:
                raise NotFound(f"event {event_id} not found", code=IntegrationCode.EVENT_NOT_FOUND)
            count = 0
            for e in await store.list_endpoints(session, actor.shop_id):
                if e.disabled_at is None and store.wants(e, event.type):
                    await store.redeliver(session, e, event.pk, now)
                    count += 1
            return count

    # --- the sender's side (the leader) ----------------------------------------------------

    async def fan_out(self) -> int:
        """New events become deliveries of the endpoints that want them."""
        now = self.clock.now()
        passed = 0
        async with self.db.read() as session:
            endpoints = await store.enabled_endpoints(session)
            latest = {
                shop: await event_store.last_seq(session, shop)
                for shop in {e.shop_id for e in endpoints}
            }
        for endpoint in endpoints:
            if latest[endpoint.shop_id] <= endpoint.cursor_seq:
                continue  # nothing new: no write (the claim path shares SQLite's writer)
            async with self.db.write() as session:
                passed += await store.fan_out(session, endpoint, now)
        return passed

    async def take_due(
        self, limit: int, in_flight: Mapping[int, int] | None = None, per_endpoint: int = 4
    ) -> builtins.list[Outgoing]:
        """Leases up to `limit` due deliveries, at most `per_endpoint` in flight to one
        endpoint (counting `in_flight`, the caller's), and prepares them."""
        now = self.clock.now()
        counts = dict(in_flight or {})
        busy = {e for e, n in counts.items() if n >= per_endpoint}
        async with self.db.read() as session:
            due = await store.due(session, now, limit=limit, exclude_endpoints=busy)
        chosen = []
        for d in due:
            if counts.get(d.endpoint_id, 0) >= per_endpoint:
                continue
            counts[d.endpoint_id] = counts.get(d.endpoint_id, 0) + 1
            chosen.append(d)
        if not chosen:
            return []
        async with self.db.write() as session:  # one lease statement for the whole batch
            won = await store.lease_many(session, [d.id for d in chosen], now, now + LEASE)
            endpoints = await store.endpoints_by_ids(session, {d.endpoint_id for d in chosen})
            events = await store.events_by_ids(session, {d.event_id for d in chosen})
        taken: builtins.list[Outgoing] = []
        for d in chosen:
            endpoint, row = endpoints.get(d.endpoint_id), events.get(d.event_id)
            if d.id not in won or endpoint is None or row is None:
                continue
            event = event_store.stored(row)
            signing = [endpoint.secret]
            if (
                endpoint.old_secret
                and endpoint.old_secret_until
                and now < endpoint.old_secret_until
            ):
                signing.append(endpoint.old_secret)
            body = json.dumps(event.envelope(), ensure_ascii=False, separators=(",", ":"))
            taken.append(
                Outgoing(
                    d.id,
                    d.endpoint_id,
                    d.event_id,
                    won[d.id],
                    endpoint.url,
                    event.id,
                    body.encode(),
                    tuple(signing),
                )
            )
        return taken

    async def settle(
        self, out: Outgoing, *, status: int | None, latency_ms: int, error: str | None
    ) -> bool:
        """Records one attempt (see `settle_many`); True when it succeeded."""
        return (await self.settle_many([Attempt(out, status, latency_ms, error)]))[0]

    async def settle_many(self, attempts: builtins.list[Attempt]) -> builtins.list[bool]:
        """Records attempts, in one transaction: a 2xx delivers one, anything else schedules
        its next attempt or gives up. An endpoint failing for 3 days is disabled, and the
        seller and the team are told (R-ev2). Whether each succeeded. The successes (the
        common case) are written with a few statements for the whole batch."""
        now = self.clock.now()
        results = [a.status is not None and 200 <= a.status < 300 for a in attempts]
        async with self.db.write() as session:
            await store.record_attempts(
                session,
                [
                    {
                        "endpoint_id": a.out.endpoint_id,
                        "event_id": a.out.event_pk,
                        "at": now,
                        "status": a.status,
                        "latency_ms": a.latency_ms,
                        "error": a.error[: store.ERROR_LIMIT] if a.error else None,
                    }
                    for a in attempts
                ],
            )
            done = [
                (a.out.delivery_id, a.out.attempts)
                for a, ok in zip(attempts, results, strict=True)
                if ok
            ]
            await store.finish_delivered(session, done, now)
            succeeded = {a.out.endpoint_id for a, ok in zip(attempts, results, strict=True) if ok}
            await store.clear_failing(session, succeeded)
            for a, ok in zip(attempts, results, strict=True):
                if not ok:
                    await self._failed(session, a.out, now)
            await store.release(session, [a.out.delivery_id for a in attempts])
        return results

    async def _failed(self, session: Any, out: Outgoing, now: datetime) -> None:
        delay = retry_delay(out.attempts)
        if delay is None:
            await store.finish(session, out.delivery_id, out.attempts, failed_at=now)
        else:
            await store.finish(session, out.delivery_id, out.attempts, next_attempt_at=now + delay)
        endpoint = await session.get(WebhookEndpoint, out.endpoint_id)
        if endpoint is None or endpoint.disabled_at is not None:
            return
        if endpoint.failing_since is None:
            endpoint.failing_since = now
        elif now - endpoint.failing_since >= DISABLE_AFTER:
            endpoint.disabled_at, endpoint.disabled_reason = now, "failing"
            endpoint.updated_at = now
            await self._tell_disabled(session, endpoint, now)

    async def _tell_disabled(self, session: Any, endpoint: WebhookEndpoint, now: datetime) -> None:
        shop = await repo.get_shop(session, endpoint.shop_id)
        if shop is None:
            return
        text = webhook_disabled_text(endpoint.url)
        key = f"webhook:{endpoint.id}:disabled:{int(now.timestamp())}"
        await notify(
            session, shop, event_key=key, kind=NoticeKind.WEBHOOK_DISABLED, text=text, now=now
        )
        seller = await repo.seller_of_shop(session, row_id(shop))
        if seller is not None and seller.telegram_user_id not in (None, shop.team_chat_id):
            await notify_person(
                session,
                shop,
                seller.telegram_user_id,
                event_key=key + ":seller",
                kind=NoticeKind.WEBHOOK_DISABLED,
                text=text,
                now=now,
            )
