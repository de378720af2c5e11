"""R-ev2 webhooks: endpoints, Standard Webhooks signatures (verified with the reference
library), retries with backoff across a restart, rotation, redirects, a hanging endpoint,
no two attempts in flight, disabling after 3 days, the SSRF guard."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from bot.webhook_sender import GuardedResolver, NotPublic, WebhookSender
from core.clock import FrozenClock
from core.errors import ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from storage.models import Notification, WebhookDelivery
from tests.events.receivers import Receiver, an_event, receiver
from tests.support.waiting import eventually


@pytest.fixture
def clock() -> FrozenClock:
    """Near the wall clock: receivers check `webhook-timestamp` against it (5 min)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def open_services(services: Services) -> Services:
    services.webhooks.allow_private = True  # local receivers (WEBHOOK_ALLOW_PRIVATE=true)
    return services


async def _sender(services: Services, **kw: object) -> WebhookSender:
    sender = WebhookSender(services, allow_private=True, poll_every=0.02, **kw)  # type: ignore[arg-type]
    await sender.start()
    return sender


async def test_r_ev2_a_delivery_is_signed_per_standard_webhooks(
    open_services: Services, seller: Actor
) -> None:
    services = open_services
    async with receiver(Receiver()) as r:
        ep = await services.webhooks.create(seller, r.url + "hook")
        assert ep.secret and ep.secret.startswith("whsec_")
        await an_event(services, seller.shop_id, 3)
        sender = await _sender(services)
        try:
            await eventually(lambda: len(r.received) == 3, "three deliveries")
        finally:
            await sender.stop()
        bodies = r.verified(ep.secret)
        assert [b["seq"] for b in sorted(bodies, key=lambda b: b["seq"])] == [1, 2, 3]
        for raw, body in zip(r.received, bodies, strict=True):
            assert raw["headers"]["webhook-id"] == body["id"]
            assert body["type"] == "drop.fired"
        attempts = await services.webhooks.attempts(seller, ep.id)
        assert {a.status for _, a in attempts} == {200}


async def test_r_ev2_retries_with_backoff_across_a_restart(
    open_services: Services, seller: Actor, clock: FrozenClock
) -> None:
    services = open_services
    async with receiver(Receiver(statuses=[500, 503])) as r:
        ep = await services.webhooks.create(seller, r.url + "hook")
        await an_event(services, seller.shop_id)
        sender = await _sender(services)
        try:
            await eventually(lambda: len(r.received) == 1, "the first attempt")
            await eventually(
                lambda: services.webhooks.attempts(seller, ep.id), "the attempt recorded"
            )
        finally:
            await sender.stop()  # a restart in the middle of the retry schedule
        async with services.db.read() as session:
            d = (await session.execute(select(WebhookDelivery))).scalar_one()
        assert d.attempts == 1 and d.next_attempt_at == clock.now() + timedelta(seconds=5)
        sender = await _sender(services)  # a new process: nothing is sent before its time
        try:
            clock.advance(seconds=5)
            await eventually(lambda: len(r.received) == 2, "the retry after 5 s")
            await eventually(
                lambda: _attempt_count(services, seller, ep.id, 2), "the second attempt recorded"
            )
            clock.advance(minutes=5)
            await eventually(lambda: len(r.received) == 3, "the retry after 5 min")
        finally:
            await sender.stop()
        assert len({x["headers"]["webhook-id"] for x in r.received}) == 1  # same id each time
        # (the third is signed 5 min ahead of the wall clock: past the library's tolerance)
        assert len(r.verified(ep.secret, r.received[:2])) == 2  # type: ignore[arg-type]
        attempts = [a for _, a in await services.webhooks.attempts(seller, ep.id)]
        assert [a.status for a in reversed(attempts)] == [500, 503, 200]


async def _attempt_count(services: Services, seller: Actor, endpoint_id: int, n: int) -> bool:
    return len(await services.webhooks.attempts(seller, endpoint_id)) >= n


async def test_r_ev2_redirects_are_not_followed(open_services: Services, seller: Actor) -> None:
    services = open_services
    async with receiver(Receiver(statuses=[302])) as r:
        ep = await services.webhooks.create(seller, r.url + "hook")
        await an_event(services, seller.shop_id)
        sender = await _sender(services)
        try:
            await eventually(lambda: _attempt_count(services, seller, ep.id, 1), "an attempt")
        finally:
            await sender.stop()
        assert len(r.received) == 1  # /elsewhere was never called
        ((_, attempt),) = await services.webhooks.attempts(seller, ep.id)
        assert attempt.status == 302 and attempt.error == "HTTP 302"


