"""Lucky draws (R-draw1–R-draw3): entries, the draw and its proof, entries beside claims."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from bot.http.inputs import DistributionPath, DrawFiguresQuery, DrawQuery, EntryIn
from bot.http.outputs import ClaimOut, Out, TaskOut, _page, claim_out
from bot.http.rate_limits import RateClass
from bot.http.routing import Call, Reply, Route, decode_cursor, page
from core.services.draws import DrawFigures, DrawView, EntryView


class EntryOut(Out):
    distribution_id: int
    buyer_id: str
    entered_at: datetime


class SkippedOut(Out):
    buyer_id: str
    reason: str = Field(description="R-c1's code: `limit_reached`, `sold_out`, …")


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
    seed: str | None = Field(description="hex 32-byte seed, revealed when drawn; null before")
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


DrawFiguresPage = _page(DrawFiguresOut, "DrawFiguresPage")


def entry_out(e: EntryView) -> EntryOut:
    return EntryOut(distribution_id=e.distribution_id, buyer_id=e.buyer_id, entered_at=e.entered_at)


def draw_out(v: DrawView) -> DrawOut:
    return DrawOut(
        distribution_id=v.distribution_id,
        voucher_id=v.voucher_id,
        session_id=v.session_id,
        account_id=v.account_id,
        task=TaskOut.of(v.task),
        status=v.status,  # type: ignore[arg-type]
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
    )


def figures_out(f: DrawFigures) -> DrawFiguresOut:
    return DrawFiguresOut(
        distribution_id=f.distribution_id,
        voucher_id=f.voucher_id,
        session_id=f.session_id,
        account_id=f.account_id,
        status=f.status,  # type: ignore[arg-type]
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
        "(with `status`), `draw_closed` (the window closed or the draw was cancelled, with "
        "`status`), `task_not_met`, `limit_reached`; `not_a_draw` for a first-come "
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
        description="R-draw3: `seed` is null until drawn; sha256(seed) equals `commitment`, and "
        "the winners follow from `seed` and `entrants` (docs/draws.md; `python -m "
        "bot.verify_draw` recomputes them).",
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
