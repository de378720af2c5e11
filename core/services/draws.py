"""Lucky draws (R-draw1–R-draw3): entries, the verifiable draw at the close, cancellation.

A draw is a distribution in `draw` mode with a `Draw` row beside it. Life of a draw:

- **open** (`LiveService.issue` calls `open_draw` in its transaction): a fresh 32-byte seed is
  stored, `sha256(seed)` is published, the team is told. Viewers who meet the task enter.
- **cancelled**: the distribution stops before the close (host, session end, deactivation,
  end of the claim period; `cancel_draw` from `stop_distribution_row`): nobody wins.
- **drawn**: at `closes_at` the scheduler calls `close`, once (R-s2):
  1. one transaction takes the draw (`open` → `drawing` with a lease): from then on the entrant
     set is frozen (see `storage.draw_queries`);
  2. the winners are walked in draw order (`core.rules.draws.draw_order`); each gets a claim
     through `ClaimService.award`, the claim store's path, so R-c1's status, limit and quota
     checks hold under its row locks. A winner refused (at the limit) is passed over for the
     next in order; when the voucher can give no more (sold out, not claimable), the walk stops.
     Each claim carries the idempotency key `draw:<distribution id>:<buyer id>`, so a draw
     resumed after a crash (its lease ran out) gives nobody a second claim;
  3. one transaction finishes it (`drawing` → `drawn`, conditional, so only once): result,
     claims linked to the distribution, the distribution stopped, the team told.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.errors import ClaimRefused, Conflict, NotFound
from core.ids import check_platform_id
from core.notifications import (
    DrawOutcome,
    Message,
    draw_cancelled_text,
    draw_opened_text,
    draw_result_text,
    notify,
    notify_person,
)
from core.rules import draws as rules
from core.rules.live import Task, TaskType, missing_watch_seconds
from core.rules.roles import Action, Actor
from core.rules.vouchers import Status, status_of
from core.services.base import Service, require
from core.services.claims import ClaimService
from core.services.live_panel import PanelDraw
from core.views import ClaimView
from storage import draw_queries as dq
from storage import repositories as repo
from storage.models import Account, Distribution, Draw, LiveSession, Shop, Voucher

# How long one process may take to make a draw before another may resume it.
DRAW_LEASE = timedelta(seconds=60)


def idempotency_key(distribution_id: int, buyer_id: str) -> str:
    return f"draw:{distribution_id}:{buyer_id}"


@dataclass(frozen=True)
class DrawEvent:
    """The close a draw still owes (R-s2): due at `closes_at`, or when a stalled draw's lease
    runs out."""

    at: datetime
    distribution_id: int
    shop_id: int

    @property
    def key(self) -> str:
        return f"draw:{self.distribution_id}:closed"

    def due(self, now: datetime) -> bool:
        return now >= self.at


@dataclass(frozen=True)
class Skipped:
    buyer_id: str
    reason: str  # limit_reached | sold_out | not_claimable | …  (R-c1's code)


@dataclass(frozen=True)
class DrawView:
    """What the API, the live panel and the verifier read. `status` is `open` until the
    result is final (also while the close is being made), then `drawn` or `cancelled`;
    `seed` is None until drawn."""

    distribution_id: int
    voucher_id: int
    session_id: int
    account_id: int
    task: Task
    status: str
    winners: int
    entry_minutes: int
    opened_at: datetime
    closes_at: datetime
    entries: int
    commitment: str
    seed: str | None
    drawn_at: datetime | None
    cancel_reason: str | None
    claims: tuple[ClaimView, ...] = ()  # in draw order
    skipped: tuple[Skipped, ...] = ()
    entrants: tuple[str, ...] | None = None  # sorted by buyer_id; when asked for

    @property
    def winner_ids(self) -> list[str]:
        return [c.buyer_id for c in self.claims]



@dataclass(frozen=True)
class EntryView:
    distribution_id: int
    buyer_id: str
    entered_at: datetime
    created: bool  # False: a repeat, answered with the first entry


@dataclass(frozen=True)
class DrawFigures:
    """Analytics: entries beside claims for one draw distribution."""

    distribution_id: int
    voucher_id: int
    session_id: int
    account_id: int
    status: str
    winners: int
    entries: int
    claims: int
    closes_at: datetime


# --- used inside LiveService's transactions ---------------------------------------------------


async def open_draw(
    session: AsyncSession,
    shop: Shop,
    voucher: Voucher,
    d: Distribution,
    *,
    winners: int,
    entry_minutes: int,
    host: Account | None,
    now: datetime,
) -> Draw:
    """R-draw1/R-draw3: the draw row with its fresh seed; the team gets the commitment."""
    seed = rules.new_seed()
    draw = Draw(
        distribution_id=d.id,  # type: ignore[arg-type]
        shop_id=shop.id,  # type: ignore[arg-type]
        voucher_id=voucher.id,  # type: ignore[arg-type]
        session_id=d.session_id,
        winners=winners,
        entry_minutes=entry_minutes,
        opened_at=now,
        closes_at=now + timedelta(minutes=entry_minutes),
        seed=seed.hex(),
        commitment=rules.commitment_of(seed),
        status=rules.OPEN,
    )
    session.add(draw)
    await session.flush()
    await events.emit(  # R-ev1
        session,
        shop.id,
        events.EventType.DRAW_OPENED,
        events.draw_data(draw),
        now,  # type: ignore[arg-type]
        live_session_id=d.session_id,
    )
    task = Task(TaskType(d.task_type), d.task_minutes)
    await notify(
        session,
        shop,
        event_key=f"draw:{d.id}:opened",
        kind="draw_opened",
        text=draw_opened_text(
            host,
            voucher,
            d.session_id,
            task,
            winners=winners,
            entry_minutes=entry_minutes,
            commitment=draw.commitment,
        ),
        now=now,
    )
    return draw


async def cancel_draw(
    session: AsyncSession,
    shop: Shop,
    d: Distribution,
    now: datetime,
    reason: str,
    by: Account | None,
) -> bool:
    """R-draw2: a draw stopped before its close is cancelled and nobody wins. True when this
    call cancelled one (the caller then says nothing more about the stop)."""
    draw = await dq.cancel_open_draw(session, d.id, now, reason)  # type: ignore[arg-type]
    if draw is None:
        return False
    voucher = await repo.get_voucher(session, shop.id, d.voucher_id)  # type: ignore[arg-type]
    entries = await dq.count_entries(session, d.id)  # type: ignore[arg-type]
    await events.emit(  # R-ev1: the seed is public once the draw is over
        session,
        shop.id,
        events.EventType.DRAW_CANCELLED,  # type: ignore[arg-type]
        events.draw_data(draw, seed=draw.seed, reason=reason, entries=entries),
        now,
        live_session_id=d.session_id,
    )
    await notify(
        session,
        shop,
        event_key=f"draw:{d.id}:cancelled",
        kind="draw_cancelled",
        text=draw_cancelled_text(voucher, reason, by, entries),  # type: ignore[arg-type]
        now=now,
    )
    return True


async def panel_draws(session: AsyncSession, live: LiveSession, now: datetime) -> list[PanelDraw]:
    """The running draws of a live session, for the host's live panel (R-live5, R-draw1)."""
    rows = await repo.active_distributions(session, session_ids=[live.id])  # type: ignore[list-item]
    draws = await dq.draws_of(session, [d.id for d in rows])  # type: ignore[misc]
    running = [d for d in rows if d.id in draws and draws[d.id].status == rules.OPEN]  # type: ignore[index]
    if not running:
        return []
    entries = await dq.entry_counts(session, [d.id for d in running])  # type: ignore[misc]
    vouchers = await repo.vouchers_by_ids(session, [d.voucher_id for d in running])
    return [
        PanelDraw(
            d.id,  # type: ignore[arg-type]
            vouchers[d.voucher_id].name if d.voucher_id in vouchers else "",
            entries.get(d.id, 0),  # type: ignore[arg-type]
            draws[d.id].closes_at,  # type: ignore[index]
        )
        for d in running
    ]


