"""A LIVE claim's remembered distribution never changes an answer the rules would give
(R-live2, R-live3, R-live4, R-draw1, R-c1, R-scale1): this process hears its own distribution
changes at their commit, every other process through the change feed, on SQLite and on
PostgreSQL; and every write of a distribution announces itself."""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path

import pytest

from core.errors import ClaimRefused
from core.rules.roles import Actor
from core.services import Services
from core.services.live_claim_cache import LiveTarget
from storage.changes import ChangeFeed, SqliteChangeFeed
from storage.db import Database
from storage.resources import Resources
from tests.conftest import FrozenClock, draft

ROOT = Path(__file__).resolve().parents[2]
HEARD_WITHIN_S = 5.0  # a bound on the notification's trip, never reached when it is sent


async def code_of(coro: Awaitable[object]) -> str:
    with pytest.raises(ClaimRefused) as exc:
        await coro
    return exc.value.code


async def _claim(services: Services, shop_id: int, voucher_id: int, buyer: str) -> str:
    try:
        return (await services.claims.claim(shop_id, voucher_id, buyer)).status
    except ClaimRefused as exc:
        return exc.code


class Other:
    """Another process on the same database: its own engine, sessions, caches and change feed
    (on SQLite one that checks the change counter before every answer, so the test needs no
    clock of its own). `heard(voucher)` waits for the feed to deliver that voucher's topic."""

    def __init__(self, db: Database, resources: Resources, services: Services) -> None:
        self.db, self.resources, self.services = db, resources, services
        self._topics: list[tuple[str | None, str | None]] = []
        self._arrived = asyncio.Event()
        services.changes.subscribe(self._on_change)

    def _on_change(self, topic: str | None, ident: str | None) -> None:
        self._topics.append((topic, ident))
        self._arrived.set()

    def expect(self) -> None:
        self._topics.clear()

    async def heard(self, voucher_id: int) -> None:
        """PostgreSQL: the voucher's topic arrives (fails after the bound if never sent).
        SQLite: the next answer checks the counter itself; nothing to wait for."""
        if self.db.dialect != "postgresql":
            return
        wanted = ("voucher", str(voucher_id))
        async with asyncio.timeout(HEARD_WITHIN_S):
            while wanted not in self._topics:
                self._arrived.clear()
                await self._arrived.wait()


@pytest.fixture
async def other(db: Database, clock: FrozenClock) -> AsyncIterator[Other]:
    second = Database(db.url.render_as_string(hide_password=False))
    resources = Resources.build(second)
    if second.is_sqlite:
        await resources.changes.close()
        resources.changes = SqliteChangeFeed(str(second.url.database), every=0.0)
        resources.publisher.hear(resources.changes)
    await resources.changes.start()
    try:
        yield Other(second, resources, Services.build(second, clock, resources=resources))
    finally:
        await resources.close()
        await second.dispose()


async def _truth(services: Services, voucher_id: int) -> LiveTarget | None:
    return await services.claims._load_live(voucher_id)


async def _remembers(other: Other, voucher_id: int) -> LiveTarget | None:
    """What the other process answers from now (and remembers)."""
    return await other.services.claims.live_cache.active(voucher_id)


async def test_r_scale1_r_live3_another_process_sees_issue_stop_and_reissue(
    services: Services, seller: Actor, other: Other
) -> None:
    v = await services.vouchers.create(seller, draft(kind="live"))
    s = await services.live.start_session(seller)
    b = other.services
    assert await _claim(b, seller.shop_id, v.id, "b1") == "no_active_distribution"

    other.expect()
    d = await services.live.issue(seller, s.id, v.id, "none")
    await other.heard(v.id)
    assert await _claim(b, seller.shop_id, v.id, "b1") == "claimed"

    other.expect()
    await services.live.stop(seller, d.id)
    await other.heard(v.id)
    assert (await _remembers(other, v.id)) is None
    assert await _claim(b, seller.shop_id, v.id, "b2") == "no_active_distribution"

    other.expect()
    await services.live.issue(seller, s.id, v.id, "watch", 5)  # another task: a new answer
    await other.heard(v.id)
    assert await _claim(b, seller.shop_id, v.id, "b2") == "task_not_met"
    await services.live.record_watch(seller.shop_id, s.id, "b2", 300)
    assert await _claim(b, seller.shop_id, v.id, "b2") == "claimed"

    other.expect()
    w = await _live(services, seller)
    await services.live.issue(seller, s.id, w.id, "none")
    await other.heard(w.id)  # another voucher's distribution: this one's answer is unchanged
    assert (await _remembers(other, v.id)) == await _truth(services, v.id) is not None


async def _live(services: Services, seller: Actor, **kw: object):  # type: ignore[no-untyped-def]
    return await services.vouchers.create(seller, draft(kind="live", **kw))