async def test_r_ev2_a_hanging_endpoint_never_delays_another(
    open_services: Services, seller: Actor
) -> None:
    services = open_services
    async with receiver(Receiver(hang=True)) as slow, receiver(Receiver()) as fast:
        await services.webhooks.create(seller, slow.url + "hook")
        await an_event(services, seller.shop_id, 10)  # more than the hanging one's slots
        sender = await _sender(services, timeout=30.0, per_endpoint=2)
        try:
            await eventually(lambda: len(slow.received) == 2, "the hanging endpoint's slots")
            ep = await services.webhooks.create(seller, fast.url + "hook")
            await an_event(services, seller.shop_id, 5)
            await eventually(lambda: len(fast.received) == 5, "the other endpoint", within=3)
            assert len(slow.received) == 2  # still hanging, holding only its own slots
        finally:
            await sender.stop()
        assert len(fast.verified(ep.secret)) == 5  # type: ignore[arg-type]


async def test_r_ev2_rotation_signs_with_both_secrets_for_24_hours(
    open_services: Services, seller: Actor, clock: FrozenClock
) -> None:
    services = open_services
    async with receiver(Receiver()) as r:
        ep = await services.webhooks.create(seller, r.url + "hook")
        rotated = await services.webhooks.rotate_secret(seller, ep.id)
        assert rotated.secret != ep.secret
        assert (await services.webhooks.get(seller, ep.id)).secret is None  # shown once
        await an_event(services, seller.shop_id)
        sender = await _sender(services)
        try:
            await eventually(lambda: len(r.received) == 1, "a delivery")
            assert len(r.received[0]["headers"]["webhook-signature"].split(" ")) == 2
            r.verified(ep.secret)  # type: ignore[arg-type]
            r.verified(rotated.secret)  # type: ignore[arg-type]
        finally:
            await sender.stop()
        clock.advance(hours=24)
        r.received.clear()
        await an_event(services, seller.shop_id)
        sender = await _sender(services)
        try:
            await eventually(lambda: len(r.received) == 1, "a delivery after 24 h")
        finally:
            await sender.stop()
        # Signed 24 h ahead of the wall clock: compared with the library's own signature.
        headers, body = r.received[0]["headers"], r.received[0]["body"]
        at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        expected = Webhook(rotated.secret).sign(headers["webhook-id"], at, body)  # type: ignore[arg-type]
        assert headers["webhook-signature"] == expected  # the new secret's only


async def test_r_ev2_never_two_attempts_of_one_event_to_one_endpoint_at_once(
    open_services: Services, seller: Actor
) -> None:
    services = open_services
    hold = asyncio.Event()
    async with receiver(Receiver(hold=hold)) as r:
        await services.webhooks.create(seller, r.url + "hook")
        await an_event(services, seller.shop_id, 5)
        senders = [await _sender(services, per_endpoint=2) for _ in range(3)]  # 3 by mistake
        try:
            await eventually(lambda: len(r.received) == 5, "each event once in flight")
            hold.set()
            await eventually(lambda: _all_delivered(services), "every delivery recorded", within=10)
        finally:
            for s in senders:
                await s.stop()
        assert r.most_in_flight == 1 and len(r.received) == 5


async def _all_delivered(services: Services) -> bool:
    async with services.db.read() as session:
        rows = (await session.execute(select(WebhookDelivery))).scalars().all()
    return bool(rows) and all(d.delivered_at is not None for d in rows)


async def test_r_ev2_an_endpoint_failing_for_3_days_is_disabled_and_the_team_told(
    open_services: Services, seller: Actor, clock: FrozenClock
) -> None:
    services = open_services
    await services.shops.set_team_chat(seller, -100123)
    ep = await services.webhooks.create(seller, "http://127.0.0.1:9/hook")
    await an_event(services, seller.shop_id, 8)
    await services.webhooks.fan_out()
    for _ in range(8):
        (out,) = await services.webhooks.take_due(1)
        await services.webhooks.settle(out, status=None, latency_ms=1, error="refused")
        clock.advance(hours=11)
    view = await services.webhooks.get(seller, ep.id)
    assert view.disabled and view.disabled_reason == "failing"
    async with services.db.read() as session:
        kinds = (await session.execute(select(Notification.kind))).scalars().all()
    assert "webhook_disabled" in kinds
    assert await services.webhooks.take_due(10) == []  # a disabled endpoint waits
    enabled = await services.webhooks.update(seller, ep.id, {"disabled": False})
    assert not enabled.disabled


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://2130706433/hook",  # 127.0.0.1, written as one number
        "https://0x7f.1/hook",  # 127.0.0.1, hex and short
        "https://0177.0.0.1/hook",  # octal
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest",  # link-local (cloud metadata)
        "https://[fd00::1]/hook",  # unique-local
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://[::]/hook",
        "https://100.64.0.1/hook",  # shared address space
        "https://loopback.test/hook",  # a name that resolves to loopback
        "https://mixed.test/hook",  # one public and one private address
    ],
)
async def test_r_ev2_ssrf_guard_refuses_non_public_endpoints(
    services: Services, seller: Actor, url: str
) -> None:
    async def fake_dns(host: str, port: int) -> list[str]:
        return {"loopback.test": ["127.0.0.1"], "mixed.test": ["93.184.216.34", "10.0.0.1"]}[host]

    services.webhooks.resolver = fake_dns
    with pytest.raises(ValidationFailed) as refused:
        await services.webhooks.create(seller, url)
    assert refused.value.errors[0].field == "url"


