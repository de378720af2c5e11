"""What the draws service answers (R-draw1–R-draw5): the draw document's view, entries,
figures, and the close a draw still owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.rules.drand import BeaconRound
from core.rules.live import Task
from core.views import ClaimView


@dataclass(frozen=True)
class DrawEvent:
    """The close a draw still owes (R-s2): due at `closes_at` (with a beacon, at its round's
    time), at the next try while the beacon is awaited, or when a stalled draw's lease runs
    out."""

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
    reason: str  # core.rules.draws.SkipReason


@dataclass(frozen=True)
class BeaconPlan:
    """R-draw4: the drand round a draw waits for, published at open."""

    chain_hash: str
    round: int
    at: datetime  # the round's time


@dataclass(frozen=True)
class CancelledDraw:
    """R-draw5: a draw of the same session cancelled before this one opened (a re-roll is
    visible), with its revealed seed."""

    distribution_id: int
    voucher_id: int
    opened_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str | None
    commitment: str
    seed: str
    entries: int


@dataclass(frozen=True)
class DrawView:
    """What the API, the live panel and the verifier read. `status` is `open` until the
    result is final (also while the close is being made), then `drawn` or `cancelled`;
    `seed` is None until drawn or cancelled (R-draw5)."""

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
    beacon_plan: BeaconPlan | None = None  # None: a seed-only draw (DRAND_URLS=off at open)
    beacon: BeaconRound | None = None  # the verified round, once drawn with it
    waiting_for_beacon: bool = False  # entries closed, no mirror answered yet
    cancelled_earlier: tuple[CancelledDraw, ...] = ()

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
