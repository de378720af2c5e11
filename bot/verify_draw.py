"""Check a lucky draw (R-draw3–R-draw5) from what the API publishes.

    python -m bot.verify_draw draw.json [--commitment HEX]
    curl -s …/v1/distributions/7/draw -H "Authorization: Bearer $KEY" | python -m bot.verify_draw -
    python -m bot.verify_draw --url http://127.0.0.1:8080/v1/distributions/7/draw --api-key KEY

It checks, strictly (docs/draws.md, "Checking a draw"):

- `sha256(seed)` is the commitment (and the one given with `--commitment`, seen at open);
- the drand round, when there is one: the round fixed at open, quicknet's chain, a BLS
  signature that verifies against quicknet's public key (py_ecc), randomness = sha256(signature);
- the entrants: each once, sorted, as many as `entries`;
- the skipped entrants: only the documented reasons, each an entrant, none after a reason that
  ends the walk (`sold_out`, `not_claimable`), in draw order with the winners;
- the winners: exactly the first entrants in draw order, apart from the skipped ones;
- the draws cancelled earlier in the session: each seed matches its commitment.

Exit status 0 when the draw checks out, 1 when it does not, 2 when the input cannot be read.

This file deliberately repeats the algorithm instead of importing the service's code, so it
can be copied and run anywhere: the standard library, plus py_ecc for the beacon's signature.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import sys
import urllib.request
from dataclasses import dataclass, field
from typing import Any, TypeGuard

QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
QUICKNET_KEY = (
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
    "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
    "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
)
QUICKNET_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
SKIP_REASONS = ("limit_reached", "sold_out", "not_claimable")
ENDING_REASONS = ("sold_out", "not_claimable")
HEX64 = re.compile(r"[0-9a-f]{64}")


def draw_key(seed: bytes, randomness_hex: str | None) -> bytes:
    """sha256(seed ‖ beacon randomness), or the seed alone for a seed-only draw."""
    if randomness_hex is None:
        return seed
    return hashlib.sha256(seed + bytes.fromhex(randomness_hex)).digest()


def draw_order(key: bytes, entrants: list[str]) -> list[str]:
    """Entrants (each once) sorted by HMAC-SHA256(key, buyer_id) hex, then buyer_id."""
    unique = sorted(set(entrants), key=str.encode)

    def ticket(buyer_id: str) -> tuple[str, bytes]:
        mac = hmac.new(key, buyer_id.encode(), hashlib.sha256).hexdigest()
        return mac, buyer_id.encode()

    return sorted(unique, key=ticket)


def beacon_signature_ok(round_number: int, signature_hex: str) -> bool | None:
    """The BLS check of a quicknet round; None when py_ecc is not installed."""
    try:
        from py_ecc.bls.g2_primitives import subgroup_check
        from py_ecc.bls.hash_to_curve import hash_to_G1
        from py_ecc.bls.point_compression import decompress_G1, decompress_G2
        from py_ecc.bls.typing import G1Compressed, G2Compressed
        from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
        from py_ecc.optimized_bls12_381.optimized_curve import G2, neg
        from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing
    except ImportError:
        return None
    try:
        raw, key = bytes.fromhex(signature_hex), bytes.fromhex(QUICKNET_KEY)
        if len(raw) != 48:
            return False
        sig = decompress_G1(G1Compressed(int.from_bytes(raw, "big")))
        pub = decompress_G2(
            G2Compressed((int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big")))
        )
        if not subgroup_check(sig):
            return False
        msg = hashlib.sha256(round_number.to_bytes(8, "big")).digest()
        # py_ecc annotates `hash_function` as a hash object; it calls it, as a constructor
        hashed = hash_to_G1(msg, QUICKNET_DST, hashlib.sha256)  # type: ignore[arg-type]
        product = pairing(G2, sig, final_exponentiate=False) * pairing(
            neg(pub), hashed, final_exponentiate=False
        )
        return bool(final_exponentiate(product) == FQ12.one())
    except (ValueError, TypeError, ArithmeticError):
        return False


@dataclass
class Verdict:
    ok: bool
    order: list[str] = field(default_factory=list)
    expected_winners: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _hex64(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and HEX64.fullmatch(value) is not None


def _check_beacon(draw: dict[str, Any], problems: list[str], notes: list[str]) -> str | None:
    """The beacon's randomness when it checks out; problems otherwise."""
    plan, beacon = draw.get("beacon_round"), draw.get("beacon")
    if beacon is None:
        if plan is None:
            notes.append("a seed-only draw: no drand round was fixed at open (DRAND_URLS=off)")
        else:
            notes.append(
                f"drand round {plan.get('round')} was fixed at open but did not answer within "
                "10 minutes: the draw was made from the seed alone (beacon: null)"
            )
        return None
    if not isinstance(beacon, dict) or plan is None:
        problems.append("`beacon` is given but no round was fixed at open (`beacon_round`)")
        return None
    rnd, sig, rand = beacon.get("round"), beacon.get("signature"), beacon.get("randomness")
    if beacon.get("chain_hash") != QUICKNET_CHAIN or plan.get("chain_hash") != QUICKNET_CHAIN:
        problems.append("the beacon is not drand quicknet's chain")
    if not isinstance(rnd, int) or rnd != plan.get("round"):
        problems.append(f"the beacon is round {rnd}, not round {plan.get('round')} fixed at open")
        return None
    if not isinstance(sig, str) or not re.fullmatch(r"[0-9a-f]{96}", sig):
        problems.append("the beacon's signature is not 96 lowercase hex digits")
        return None
    if rand != hashlib.sha256(bytes.fromhex(sig)).hexdigest():
        problems.append("the beacon's randomness is not sha256(signature)")
    ok = beacon_signature_ok(rnd, sig)
    if ok is None:
        problems.append("cannot check the beacon's signature: install py_ecc")
    elif not ok:
        problems.append(f"the beacon's signature is not quicknet's for round {rnd}")
    return hashlib.sha256(bytes.fromhex(sig)).hexdigest()


