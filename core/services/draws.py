"""Lucky draws (R-draw1–R-draw5): entries, the verifiable draw at the close, cancellation.

A draw is a distribution in `draw` mode with a `Draw` row beside it. Life of a draw:

- **open** (`LiveService.issue` calls `open_draw` in its transaction): a fresh 32-byte seed is
  stored, `sha256(seed)` is published, the team is told. Viewers who meet the task enter.
- **cancelled**: the distribution stops before the close (host, session end, deactivation,
  end of the claim period; `cancel_draw` from `stop_distribution_row`): nobody wins.
- **drawn**: at `closes_at` the scheduler calls `close`, once (R-s2). With a beacon (R-draw4)
  the close is due at the drand round's time (3–6 s after `closes_at`; entries are refused from
  `closes_at` on); `close` first fetches and verifies the round, and while no mirror answers it
  retries every 5 s (the team is told once) for up to 10 minutes, then draws from the seed
  alone (`beacon_status` = missing). Then:
  1. one transaction takes the draw (`open` → `drawing` with a lease): from then on the entrant
     set is frozen (see `storage.draw_queries`);
  2. the winners are walked in draw order (`core.rules.draws.draw_order`); each gets a claim
     through `ClaimService.award`, the claim store's path, so R-c1's status, limit and quota
     checks hold under its row locks. A winner refused (at the limit) is passed over for the
     next in order; when the voucher can give no more (sold out, not claimable), the walk stops.
     Each claim carries the service's key `draw:<distribution id>:<buyer id>` (in the
     service's own key space, R-draw5: no client can pre-use it), so a draw
     resumed after a crash (its lease ran out) gives nobody a second claim;
  3. one transaction finishes it (`drawing` → `drawn`, conditional, so only once): result,
     claims linked to the distribution, the distribution stopped, the team told.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.errors import ClaimRefused, Conflict, NotFound
from core.ids import check_platform_id, row_id
from core.notifications import (
    draw_beacon_wait_text,
    notify,
    notify_person,
)
from core.refusal_codes import LiveCode
from core.rules import drand
from core.rules import draws as rules
from core.rules.draws import DrawCode
from core.rules.live import Task, TaskType
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.services.beacon import BeaconFetcher, fetch_verified
from core.services.claims import ClaimService
from core.services.draw_life import (
    BEACON_PENDING,
    BEACON_VERIFIED,
    beacon_of,
    closed,
    due_at,
    entry_verdict,
    entry_verdict_task_met,
    idempotency_key,
    panel_draws,
    result_text,
)
from core.services.draw_opening import cancel_draw as cancel_draw
from core.services.draw_opening import open_draw as open_draw
from core.services.draw_views import (
    BeaconPlan,
    CancelledDraw,
    DrawEvent,
    DrawFigures,
    DrawView,
    EntryView,
    Skipped,
)
from core.views import ClaimView
from storage import draw_queries as dq
from storage import repositories as repo
from storage.models import Distribution, Draw, Voucher

__all__ = [
    "DrawEvent",
    "DrawFigures",
    "DrawService",
    "DrawView",
    "EntryView",
    "Skipped",
    "cancel_draw",
    "idempotency_key",
    "open_draw",
    "panel_draws",
]

log = logging.getLogger(__name__)

# How long one process may take to make a draw before another may resume it.
DRAW_LEASE = timedelta(seconds=60)


@dataclass
class DrawService(Service):
    claims: ClaimService
    beacon: BeaconFetcher | None = None  # R-draw4: the drand mirrors; None: DRAND_URLS=off
    verify_base: str | None = None  # PUBLIC_BASE_URL, for the links to /verify
    # The entries' writer and reader: built and closed by whoever built the services
    # (`core.services.resources.Resources`), never by the service.
    writer: dq.EntryWriter = field(kw_only=True)
    reader: dq.EntryContextReader = field(kw_only=True)

    # --- entries (R-draw1) -------------------------------------------------------------------

    async def enter(self, shop_id: int, distribution_id: int, buyer_id: str) -> EntryView:
        """One entry per buyer; R-c1's codes in R-c1's order for the voucher, the task and the
        buyer's limit; `draw_closed` once the window closed (or the draw was cancelled)."""
        check_platform_id(buyer_id, "buyer_id")
        now = self.clock.now()
        # Core decides from what was read before the write; the writer's transaction only
        # checks the draw is still open (storage never calls core inside a transaction).
        ctx = await self.reader.read(shop_id, distribution_id, buyer_id)
        result = entry_verdict(ctx, now)
        if result.outcome == dq.EntryOutcome.TASK:  # the task needs the claim path's check
            await self._check_task(shop_id, distribution_id, buyer_id)
            result = entry_verdict_task_met(ctx, now)
        if result.outcome == dq.EntryOutcome.ENTER:
            result = await self.writer.enter(dq.EntryRequest(distribution_id, buyer_id, now))
        if result.outcome == dq.EntryOutcome.MISSING:
            raise await self._not_a_draw(shop_id, distribution_id)
        if result.outcome == dq.EntryOutcome.REFUSED and result.error is not None:
            raise result.error
        if result.outcome == dq.EntryOutcome.CLOSED:
            raise closed(result.status or rules.CANCELLED)
        assert result.entered_at is not None, "an entry, new or repeated, carries its time"
        return EntryView(
            distribution_id,
            buyer_id,
            result.entered_at,
            result.outcome == dq.EntryOutcome.ENTERED,
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
                f"distribution {distribution_id} not found", code=LiveCode.DISTRIBUTION_NOT_FOUND
            )
        return Conflict(
            "This distribution is first come, first served: claim the voucher instead.",
            code=DrawCode.NOT_A_DRAW,
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
                        code=LiveCode.DISTRIBUTION_NOT_FOUND,
                    )
                raise NotFound(
                    "This distribution is not a lucky draw.", code=DrawCode.DRAW_NOT_FOUND
                )
            d = await repo.get_distribution(session, actor.shop_id, distribution_id)
            assert d is not None, "a draw's distribution is never deleted"
            return await self._view(session, draw, d, with_entrants=with_entrants)

    async def open_draws(self, actor: Actor, session_id: int | None = None) -> list[DrawView]:
        """The running draws of the shop (or of one session): the live panel's draw lines."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            rows = await repo.active_distributions(
                session,
                shop_id=actor.shop_id,
                session_ids=[session_id] if session_id is not None else None,
            )
            by_id = {row_id(d): d for d in rows}
            draws = await dq.draws_of(session, by_id)
            return [
                await self._view(session, draws[i], d, with_entrants=False)
                for i, d in by_id.items()
                if i in draws and draws[i].status in (rules.OPEN, rules.DRAWING)
            ]

    async def _view(
        self, session: AsyncSession, draw: Draw, d: Distribution, *, with_entrants: bool
    ) -> DrawView:
        drawn = draw.status == rules.DRAWN
        beacon = beacon_of(draw) if drawn else None
        key = drand.draw_key(bytes.fromhex(draw.seed), beacon.randomness if beacon else None)
        claims: tuple[ClaimView, ...] = ()
        if drawn:
            now = self.clock.now()
            rows = await dq.claims_of_draw(session, draw.distribution_id)
            views = [ClaimView.of(c, now) for c in rows]
            claims = tuple(sorted(views, key=lambda c: (rules.ticket(key, c.buyer_id), c.buyer_id)))
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
        earlier = await dq.cancelled_draws_before(session, draw)
        counts = await dq.entry_counts(session, [c.distribution_id for c in earlier])
        plan = None
        if draw.beacon_round is not None:
            plan = BeaconPlan(
                draw.beacon_chain or drand.CHAIN_HASH,
                draw.beacon_round,
                drand.round_time(draw.beacon_round),
            )
        revealed = draw.status in (rules.DRAWN, rules.CANCELLED)
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
            seed=draw.seed if revealed else None,
            drawn_at=draw.drawn_at if revealed else None,
            cancel_reason=draw.cancel_reason,
            claims=claims,
            skipped=skipped,
            entrants=entrant_list,
            beacon_plan=plan,
            beacon=beacon,
            waiting_for_beacon=draw.beacon_retry_at is not None and not revealed,
            cancelled_earlier=tuple(
                CancelledDraw(
                    distribution_id=c.distribution_id,
                    voucher_id=c.voucher_id,
                    opened_at=c.opened_at,
                    cancelled_at=c.drawn_at,
                    cancel_reason=c.cancel_reason,
                    commitment=c.commitment,
                    seed=c.seed,
                    entries=counts.get(c.distribution_id, 0),
                )
                for c in earlier
            ),
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
        return [DrawEvent(due_at(d), d.distribution_id, d.shop_id) for d in rows]

    async def apply(self, event: DrawEvent) -> bool:
        return await self.close(event.distribution_id)

    async def close(self, distribution_id: int) -> bool:
        """Makes the draw if its window closed and nobody made it; True when this call did."""
        now = self.clock.now()
        if not await self._settle_beacon(distribution_id, now):
            return False  # the round is awaited: the next try is `beacon_retry_at`
        async with self.db.write() as session:
            before = await dq.draw_of(session, distribution_id)
            resumed = before is not None and before.status == rules.DRAWING
            draw = await dq.begin_draw(session, distribution_id, now, now + DRAW_LEASE)
            if draw is None:
                return False
            d = await session.get(Distribution, distribution_id)
        assert d is not None, "a draw's distribution is never deleted"
        async with self.db.read() as session:
            entrants = await dq.entrants(session, distribution_id)
        randomness = draw.beacon_randomness if draw.beacon_status == BEACON_VERIFIED else None
        order = rules.draw_order(drand.draw_key(bytes.fromhex(draw.seed), randomness), entrants)
        claims, skipped = await self._award_in_order(draw, d, order, resumed)
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
            assert voucher is not None, "vouchers are never deleted"
            text = result_text(
                voucher,
                draw,
                len(order),
                len(claims),
                skipped,
                rules.verify_url(self.verify_base, distribution_id, draw.commitment),
            )
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
            host = await repo.get_account(session, draw.shop_id, d.account_id)
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

    async def _settle_beacon(self, distribution_id: int, now: datetime) -> bool:
        """R-draw4: True when the close may go on — the draw's round is fetched and verified,
        or it has none, or it was awaited for 10 minutes (then the draw is made from the seed
        alone). False while the round is awaited: the next try is due in 5 s, and the team
        hears once that the draw waits."""
        async with self.db.read() as session:
            draw = await dq.draw_of(session, distribution_id)
        if (
            draw is None
            or draw.beacon_status != BEACON_PENDING
            or draw.beacon_round is None
            or draw.status not in (rules.OPEN, rules.DRAWING)
            or now < draw.closes_at
        ):
            return True  # nothing to fetch: begin_draw decides
        if now < drand.round_time(draw.beacon_round):
            return False  # not published yet (the event is due at the round's time)
        found = None
        if self.beacon is not None:
            try:
                found = await fetch_verified(self.beacon, draw.beacon_round)
            except Exception:  # a fetcher's failure is a mirror that did not answer
                log.exception("drand round %d: fetch failed", draw.beacon_round)
        gave_up = self.beacon is None or now >= drand.round_time(draw.beacon_round) + (
            drand.WAIT_AT_MOST
        )
        async with self.db.write() as session:
            if found is not None:
                await dq.record_beacon(session, distribution_id, found.signature, found.randomness)
                return True
            if gave_up:
                await dq.give_up_beacon(session, distribution_id)
                return True
            await dq.retry_beacon_at(session, distribution_id, now + drand.RETRY_EVERY)
            if draw.beacon_retry_at is None:  # the first miss: the team hears it once
                shop = await self._shop(session, draw.shop_id)
                voucher = await repo.get_voucher(session, draw.shop_id, draw.voucher_id)
                assert voucher is not None, "vouchers are never deleted"
                await notify(
                    session,
                    shop,
                    event_key=f"draw:{distribution_id}:beacon_wait",
                    kind="draw_beacon_wait",
                    text=draw_beacon_wait_text(voucher, draw.session_id),
                    now=now,
                )
        return False

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
                elif not stop:  # the walk ends at the first sold_out / not_claimable
                    skipped.append(Skipped(buyer, result))
                    stop = result in rules.ENDING_REASONS
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
