"""The public randomness beacon of lucky draws (R-draw4): drand's `quicknet` chain.

quicknet (League of Entropy) publishes round `r` at `genesis + (r - 1) * period`, signed with a
threshold BLS key under the scheme `bls-unchained-g1-rfc9380`: the signature is a point of G1
(48 bytes compressed) on `sha256(r as 8 bytes big-endian)`, hashed to the curve with the DST
below (RFC 9380); the chain's public key is a point of G2 (96 bytes compressed). The round's
randomness is `sha256(signature)`. Verifying is a pairing check,
`e(signature, g2) == e(H(m), public key)`; with py_ecc it takes about 0.3 s of CPU.

The draw keys its order with `sha256(seed ‖ randomness)` (`draw_key`): the seed was committed
to at open, and the round did not exist when entries closed, so nobody can know the order
before the close, not even the operator who holds the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

CHAIN_HASH = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
PUBLIC_KEY = (
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
    "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
    "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
)
SCHEME = "bls-unchained-g1-rfc9380"
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
GENESIS = 1692803367  # seconds since the epoch, round 1
PERIOD = 3  # seconds between rounds
# The round is the first whose time is at least this long after the entries close.
AFTER_CLOSE = timedelta(seconds=3)
# When no mirror answers, the draw keeps trying for this long after the round's time, then
# draws from the seed alone (`beacon: null`).
WAIT_AT_MOST = timedelta(minutes=10)
RETRY_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class BeaconRound:
    """One verified round: what the draw document publishes under `beacon`."""

    chain_hash: str
    round: int
    signature: str  # hex, 48 bytes
    randomness: str  # hex, sha256(signature)


def round_time(round_number: int) -> datetime:
    return datetime.fromtimestamp(GENESIS + (round_number - 1) * PERIOD, UTC)


def round_for(closes_at: datetime) -> int:
    """R-draw4: the first round whose time is at least `AFTER_CLOSE` after `closes_at`."""
    earliest = (closes_at + AFTER_CLOSE).timestamp()
    # ceil((earliest - genesis) / period) + 1, in whole seconds then fractions
    elapsed = earliest - GENESIS
    steps = int(elapsed // PERIOD)
    if steps * PERIOD < elapsed:
        steps += 1
    return max(steps, 0) + 1


def message(round_number: int) -> bytes:
    """What quicknet signs for a round: sha256 of the round as 8 bytes big-endian."""
    return hashlib.sha256(round_number.to_bytes(8, "big")).digest()


def randomness_of(signature_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(signature_hex)).hexdigest()


def draw_key(seed: bytes, randomness_hex: str | None) -> bytes:
    """The HMAC key of the draw order: `sha256(seed ‖ randomness)` with a beacon, the seed
    itself without one (a seed-only draw, `beacon: null`)."""
    if randomness_hex is None:
        return seed
    return hashlib.sha256(seed + bytes.fromhex(randomness_hex)).digest()


def verify_signature(
    round_number: int, signature_hex: str, public_key_hex: str = PUBLIC_KEY
) -> bool:
    """The BLS check of one quicknet round (py_ecc; about 0.3 s). False for any signature that
    is malformed, off the curve, outside the subgroup, or not the chain's for this round."""
    from py_ecc.bls.g2_primitives import subgroup_check
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.bls.typing import G1Compressed, G2Compressed
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381.optimized_curve import G2, neg
    from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

    try:
        raw = bytes.fromhex(signature_hex)
        key = bytes.fromhex(public_key_hex)
        if len(raw) != 48 or len(key) != 96 or round_number < 1:
            return False
        signature = decompress_G1(G1Compressed(int.from_bytes(raw, "big")))
        public = decompress_G2(
            G2Compressed((int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big")))
        )
        if not subgroup_check(signature):
            return False
        # py_ecc annotates `hash_function` as a hash object; it calls it, as a constructor
        hashed = hash_to_G1(message(round_number), DST, cast(Any, hashlib.sha256))
        product = pairing(G2, signature, final_exponentiate=False) * pairing(
            neg(public), hashed, final_exponentiate=False
        )
        return bool(final_exponentiate(product) == FQ12.one())
    except (ValueError, TypeError, ArithmeticError):
        return False


def checked(round_number: int, signature_hex: object) -> BeaconRound | None:
    """A round as a mirror answered it, kept only when its signature verifies (a mirror is
    not trusted: its `randomness` field is recomputed, never read)."""
    if not isinstance(signature_hex, str) or not verify_signature(round_number, signature_hex):
        return None
    sig = signature_hex.lower()
    return BeaconRound(CHAIN_HASH, round_number, sig, randomness_of(sig))