async def test_r_scale1_every_distribution_write_is_announced(
    services: Services, seller: Actor, other: Other, clock: FrozenClock
) -> None:
    """Each way a distribution starts or ends, made by this process: the other process had
    the voucher's distribution (or its absence) in memory and must answer with the new one.
    A write path that forgot to announce leaves the other process's memory stale (SQLite) or
    its notification missing (PostgreSQL): this test fails."""
    host = seller

    async def step(voucher_id: int, write: Awaitable[object]) -> None:
        await _remembers(other, voucher_id)  # remembered before the change
        other.expect()
        await write
        await other.heard(voucher_id)
        assert await _remembers(other, voucher_id) == await _truth(services, voucher_id)

    v = await _live(services, seller)
    s = await services.live.start_session(host)
    await step(v.id, services.live.issue(host, s.id, v.id, "none"))  # issued
    [d] = await services.live.distributions(host)
    await step(v.id, services.live.stop(host, d.id))  # stopped by the host
    await step(v.id, services.live.issue(host, s.id, v.id, "follow"))
    await step(v.id, services.live.end_session(host, s.id))  # R-live1: ended with its session

    s = await services.live.start_session(host)
    drop = await services.drops.schedule(host, s.id, v.id, "none", in_seconds=60)
    clock.advance(seconds=60)
    await step(v.id, services.drops.fire(drop.id))  # R-drop1: a timed drop fired
    assert await _truth(services, v.id) is not None
    await step(v.id, services.live.stop_voucher(host, v.id))

    other.expect()
    draw = await services.live.issue(
        host, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
    )
    await other.heard(v.id)
    assert await _remembers(other, v.id) == await _truth(services, v.id)
    assert await _claim(other.services, seller.shop_id, v.id, "b9") == "draw_only"  # R-draw1
    clock.advance(minutes=1)
    await step(v.id, services.draws.close(draw.id))  # R-draw2: drawn
    assert await _truth(services, v.id) is None

    w = await _live(services, seller)
    await services.live.issue(host, s.id, w.id, "none")
    await step(w.id, services.vouchers.deactivate(seller, w.id))  # R-v11: deactivated
    x = await _live(services, seller, ends_at=clock.now() + timedelta(minutes=5))
    await services.live.issue(host, s.id, x.id, "none")
    clock.advance(minutes=5)
    await step(x.id, services.schedule.close_claim_period(x.id))  # R-s1: period over
    assert await _truth(services, x.id) is None


async def test_r_scale1_this_process_hears_its_own_changes_at_commit(
    db: Database, clock: FrozenClock
) -> None:
    """A change feed that never reports anything (as if the notification had not arrived
    yet): the process that made the change still answers its next claim with it."""
    resources = Resources.build(db)
    await resources.changes.close()
    resources.changes = ChangeFeed()  # hears only what the publisher hands it at commit
    resources.publisher.hear(resources.changes)
    try:
        services = Services.build(db, clock, resources=resources)
        shop, account = await services.shops.create("Own", owner_telegram_user_id=7, handle="own")
        seller = Actor(shop_id=shop.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
        v = await _live(services, seller)
        s = await services.live.start_session(seller)
        assert await _claim(services, seller.shop_id, v.id, "b1") == "no_active_distribution"
        d = await services.live.issue(seller, s.id, v.id, "none")
        assert await _claim(services, seller.shop_id, v.id, "b1") == "claimed"
        await services.live.stop(seller, d.id)
        assert await _claim(services, seller.shop_id, v.id, "b2") == "no_active_distribution"
        await services.live.issue(
            seller, s.id, v.id, "none", mode="draw", winners=1, entry_minutes=1
        )
        assert await _claim(services, seller.shop_id, v.id, "b2") == "draw_only"
    finally:
        await resources.close()


async def test_r_live2_a_met_watch_task_is_remembered_and_an_unmet_one_read_again(
    services: Services, seller: Actor
) -> None:
    v = await _live(services, seller, per_customer_limit=2)
    s = await services.live.start_session(seller)
    d = await services.live.issue(seller, s.id, v.id, "watch", 1)
    live = services.claims.live_cache
    assert await code_of(services.claims.claim(seller.shop_id, v.id, "b1")) == "task_not_met"
    assert not live.watch_met(d.id, "b1")  # a refusal is never remembered
    await services.live.record_watch(seller.shop_id, s.id, "b1", 60)
    assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"
    assert live.watch_met(d.id, "b1")
    assert (await services.claims.claim(seller.shop_id, v.id, "b1")).status == "claimed"


def test_r_scale1_bulk_distribution_statements_announce_themselves() -> None:
    """A statement below the ORM that writes distributions (UPDATE/INSERT/DELETE) is not seen
    by the change publisher: the function making it must call `announce_distribution`."""
    statement = re.compile(
        r"\b(update|insert|delete|_insert)\(\s*(session,\s*)?Distribution\b"
        r"|(UPDATE|INSERT INTO|DELETE FROM)\s+distribution\b"
    )
    found = []
    for path in [*(ROOT / "storage").rglob("*.py"), *(ROOT / "core").rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if not statement.search(source):
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = ast.get_source_segment(source, node) or ""
                if statement.search(body):
                    found.append(f"{path.relative_to(ROOT)}:{node.name}")
                    assert "announce_distribution(" in body, f"{found[-1]} does not announce"
    assert "storage/repositories/live.py:stop_distribution" in found
