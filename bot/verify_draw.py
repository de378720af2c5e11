"""Check a lucky draw (R-draw3) from what the API publishes, with the standard library alone.

    python -m bot.verify_draw draw.json
    curl -s …/v1/distributions/7/draw -H "Authorization: Bearer $KEY" | python -m bot.verify_draw -
    python -m bot.verify_draw --url http://127.0.0.1:8080/v1/distributions/7/draw --api-key KEY

It checks that `sha256(seed)` is the commitment published when the draw opened, recomputes
the draw order from the seed and the entrants (docs/draws.md), and checks that the winners
who received claims are the first entrants in that order, apart from those the draw reports
as passed over (already at their claim limit, or the voucher sold out). Exit status 0 when the
draw checks out, 1 when it does not, 2 when the input cannot be read.

This file deliberately repeats the algorithm instead of importing the service's code, so it
can be copied and run anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import urllib.request
from dataclasses import dataclass, field
from typing import Any


def draw_order(seed: bytes, entrants: list[str]) -> list[str]:
    """Entrants (each once) sorted by HMAC-SHA256(key=seed, msg=buyer_id) hex, then buyer_id."""
    unique = sorted(set(entrants), key=str.encode)

    def ticket(buyer_id: str) -> tuple[str, bytes]:
        mac = hmac.new(seed, buyer_id.encode(), hashlib.sha256).hexdigest()
        return mac, buyer_id.encode()

    return sorted(unique, key=ticket)


@dataclass
class Verdict:
    ok: bool
    order: list[str] = field(default_factory=list)
    expected_winners: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def verify(draw: dict[str, Any]) -> Verdict:
    """Checks one GET …/draw document; `problems` says what does not hold."""
    problems: list[str] = []
    status = draw.get("status")
    if status != "drawn":
        return Verdict(False, problems=[f"the draw is {status!r}, not drawn: nothing to verify"])
    seed_hex, commitment = draw.get("seed"), draw.get("commitment")
    entrants = draw.get("entrants")
    if not isinstance(seed_hex, str) or not isinstance(entrants, list):
        return Verdict(False, problems=["the document lacks `seed` or `entrants`"])
    seed = bytes.fromhex(seed_hex)
    if len(seed) != 32:
        problems.append(f"the seed is {len(seed)} bytes, not 32")
    if hashlib.sha256(seed).hexdigest() != commitment:
        problems.append("sha256(seed) does not match the published commitment")
    if len(entrants) != draw.get("entries", len(entrants)):
        problems.append("the entrant list does not have `entries` names")
    order = draw_order(seed, entrants)
    passed_over = {s["buyer_id"] for s in draw.get("skipped", [])}
    winners = int(draw.get("winners", 0))
    expected: list[str] = []
    for buyer in order:
        if len(expected) == winners:
            break
        if buyer not in passed_over:
            expected.append(buyer)
    got = [c["buyer_id"] for c in draw.get("claims", [])]
    ends = ("sold_out", "not_claimable")
    sold_out = any(s.get("reason") in ends for s in draw.get("skipped", []))
    if sold_out:
        # The walk stops where the voucher could give no more: the winners are a prefix.
        expected = expected[: len(got)]
    if got != expected:
        problems.append(f"the winners' claims {got} are not the draw's winners {expected}")
    skipped_positions = [order.index(b) for b in passed_over if b in order]
    if len(skipped_positions) != len(passed_over):
        problems.append("a buyer reported as passed over did not enter")
    return Verdict(not problems, order, expected, problems)


def _load(args: argparse.Namespace) -> dict[str, Any]:
    if args.url:
        request = urllib.request.Request(args.url)
        if args.api_key:
            request.add_header("Authorization", f"Bearer {args.api_key}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    if args.file in (None, "-"):
        return json.load(sys.stdin)
    with open(args.file, encoding="utf-8") as f:
        return json.load(f)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", help="the JSON document (default or '-': stdin)")
    parser.add_argument("--url", help="fetch the document from this URL instead")
    parser.add_argument("--api-key", help="API key for --url")
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
    except (OSError, ValueError) as exc:
        print(f"cannot read the draw: {exc}", file=sys.stderr)
        return 2
    verdict = verify(draw)
    if verdict.order:
        print(f"entrants: {len(verdict.order):,}; first {args.show_order} in draw order:")
        for i, buyer in enumerate(verdict.order[: args.show_order], 1):
            print(f"  {i:>3}. {buyer}")
        print(f"winners: {', '.join(verdict.expected_winners) or '(none)'}")
    if verdict.ok:
        print("OK: the commitment matches the seed and the winners follow from it.")
        return 0
    for problem in verdict.problems:
        print(f"FAIL: {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