async def test_r_ev2_ssrf_guard_accepts_a_public_https_endpoint(
    services: Services, seller: Actor
) -> None:
    async def fake_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    services.webhooks.resolver = fake_dns
    ep = await services.webhooks.create(seller, "https://hooks.example.com/in")
    assert ep.url == "https://hooks.example.com/in"


async def test_r_ev2_ssrf_guard_runs_again_at_delivery_after_dns(
    open_services: Services, seller: Actor
) -> None:
    with pytest.raises(NotPublic):
        await GuardedResolver(allow_private=False).resolve("localhost", 443)
    services = open_services  # registered while private addresses were allowed …
    async with receiver(Receiver()) as r:
        ep = await services.webhooks.create(seller, r.url + "hook")
        await an_event(services, seller.shop_id)
        sender = WebhookSender(services, allow_private=False, poll_every=0.02)  # … not now
        await sender.start()
        try:
            await eventually(lambda: _attempt_count(services, seller, ep.id, 1), "an attempt")
        finally:
            await sender.stop()
        assert r.received == []
        ((_, attempt),) = await services.webhooks.attempts(seller, ep.id)
        assert attempt.status is None and "not an allowed" in (attempt.error or "")


async def test_r_ev2_endpoint_api_crud_attempts_and_redeliver(api) -> None:  # type: ignore[no-untyped-def]
    api.services.webhooks.allow_private = True
    async with receiver(Receiver()) as r:
        created = await api.ok(
            "POST",
            "/v1/webhook-endpoints",
            201,
            json={"url": r.url + "hook", "types": ["voucher.created"], "description": "ours"},
        )
        assert created["secret"].startswith("whsec_") and created["types"] == ["voucher.created"]
        eid = created["id"]
        listed = await api.ok("GET", "/v1/webhook-endpoints")
        assert [e["id"] for e in listed["items"]] == [eid] and listed["items"][0]["secret"] is None
        patched = await api.ok("PATCH", f"/v1/webhook-endpoints/{eid}", json={"disabled": True})
        assert patched["disabled"] and patched["disabled_reason"] == "manual"
        await api.ok("PATCH", f"/v1/webhook-endpoints/{eid}", json={"disabled": False})
        status, problem = await api.call(
            "PATCH", f"/v1/webhook-endpoints/{eid}", json={"types": ["nope"]}
        )
        assert status == 422 and problem["errors"][0]["field"] == "types"
        rotated = await api.ok("POST", f"/v1/webhook-endpoints/{eid}/rotate-secret")
        assert rotated["secret"] != created["secret"]
        now = api.clock.now()
        await api.voucher(starts_at=now.isoformat(), ends_at=(now + timedelta(days=7)).isoformat())
        sender = await _sender(api.services)
        try:
            await eventually(lambda: len(r.received) == 1, "the voucher.created delivery")
            event = (await api.ok("GET", "/v1/events"))["items"][0]
            redo = await api.ok("POST", f"/v1/events/{event['id']}/redeliver", 202)
            assert redo["endpoints"] == 1
            await eventually(lambda: len(r.received) == 2, "the redelivery")
        finally:
            await sender.stop()
        attempts = await api.ok("GET", f"/v1/webhook-endpoints/{eid}/attempts")
        assert [a["event_id"] for a in attempts["items"]] == [event["id"]] * 2
        status, _ = await api.call("POST", "/v1/events/evt_nope/redeliver")
        assert status == 404
        deleted = await api.ok("DELETE", f"/v1/webhook-endpoints/{eid}")
        assert deleted == {"id": eid, "deleted": True}
        status, _ = await api.call("GET", f"/v1/webhook-endpoints/{eid}")
        assert status == 404
        doc = await api.ok("GET", "/openapi.json")
        assert "/v1/webhook-endpoints/{endpoint_id}/rotate-secret" in doc["paths"]