def verify(draw: dict[str, Any], commitment_seen: str | None = None) -> Verdict:
    """Checks one GET …/draw document; `problems` says what does not hold."""
    problems: list[str] = []
    notes: list[str] = []
    status = draw.get("status")
    commitment = draw.get("commitment")
    if commitment_seen is not None and commitment_seen.strip().lower() != commitment:
        problems.append("the commitment differs from the one given with --commitment")
    _check_cancelled(draw, problems)
    if status == "cancelled" and _hex64(draw.get("seed")):
        if hashlib.sha256(bytes.fromhex(draw["seed"])).hexdigest() != commitment:
            problems.append("sha256(seed) does not match the published commitment")
        notes.append("the draw was cancelled: nobody won")
        return Verdict(not problems, problems=problems, notes=notes)
    if status != "drawn":
        problems.append(f"the draw is {status!r}, not drawn: nothing to verify")
        return Verdict(False, problems=problems)
    seed_hex, entrants = draw.get("seed"), draw.get("entrants")
    if not _hex64(seed_hex) or not _hex64(commitment):
        problems.append("`seed` and `commitment` must be 64 lowercase hex digits")
        return Verdict(False, problems=problems)
    if not isinstance(entrants, list) or not all(isinstance(e, str) for e in entrants):
        problems.append("the document lacks `entrants` (ask without ?entrants=false)")
        return Verdict(False, problems=problems)
    seed = bytes.fromhex(seed_hex)
    if hashlib.sha256(seed).hexdigest() != commitment:
        problems.append("sha256(seed) does not match the published commitment")
    if len(set(entrants)) != len(entrants):
        problems.append("the entrant list names a buyer more than once")
    if entrants != sorted(entrants, key=str.encode):
        problems.append("the entrant list is not sorted")
    if draw.get("entries") != len(entrants):
        problems.append(f"`entries` is {draw.get('entries')}, but {len(entrants)} are listed")
    randomness = _check_beacon(draw, problems, notes)
    order = draw_order(draw_key(seed, randomness), entrants)
    expected = _check_walk(draw, order, problems)
    got = [c.get("buyer_id") for c in draw.get("claims", [])]
    if got != expected:
        problems.append(f"the winners' claims {got} are not the draw's winners {expected}")
    if draw.get("winner_ids", got) != got:
        problems.append("`winner_ids` differs from the claims' buyers")
    return Verdict(not problems, order, expected, problems, notes)


