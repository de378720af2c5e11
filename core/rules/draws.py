"""Lucky draws (R-draw1, R-draw3): limits, the commitment and the draw order, as pure functions.

The draw order is the published algorithm (docs/draws.md), and `bot/verify_draw.py` repeats it
with the standard library alone so anyone can check a draw:

1. the entrants' `buyer_id`s, sorted by their UTF-8 bytes (each buyer once);
2. for each, `ticket = HMAC-SHA256(key = seed, message = buyer_id as UTF-8)` in lowercase hex;
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

from core.errors import FieldError
from core.values import is_whole_in

MODE_FIRST_COME = "first_come"
MODE_DRAW = "draw"
MODES = (MODE_FIRST_COME, MODE_DRAW)
MIN_WINNERS, MAX_WINNERS = 1, 1_000
MIN_ENTRY_MINUTES, MAX_ENTRY_MINUTES = 1, 30
SEED_BYTES = 32

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
    elif remaining is not None and winners > remaining:  # type: ignore[operator]
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


def draw_order(seed: bytes, buyer_ids: Iterable[str]) -> list[str]:
    """Every entrant, in the order the draw offers them a claim (R-draw3)."""
    entrants = entrants_in_order(buyer_ids)
    return sorted(entrants, key=lambda b: (ticket(seed, b), b.encode()))
