"""Lucky draws (R-draw1–R-draw3): entries, the draw and its proof, entries beside claims."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from aiohttp import web
from pydantic import Field

from bot.http.inputs import DistributionPath, DrawFiguresQuery, DrawQuery, EntryIn
from bot.http.outputs import NEXT_CURSOR, ClaimOut, Out, TaskOut, claim_out
from bot.http.rate_limits import RateClass
from bot.http.routing import Call, Reply, Route, decode_cursor, page
from core.services.draws import DrawFigures, DrawView, EntryView


class EntryOut(Out):
    distribution_id: int
    buyer_id: str
    entered_at: datetime


class SkippedOut(Out):
    buyer_id: str
    reason: str = Field(
        description="`limit_reached`, `sold_out` or `not_claimable` (the walk stops at the "
        "last two)"
    )


class BeaconRoundOut(Out):
    chain_hash: str = Field(description="drand quicknet's chain hash")
    round: int = Field(description="the first round at least 3 s after closes_at")
    time: datetime = Field(description="the round's time: genesis + (round − 1) × 3 s")


class BeaconOut(Out):
    chain_hash: str
    round: int
    signature: str = Field(description="hex BLS signature (G1) of sha256(round, 8 bytes BE)")
    randomness: str = Field(description="hex sha256(signature)")


class CancelledDrawOut(Out):
    distribution_id: int
    voucher_id: int
    opened_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    commitment: str
    seed: str = Field(description="revealed at the cancellation (R-draw5)")
    entries: int


class DrawOut(Out):
    distribution_id: int
    voucher_id: int
    session_id: int
    account_id: int
    task: TaskOut
    status: Literal["open", "drawn", "cancelled"]
    opened_at: datetime
    closes_at: datetime
    entries: int = Field(description="number of entrants")
    winners: int = Field(description="prizes: claims the draw gives at most")
    commitment: str = Field(description="hex sha256(seed), published when the draw opened")
    seed: str | None = Field(
        description="hex 32-byte seed, revealed when drawn or cancelled; null before"
    )
    beacon_round: BeaconRoundOut | None = Field(
        description="the drand round fixed at open (R-draw4); null: a seed-only draw"
    )
    beacon: BeaconOut | None = Field(
        description="the verified round the order is keyed with; null until drawn, and for a "
        "draw made from the seed alone"
    )
    waiting_for_beacon: bool = Field(description="entries closed; the drand round is awaited")
    cancelled_draws: list[CancelledDrawOut] = Field(
        description="draws of the same live session cancelled before this one opened (R-draw5)"
    )
    drawn_at: datetime | None
    cancel_reason: str | None
    claims: list[ClaimOut] = Field(description="the winners' claims, in draw order")
    winner_ids: list[str] = Field(description="the winners' buyer ids, in draw order")
    skipped: list[SkippedOut] = Field(
        description="entrants drawn before the last winner who got no claim, and why"
    )
    entrants: list[str] | None = Field(
        description="every entrant's buyer_id, sorted (what the draw order is computed from)"
    )


class DrawFiguresOut(Out):
    distribution_id: int
    voucher_id: int
    session_id: int
    account_id: int
    status: Literal["open", "drawn", "cancelled"]
    winners: int
    entries: int
    claims: int
    closes_at: datetime


class DrawFiguresPage(Out):
    items: list[DrawFiguresOut]
    next_cursor: str | None = NEXT_CURSOR


VERIFY_PAGE = Path(__file__).with_name("static") / "verify.html"


async def verify_page(request: web.Request) -> web.StreamResponse:
    """The third-party verifier (R-draw5): one static page, the same for everyone."""
    return web.Response(
        body=VERIFY_PAGE.read_bytes(),
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def entry_out(e: EntryView) -> EntryOut:
    return EntryOut(distribution_id=e.distribution_id, buyer_id=e.buyer_id, entered_at=e.entered_at)


def draw_out(v: DrawView) -> DrawOut:
    return DrawOut(
        distribution_id=v.distribution_id,
        voucher_id=v.voucher_id,
        session_id=v.session_id,
        account_id=v.account_id,
        task=TaskOut.of(v.task),
        status=v.status,
        opened_at=v.opened_at,
        closes_at=v.closes_at,
        entries=v.entries,
        winners=v.winners,
        commitment=v.commitment,
        seed=v.seed,
        drawn_at=v.drawn_at,
        cancel_reason=v.cancel_reason,
        claims=[claim_out(c) for c in v.claims],
        winner_ids=v.winner_ids,
        skipped=[SkippedOut(buyer_id=s.buyer_id, reason=s.reason) for s in v.skipped],
        entrants=list(v.entrants) if v.entrants is not None else None,
        beacon_round=(
            BeaconRoundOut(
                chain_hash=v.beacon_plan.chain_hash,
                round=v.beacon_plan.round,
                time=v.beacon_plan.at,
            )
            if v.beacon_plan
            else None
        ),
        beacon=(
            BeaconOut(
                chain_hash=v.beacon.chain_hash,
                round=v.beacon.round,
                signature=v.beacon.signature,
                randomness=v.beacon.randomness,
            )
            if v.beacon
            else None
        ),
        waiting_for_beacon=v.waiting_for_beacon,
        cancelled_draws=[
            CancelledDrawOut(
                distribution_id=c.distribution_id,
                voucher_id=c.voucher_id,
                opened_at=c.opened_at,
                cancelled_at=c.cancelled_at,
                cancel_reason=c.cancel_reason,
                commitment=c.commitment,
                seed=c.seed,
                entries=c.entries,
            )
            for c in v.cancelled_earlier
        ],
    )


def figures_out(f: DrawFigures) -> DrawFiguresOut:
    return DrawFiguresOut(
        distribution_id=f.distribution_id,
        voucher_id=f.voucher_id,
        session_id=f.session_id,
        account_id=f.account_id,
        status=f.status,
        winners=f.winners,
        entries=f.entries,
        claims=f.claims,
        closes_at=f.closes_at,
    )


async def enter_draw(call: Call[EntryIn, None, DistributionPath]) -> Reply:
    entry = await call.services.draws.enter(
        call.actor.shop_id, call.path.distribution_id, call.body.buyer_id
    )
    return Reply(entry_out(entry), 201 if entry.created else 200)


async def get_draw(call: Call[None, DrawQuery, DistributionPath]) -> DrawOut:
    view = await call.services.draws.get(
        call.actor, call.path.distribution_id, with_entrants=call.query.entrants
    )
    return draw_out(view)


async def draw_figures(call: Call[None, DrawFiguresQuery, None]) -> Out:
    q = call.query
    rows = await call.services.draws.figures(
        call.actor,
        session_id=q.session_id,
        voucher_id=q.voucher_id,
        limit=q.limit + 1,
        after_id=decode_cursor(q.cursor),
    )
    items, cursor = page(rows, q.limit, lambda f: f.distribution_id)
    return DrawFiguresPage(items=[figures_out(f) for f in items], next_cursor=cursor)


ROUTES = [
    Route(
        "POST",
        "/v1/distributions/{distribution_id}/entries",
        "Enter a viewer in a lucky draw",
        "draws",
        enter_draw,
        params=DistributionPath,
        body=EntryIn,
        response=EntryOut,
        status=201,
        problems=(409,),
        description="R-draw1: one entry per buyer (201; a repeat answers the first entry with "
        "200). Refusals are 409 problems with R-c1's codes in R-c1's order: `not_claimable` "
        "(with `voucher_status`), `draw_closed` (the window closed or the draw was cancelled, "
        "with `draw_status`), `task_not_met`, `limit_reached`; `not_a_draw` for a first-come "
        "distribution; an unknown distribution is a 404 `distribution_not_found`.",
        idempotent=True,
        rate=RateClass.VIEWERS,
    ),
    Route(
        "GET",
        "/v1/distributions/{distribution_id}/draw",
        "A lucky draw: entries, commitment, seed and winners' claims",
        "draws",
        get_draw,
        params=DistributionPath,
        query=DrawQuery,
        response=DrawOut,
        description="R-draw3–R-draw5: `seed` is null until drawn or cancelled; sha256(seed) "
        "equals `commitment`; `beacon_round` is the drand quicknet round fixed at open and "
        "`beacon` the verified round once drawn (null: drawn from the seed alone); the winners "
        "follow from `seed`, `beacon` and `entrants`; `cancelled_draws` lists the session's "
        "draws cancelled before this one opened (docs/draws.md; `voucherbot verify-draw` and "
        "the /verify page recompute them).",
    ),
    Route(
        "GET",
        "/verify",
        "A page that checks a lucky draw in the browser",
        "draws",
        raw=verify_page,
        auth=False,
        media_type="text/html",
        description="R-draw5: static HTML and JavaScript (Web Crypto, no external resources) "
        "that recomputes a draw from its pasted document; `?commitment=` fills in the "
        "commitment seen at open.",
    ),
    Route(
        "GET",
        "/v1/analytics/draws",
        "Entries beside claims for lucky draws",
        "analytics",
        draw_figures,
        query=DrawFiguresQuery,
        response=DrawFiguresPage,
        description="Per draw distribution, optionally of one live session or one voucher.",
    ),
]
