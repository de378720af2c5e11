"""Lucky draws (R-draw1, R-draw3): limits, the commitment and the draw order, as pure functions.

The draw order is the published algorithm (docs/draws.md), and `bot/verify_draw.py` repeats it
with the standard library alone so anyone can check a draw:

1. the entrants' `buyer_id`s, sorted by their UTF-8 bytes (each buyer once);
2. for each, `ticket = HMAC-SHA256(key, message = buyer_id as UTF-8)` in lowercase hex, where
   `key = sha256(seed ‖ beacon randomness)` when the draw has a drand round (R-draw4), and
   `key = seed` for a seed-only draw (`beacon: null`);
3. the order is the entrants sorted by `(ticket, buyer_id)`: the smallest ticket draws first
   (equal tickets would need a SHA-256 collision; the buyer id still breaks such a tie).

Every entrant's ticket is an independent uniform 256-bit value under a random seed, so every
ordering of the entrants is equally likely, and the first `winners` are a uniform sample.
The seed is fixed (and committed to with `sha256(seed)`) before the first entry, and entrants
cannot influence their ticket without the seed, which stays secret until the close.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import FieldError
from core.values import is_whole_in

MODE_FIRST_COME = "first_come"
MODE_DRAW = "draw"
MODES = (MODE_FIRST_COME, MODE_DRAW)
MIN_WINNERS, MAX_WINNERS = 1, 1_000
MIN_ENTRY_MINUTES, MAX_ENTRY_MINUTES = 1, 30
SEED_BYTES = 32

# R-draw5: a draw's entries must close at least this long before the voucher's claim period
# ends, so the close — which waits for the beacon round 3–6 s after `closes_at` — can still
# give claims.
CLOSE_MARGIN = timedelta(seconds=10)


class DrawCode(StrEnum):
    """The draws' own refusal codes (the claim rules' codes are core.rules.claim_outcomes')."""

    DRAW_CLOSED = "draw_closed"
    NOT_A_DRAW = "not_a_draw"
    DRAW_NOT_FOUND = "draw_not_found"
    DRAW_OUTLIVES_VOUCHER = "draw_outlives_voucher"  # params: close_by, max_entry_minutes


class SkipReason(StrEnum):
    """Why a drawn entrant received no claim (`skipped[].reason`, R-draw2): the only reasons a
    draw document may give. After `sold_out` or `not_claimable` the walk stops."""

    LIMIT_REACHED = "limit_reached"  # already at the voucher's claims-per-customer limit
    SOLD_OUT = "sold_out"  # the voucher's quantity ran out
    NOT_CLAIMABLE = "not_claimable"  # the voucher is no longer ongoing (ended, deactivated)


ENDING_REASONS = (SkipReason.SOLD_OUT, SkipReason.NOT_CLAIMABLE)


class BeaconStatus(StrEnum):
    """R-draw4, per draw with a drand round: not fetched yet, fetched and verified, or given
    up after 10 minutes without an answer (drawn from the seed alone, `beacon: null`)."""

    PENDING = "pending"
    VERIFIED = "verified"
    MISSING = "missing"


def draw_close_by(voucher_ends_at: datetime) -> datetime:
    """R-draw5: the latest moment a draw's entries may close for this voucher."""
    return voucher_ends_at - CLOSE_MARGIN


# Status of a draw: open (taking entries), drawing (closed, claims being given), drawn (final),
# cancelled (stopped before the close: nobody wins).
OPEN, DRAWING, DRAWN, CANCELLED = "open", "drawing", "drawn", "cancelled"


def validate_draw(
    mode: str | None, winners: object, entry_minutes: object, remaining: int | None = None
) -> list[FieldError]:
    """R-draw1: `winners` 1–1,000 and at most the remaining quota; `entry_minutes` 1–30.
    `remaining=None` checks the numbers alone (the quota is checked where it is read)."""
    errors: list[FieldError] = []
    if mode is not None and mode not in MODES:
        return [FieldError("mode", "must be 'first_come' or 'draw'")]
    if mode != MODE_DRAW:
        if winners is not None:
            errors.append(FieldError("winners", "is only for mode 'draw'"))
        if entry_minutes is not None:
            errors.append(FieldError("entry_minutes", "is only for mode 'draw'"))
        return errors
    if winners is None:
        errors.append(FieldError("winners", "is required for a draw"))
    elif not is_whole_in(winners, MIN_WINNERS, MAX_WINNERS):
        errors.append(
            FieldError("winners", f"must be a whole number {MIN_WINNERS}–{MAX_WINNERS:,}")
        )
    elif remaining is not None and winners > remaining:
        errors.append(FieldError("winners", f"must be at most the remaining quota ({remaining:,})"))
    if entry_minutes is None:
        errors.append(FieldError("entry_minutes", "is required for a draw"))
    elif not is_whole_in(entry_minutes, MIN_ENTRY_MINUTES, MAX_ENTRY_MINUTES):
        errors.append(
            FieldError(
                "entry_minutes",
                f"must be a whole number {MIN_ENTRY_MINUTES}–{MAX_ENTRY_MINUTES}",
            )
        )
    return errors


def new_seed() -> bytes:
    """A fresh 32-byte seed from the operating system's CSPRNG (R-draw3)."""
    return secrets.token_bytes(SEED_BYTES)


def commitment_of(seed: bytes) -> str:
    """`sha256(seed)` in lowercase hex: published when the draw opens."""
    return hashlib.sha256(seed).hexdigest()


def ticket(seed: bytes, buyer_id: str) -> str:
    return hmac.new(seed, buyer_id.encode(), hashlib.sha256).hexdigest()


def entrants_in_order(buyer_ids: Iterable[str]) -> list[str]:
    """The published entrant list: each buyer once, sorted by UTF-8 bytes (buyer ids are
    ASCII, R-ids, so this is also Python's string order)."""
    return sorted(set(buyer_ids), key=str.encode)


def draw_order(key: bytes, buyer_ids: Iterable[str]) -> list[str]:
    """Every entrant, in the order the draw offers them a claim (R-draw3). `key` is the seed
    for a seed-only draw, `sha256(seed ‖ beacon randomness)` otherwise (R-draw4,
    core.rules.drand.draw_key)."""
    entrants = entrants_in_order(buyer_ids)
    return sorted(entrants, key=lambda b: (ticket(key, b), b.encode()))


def fingerprint(commitment: str) -> str:
    """How people see a draw's commitment (team chat, host, overlay): its first 8 hex digits
    in two groups, `c358 b4fd`, never the 64 digits (R-draw5). The verify link and the
    document carry the whole value."""
    return f"{commitment[:4]} {commitment[4:8]}"


def verify_url(base: str | None, distribution_id: int, commitment: str) -> str | None:
    """The service's own /verify page for a draw, or None without PUBLIC_BASE_URL."""
    if not base:
        return None
    return f"{base.rstrip('/')}/verify?draw={distribution_id}&commitment={commitment}"
