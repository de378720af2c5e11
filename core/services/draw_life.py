"""The pure parts of a lucky draw's life (R-draw1–R-draw5), beside core/services/draws.py:
the service's own idempotency key of a winner's claim, the running draws on the host's live
panel, what an entry gets (`verdict`), when a close is due (`due_at`), the verified beacon of
a draw row, and the team's result message."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ClaimRefused
from core.ids import row_id
from core.notifications import DrawOutcome, Message, draw_result_text
from core.rules import drand
from core.rules import draws as rules
from core.rules.claim_outcomes import RefusalCode
from core.rules.live import TaskType, missing_watch_seconds
from core.rules.vouchers import Status, status_of
from core.services.claims import service_key
from core.services.draw_views import Skipped
from core.services.live_panel import PanelDraw
from storage import draw_queries as dq
from storage import repositories as repo
from storage.models import Draw, LiveSession, Voucher

BEACON_PENDING = rules.BeaconStatus.PENDING
BEACON_VERIFIED = rules.BeaconStatus.VERIFIED
BEACON_MISSING = rules.BeaconStatus.MISSING
# Mirrors publish a round a moment after its time: the first fetch waits this long.
BEACON_LAG = timedelta(seconds=1)


def idempotency_key(distribution_id: int, buyer_id: str) -> str:
    """A winner's claim key, in the service's own key space (R-draw5): no client's
    Idempotency-Key can take it before the close."""
    return service_key(f"draw:{distribution_id}:{buyer_id}")


async def panel_draws(session: AsyncSession, live: LiveSession, now: datetime) -> list[PanelDraw]:
    """The running draws of a live session, for the host's live panel (R-live5, R-draw1)."""
    rows = await repo.active_distributions(session, session_ids=[row_id(live)])
    by_id = {row_id(d): d for d in rows}
    draws = await dq.draws_of(session, by_id)
    running = {i: d for i, d in by_id.items() if i in draws and draws[i].status == rules.OPEN}
    if not running:
        return []
    entries = await dq.entry_counts(session, running)
    vouchers = await repo.vouchers_by_ids(session, [d.voucher_id for d in running.values()])
    return [
        PanelDraw(
            i,
            vouchers[d.voucher_id].name if d.voucher_id in vouchers else "",
            entries.get(i, 0),
            draws[i].closes_at,
            rules.fingerprint(draws[i].commitment),
            draws[i].beacon_retry_at is not None,
        )
        for i, d in running.items()
    ]


def entry_verdict(
    ctx: dq.EntryContext | None, now: datetime, task_met: bool = False
) -> dq.EntryResult:
    """R-draw1: what an entry gets, from everything it is checked against, in R-c1's order:
    the voucher (not_claimable), a repeat (the first entry, whatever changed since), the
    window (draw_closed), the task (`task`: the claim path's check decides), the limit."""
    if ctx is None:
        return dq.EntryResult(dq.EntryOutcome.MISSING)
    status = status_of(ctx.starts_at, ctx.ends_at, ctx.deactivated_at, now)
    if status != Status.ONGOING:
        return dq.EntryResult(
            dq.EntryOutcome.REFUSED,
            error=ClaimRefused(
                f"This voucher is {status.value}.",
                code=RefusalCode.NOT_CLAIMABLE,
                status=status.value,
            ),
        )
    if ctx.entered_at is not None:
        return dq.EntryResult(dq.EntryOutcome.REPEAT, ctx.entered_at)
    if ctx.status != rules.OPEN or ctx.stopped_at is not None or now >= ctx.closes_at:
        return dq.EntryResult(dq.EntryOutcome.CLOSED, status=ctx.status)
    watch_met = ctx.task_type == TaskType.WATCH and not missing_watch_seconds(
        ctx.task_minutes or 0, ctx.watched_seconds
    )
    if not task_met and ctx.task_type != TaskType.NONE and not watch_met:
        return dq.EntryResult(dq.EntryOutcome.TASK)
    if ctx.buyer_claims >= ctx.per_customer_limit:
        limit = ctx.per_customer_limit
        times = "once" if limit == 1 else f"{limit} times"
        return dq.EntryResult(
            dq.EntryOutcome.REFUSED,
            error=ClaimRefused(
                f"You have already claimed this voucher {times}.",
                code=RefusalCode.LIMIT_REACHED,
                limit=limit,
            ),
        )
    return dq.EntryResult(dq.EntryOutcome.ENTER)


def entry_verdict_task_met(ctx: dq.EntryContext | None, now: datetime) -> dq.EntryResult:
    return entry_verdict(ctx, now, task_met=True)


def closed(status: str) -> ClaimRefused:
    shown = rules.OPEN if status == rules.DRAWING else status
    text = {
        rules.CANCELLED: "This lucky draw was cancelled.",
        rules.DRAWN: "This lucky draw is over.",
    }.get(status, "Entries to this lucky draw have closed.")
    # The draw's status, named for what it is (a voucher's `status` is `voucher_status`).
    return ClaimRefused(text, code=rules.DrawCode.DRAW_CLOSED, draw_status=shown)


def due_at(d: Draw) -> datetime:
    """When the close of `d` is next due (R-s2, R-draw4)."""
    at = d.closes_at
    if d.beacon_status == BEACON_PENDING and d.beacon_round is not None:
        at = max(at, drand.round_time(d.beacon_round) + BEACON_LAG)
    for later in (d.beacon_retry_at, d.lease_until):
        if later is not None:
            at = max(at, later)
    return at


def beacon_of(draw: Draw) -> drand.BeaconRound | None:
    if draw.beacon_status != BEACON_VERIFIED or draw.beacon_round is None:
        return None
    return drand.BeaconRound(
        draw.beacon_chain or drand.CHAIN_HASH,
        draw.beacon_round,
        draw.beacon_signature or "",
        draw.beacon_randomness or "",
    )


def result_text(
    voucher: Voucher,
    draw: Draw,
    entries: int,
    claims: int,
    skipped: list[Skipped],
    verify_url: str | None = None,
) -> Message:
    """The team's message at the close: entries, winners and claims made (R-draw3), what
    decided it (R-draw4) and where to check it."""
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
            fingerprint=rules.fingerprint(draw.commitment),
            beacon=draw.beacon_status == BEACON_VERIFIED,
            beacon_missing=draw.beacon_status == BEACON_MISSING,
            verify_url=verify_url,
        ),
    )