# --- the service ------------------------------------------------------------------------------


@dataclass
class DrawService(Service):
    claims: ClaimService = field(default=None)  # type: ignore[assignment]
    _writer: dq.EntryWriter | None = None
    _reader: dq.EntryContextReader | None = None

    @property
    def writer(self) -> dq.EntryWriter:
        if self._writer is None:
            self._writer = dq.EntryWriter(self.db)
            self.db.on_dispose(self._writer.close)
        return self._writer

    @property
    def reader(self) -> dq.EntryContextReader:
        if self._reader is None:
            self._reader = dq.EntryContextReader(self.db)
            self.db.on_dispose(self._reader.close)
        return self._reader

    # --- entries (R-draw1) -------------------------------------------------------------------

    async def enter(self, shop_id: int, distribution_id: int, buyer_id: str) -> EntryView:
        """One entry per buyer; R-c1's codes in R-c1's order for the voucher, the task and the
        buyer's limit; `draw_closed` once the window closed (or the draw was cancelled)."""
        check_platform_id(buyer_id, "buyer_id")
        now = self.clock.now()
        if self.writer.checks_in_batch:
            # PostgreSQL: the checks run inside the batch that writes the entries, one
            # statement for the whole batch (`_verdict` decides each entry there).
            request = dq.EntryRequest(distribution_id, buyer_id, now, shop_id, _verdict)
            result = await self.writer.enter(request)
            if result.outcome == "task":  # the task needs the claim path's own check
                await self._check_task(shop_id, distribution_id, buyer_id)
                result = await self.writer.enter(
                    dq.EntryRequest(distribution_id, buyer_id, now, shop_id, _verdict_task_met)
                )
        else:
            ctx = await self.reader.read(shop_id, distribution_id, buyer_id)
            verdict = _verdict(ctx, now)
            if verdict.outcome == "task":
                await self._check_task(shop_id, distribution_id, buyer_id)
                verdict = _verdict_task_met(ctx, now)
            result = verdict
            if verdict.outcome == "enter":
                result = await self.writer.enter(dq.EntryRequest(distribution_id, buyer_id, now))
        if result.outcome == "missing":
            raise await self._not_a_draw(shop_id, distribution_id)
        if result.outcome == "refused":
            raise result.error  # type: ignore[misc]
        if result.outcome == "closed":
            raise _closed(result.status or rules.CANCELLED)
        return EntryView(
            distribution_id,
            buyer_id,
            result.entered_at,  # type: ignore[arg-type]
            result.outcome == "entered",
        )

    async def _check_task(self, shop_id: int, distribution_id: int, buyer_id: str) -> None:
        """The claim path's own task check, which says what is missing in its words."""
        async with self.db.read() as session:
            d = await repo.get_distribution(session, shop_id, distribution_id)
            if d is not None:
                await self.claims.check_task(session, shop_id, d, buyer_id)

    async def _not_a_draw(self, shop_id: int, distribution_id: int) -> Exception:
        async with self.db.read() as session:
            d = await repo.get_distribution(session, shop_id, distribution_id)
        if d is None:
            return NotFound(
                f"distribution {distribution_id} not found", code="distribution_not_found"
            )
        return Conflict(
            "This distribution is first come, first served: claim the voucher instead.",
            code="not_a_draw",
        )

    # --- reading ------------------------------------------------------------------------------

    async def get(
        self, actor: Actor, distribution_id: int, *, with_entrants: bool = True
    ) -> DrawView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            draw = await dq.get_draw(session, actor.shop_id, distribution_id)
            if draw is None:
                d = await repo.get_distribution(session, actor.shop_id, distribution_id)
                if d is None:
                    raise NotFound(
                        f"distribution {distribution_id} not found",
                        code="distribution_not_found",
                    )
                raise NotFound("This distribution is not a lucky draw.", code="draw_not_found")
            d = await repo.get_distribution(session, actor.shop_id, distribution_id)
            return await self._view(session, draw, d, with_entrants=with_entrants)  # type: ignore[arg-type]

    async def open_draws(self, actor: Actor, session_id: int | None = None) -> list[DrawView]:
        """The running draws of the shop (or of one session): the live panel's draw lines."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await repo.active_distributions(
                session,
                shop_id=actor.shop_id,
                session_ids=[session_id] if session_id is not None else None,
            )
            draws = await dq.draws_of(session, [d.id for d in rows])  # type: ignore[misc]
            return [
                await self._view(session, draws[d.id], d, with_entrants=False)  # type: ignore[index]
                for d in rows
                if d.id in draws and draws[d.id].status in (rules.OPEN, rules.DRAWING)  # type: ignore[index]
            ]

    async def _view(
        self, session: AsyncSession, draw: Draw, d: Distribution, *, with_entrants: bool
    ) -> DrawView:
        drawn = draw.status == rules.DRAWN
        seed = bytes.fromhex(draw.seed)
        claims: tuple[ClaimView, ...] = ()
        if drawn:
            now = self.clock.now()
            rows = await dq.claims_of_draw(session, draw.distribution_id)
            views = [ClaimView.of(c, now) for c in rows]
            claims = tuple(
                sorted(views, key=lambda c: (rules.ticket(seed, c.buyer_id), c.buyer_id))
            )
        entrant_list: tuple[str, ...] | None = None
        if with_entrants:
            entrant_list = tuple(
                rules.entrants_in_order(await dq.entrants(session, draw.distribution_id))
            )
            entries = len(entrant_list)
        elif drawn:
            entries = draw.entries
        else:
            entries = await dq.count_entries(session, draw.distribution_id)
        skipped = tuple(Skipped(**s) for s in json.loads(draw.skipped or "[]"))
        return DrawView(
            distribution_id=draw.distribution_id,
            voucher_id=draw.voucher_id,
            session_id=draw.session_id,
            account_id=d.account_id,
            task=Task(TaskType(d.task_type), d.task_minutes),
            status=rules.OPEN if draw.status == rules.DRAWING else draw.status,
            winners=draw.winners,
            entry_minutes=draw.entry_minutes,
            opened_at=draw.opened_at,
            closes_at=draw.closes_at,
            entries=entries,
            commitment=draw.commitment,
            seed=draw.seed if drawn else None,
            drawn_at=draw.drawn_at if draw.status in (rules.DRAWN, rules.CANCELLED) else None,
            cancel_reason=draw.cancel_reason,
            claims=claims,
            skipped=skipped,
            entrants=entrant_list,
        )

    async def figures(
        self,
        actor: Actor,
        *,
        session_id: int | None = None,
        voucher_id: int | None = None,
        limit: int = 200,
        after_id: int | None = None,
    ) -> list[DrawFigures]:
        """Analytics: entries beside claims for draw distributions, per session or voucher."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await dq.draw_figures(
                session,
                actor.shop_id,
                session_id=session_id,
                voucher_id=voucher_id,
                limit=limit,
                after_id=after_id,
            )
        return [
            DrawFigures(
                distribution_id=r["draw"].distribution_id,
                voucher_id=r["draw"].voucher_id,
                session_id=r["draw"].session_id,
                account_id=r["account_id"],
                status=rules.OPEN if r["draw"].status == rules.DRAWING else r["draw"].status,
                winners=r["draw"].winners,
                entries=r["entries"],
                claims=r["claims"],
                closes_at=r["draw"].closes_at,
            )
            for r in rows
        ]

    # --- the close (R-draw2), scheduled (R-s2) ---------------------------------------------------

    async def pending_events(self) -> list[DrawEvent]:
        async with self.db.read() as session:
            rows = await dq.draws_owing_a_close(session)
        return [
            DrawEvent(
                max(d.closes_at, d.lease_until) if d.lease_until else d.closes_at,
                d.distribution_id,
                d.shop_id,
            )
            for d in rows
        ]

    async def apply(self, event: DrawEvent) -> bool:
        return await self.close(event.distribution_id)

    async def close(self, distribution_id: int) -> bool:
        """Makes the draw if its window closed and nobody made it; True when this call did."""
        now = self.clock.now()
        async with self.db.write() as session:
            before = await dq.draw_of(session, distribution_id)
            resumed = before is not None and before.status == rules.DRAWING
            draw = await dq.begin_draw(session, distribution_id, now, now + DRAW_LEASE)
            if draw is None:
                return False
            d = await session.get(Distribution, distribution_id)
        async with self.db.read() as session:
            entrants = await dq.entrants(session, distribution_id)
        order = rules.draw_order(bytes.fromhex(draw.seed), entrants)
        claims, skipped = await self._award_in_order(draw, d, order, resumed)  # type: ignore[arg-type]
        done = self.clock.now()
        async with self.db.write() as session:
            finished = await dq.finish_draw(
                session,
                distribution_id,
                done,
                entries=len(order),
                claims_made=len(claims),
                skipped=json.dumps([{"buyer_id": s.buyer_id, "reason": s.reason} for s in skipped]),
            )
            if not finished:
                return False
            # The draw row's status is what makes the close once; the ledger records it too,
            # beside the vouchers' effects (R-s2).
            await repo.record_effect(session, f"draw:{distribution_id}:closed", done)
            await dq.link_claims(session, draw.shop_id, distribution_id, [c.id for c in claims])
            await repo.stop_distribution(session, distribution_id, done, "drawn")
            shop = await self._shop(session, draw.shop_id)
            voucher = await repo.get_voucher(session, draw.shop_id, draw.voucher_id)
            text = result_text(voucher, draw, len(order), len(claims), skipped)  # type: ignore[arg-type]
            await events.emit(  # R-ev1
                session,
                draw.shop_id,
                events.EventType.DRAW_CLOSED,
                events.draw_data(
                    draw,
                    seed=draw.seed,
                    entries=len(order),
                    claims=len(claims),
                    winners_awarded=[{"buyer_id": c.buyer_id, "claim_id": c.id} for c in claims],
                    passed_over=[{"buyer_id": s.buyer_id, "reason": s.reason} for s in skipped],
                ),
                done,
                live_session_id=draw.session_id,
            )
            await notify(
                session,
                shop,
                event_key=f"draw:{distribution_id}:drawn",
                kind="draw_result",
                text=text,
                now=done,
            )
            # The host who ran it hears the result in their own chat too (R-draw3).
            host = await repo.get_account(session, draw.shop_id, d.account_id)  # type: ignore[union-attr]
            if host is not None and host.telegram_user_id is not None and host.unlinked_at is None:
                await notify_person(
                    session,
                    shop,
                    host.telegram_user_id,
                    event_key=f"draw:{distribution_id}:drawn:host",
                    kind="draw_result_host",
                    text=text,
                    now=done,
                )
        return True

    async def _award_in_order(
        self, draw: Draw, d: Distribution, order: list[str], resumed: bool
    ) -> tuple[list[ClaimView], list[Skipped]]:
        """Claims for the winners in draw order, passing over the refused ones (R-draw2)."""
        claims: list[ClaimView] = []
        skipped: list[Skipped] = []
        pos = 0
        while len(claims) < draw.winners and pos < len(order):
            async with self.db.read() as session:
                voucher = await session.get(Voucher, draw.voucher_id)
            remaining = voucher.total_quantity - voucher.claimed if voucher else 0
            # Never more at once than the quota left, so the order decides who gets the last
            # units even if it ran out meanwhile (nobody else can claim through a draw).
            size = min(draw.winners - len(claims), max(remaining, 1))
            batch = order[pos : pos + size]
            pos += len(batch)
            results = await asyncio.gather(*(self._award(draw, d, b, resumed) for b in batch))
            stop = False
            for buyer, result in zip(batch, results, strict=True):
                if isinstance(result, ClaimView):
                    claims.append(result)
                else:
                    skipped.append(Skipped(buyer, result))
                    stop = stop or result in ("sold_out", "not_claimable", "voucher_not_found")
            if stop:  # the voucher can give nobody a claim any more
                break
        return claims, skipped

    async def _award(
        self, draw: Draw, d: Distribution, buyer_id: str, resumed: bool
    ) -> ClaimView | str:
        try:
            return await self.claims.award(
                draw.shop_id,
                draw.voucher_id,
                buyer_id,
                session_id=d.session_id,
                account_id=d.account_id,
                idempotency_key=idempotency_key(draw.distribution_id, buyer_id),
                replay=resumed,  # only a resumed draw can have given claims already
            )
        except (ClaimRefused, Conflict) as refusal:
            return refusal.code