def _check_walk(draw: dict[str, Any], order: list[str], problems: list[str]) -> list[str]:
    """Replays the walk of the draw order: who must have won, given the skipped entrants."""
    skipped = draw.get("skipped", [])
    reasons: dict[Any, Any] = {}
    for s in skipped if isinstance(skipped, list) else []:
        buyer, reason = (s.get("buyer_id"), s.get("reason")) if isinstance(s, dict) else (s, s)
        if not isinstance(buyer, str):
            problems.append(f"{s!r} is not a skipped entrant ({{buyer_id, reason}})")
            continue
        if reason not in SKIP_REASONS:
            problems.append(f"{reason!r} is not a documented skip reason {SKIP_REASONS}")
        if buyer in reasons:
            problems.append(f"{buyer!r} is skipped twice")
        reasons[buyer] = reason
    position = {b: i for i, b in enumerate(order)}
    if any(b not in position for b in reasons):
        problems.append("a buyer reported as skipped did not enter")
    winners = int(draw.get("winners", 0))
    expected: list[str] = []
    walked: list[str] = []
    ended = False
    for buyer in order:
        if len(expected) == winners or ended:
            break
        walked.append(buyer)
        reason = reasons.get(buyer)
        if reason is None:
            expected.append(buyer)
        elif reason in ENDING_REASONS:
            ended = True  # the voucher could give no more claims: the walk stops here
    extra = [b for b in reasons if b in position and b not in walked]
    if extra:
        problems.append(
            f"{extra} are skipped but the walk never reached them (after the last winner, or "
            "after a sold_out / not_claimable skip)"
        )
    return expected


def _check_cancelled(draw: dict[str, Any], problems: list[str]) -> None:
    for c in draw.get("cancelled_draws", []) or []:
        seed, commitment = c.get("seed"), c.get("commitment")
        if not _hex64(seed) or hashlib.sha256(bytes.fromhex(seed)).hexdigest() != commitment:
            problems.append(
                f"cancelled draw {c.get('distribution_id')}: its seed does not match its commitment"
            )


def _load(args: argparse.Namespace) -> dict[str, Any]:
    if args.url:
        request = urllib.request.Request(args.url)
        if args.api_key:
            request.add_header("Authorization", f"Bearer {args.api_key}")
        with urllib.request.urlopen(request, timeout=30) as response:
            document: dict[str, Any] = json.load(response)
            return document
    if args.file in (None, "-"):
        document = json.load(sys.stdin)
        return document
    with open(args.file, encoding="utf-8") as f:
        document = json.load(f)
        return document


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="the JSON document (default or '-': stdin)")
    parser.add_argument("--url", help="fetch the document from this URL instead")
    parser.add_argument("--api-key", help="API key for --url")
    parser.add_argument(
        "--commitment", help="the commitment (hex) seen when the draw opened, to compare"
    )
    parser.add_argument("--show-order", type=int, default=10, help="print the first N drawn")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.verify_draw",
        description="Recompute a lucky draw's winners from GET /v1/distributions/{id}/draw.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """0 when the draw checks out, 1 when it does not, 2 when the document can't be read."""
    try:
        draw = _load(args)
        if not isinstance(draw, dict):
            raise ValueError("the document is not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return 2
    verdict = verify(draw, getattr(args, "commitment", None))
    if verdict.order:
        print(f"entrants: {len(verdict.order):,}; first {args.show_order} in draw order:")
        for i, buyer in enumerate(verdict.order[: args.show_order], 1):
            print(f"  {i:>3}. {buyer}")
        print(f"winners: {', '.join(verdict.expected_winners) or '(none)'}")
    for note in verdict.notes:
        print(f"NOTE: {note}")
    if verdict.ok:
        print("OK: the commitment matches the seed and the winners follow from it.")
        return 0
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