def _verdict(ctx: dq.EntryContext | None, now: datetime, task_met: bool = False) -> dq.EntryResult:
    """R-draw1: what an entry gets, from everything it is checked against, in R-c1's order:
    the voucher (not_claimable), a repeat (the first entry, whatever changed since), the
    window (draw_closed), the task (`task`: the claim path's check decides), the limit."""
    if ctx is None:
        return dq.EntryResult("missing")
    status = status_of(ctx.starts_at, ctx.ends_at, ctx.deactivated_at, now)
    if status != Status.ONGOING:
        return dq.EntryResult(
            "refused",
            error=ClaimRefused(
                f"This voucher is {status.value}.", code="not_claimable", status=status.value
            ),
        )
    if ctx.entered_at is not None:
        return dq.EntryResult("repeat", ctx.entered_at)
    if ctx.status != rules.OPEN or ctx.stopped_at is not None or now >= ctx.closes_at:
        return dq.EntryResult("closed", status=ctx.status)
    watch_met = ctx.task_type == TaskType.WATCH and not missing_watch_seconds(
        ctx.task_minutes or 0, ctx.watched_seconds
    )
    if not task_met and ctx.task_type != TaskType.NONE and not watch_met:
        return dq.EntryResult("task")
    if ctx.buyer_claims >= ctx.per_customer_limit:
        limit = ctx.per_customer_limit
        times = "once" if limit == 1 else f"{limit} times"
        return dq.EntryResult(
            "refused",
            error=ClaimRefused(
                f"You have already claimed this voucher {times}.",
                code="limit_reached",
                limit=limit,
            ),
        )
    return dq.EntryResult("enter")


def _verdict_task_met(ctx: dq.EntryContext | None, now: datetime) -> dq.EntryResult:
    return _verdict(ctx, now, task_met=True)


def _closed(status: str) -> ClaimRefused:
    shown = rules.OPEN if status == rules.DRAWING else status
    text = {
        rules.CANCELLED: "This lucky draw was cancelled.",
        rules.DRAWN: "This lucky draw is over.",
    }.get(status, "Entries to this lucky draw have closed.")
    return ClaimRefused(text, code="draw_closed", status=shown)


def result_text(
    voucher: Voucher, draw: Draw, entries: int, claims: int, skipped: list[Skipped]
) -> Message:
    """The team's message at the close: entries, winners and claims made (R-draw3)."""
    reasons = {s.reason for s in skipped}
    return draw_result_text(
        voucher,
        DrawOutcome(
            session_id=draw.session_id,
            prizes=draw.winners,
            entries=entries,
            claims=claims,
            over_limit=sum(1 for s in skipped if s.reason == "limit_reached"),
            sold_out="sold_out" in reasons,
            not_claimable="not_claimable" in reasons,
            seed=draw.seed,
        ),
    )
