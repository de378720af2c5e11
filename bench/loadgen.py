"""The load generator of the claim-rush benchmark, run in its own process.

It reads one phase (JSON) on stdin, plays it with one aiohttp ClientSession whose connector
holds `concurrency` connections, and prints one JSON result: answers by status and refusal
code, latency percentiles, elapsed time, its own CPU time, and when the last claim succeeded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

CODES = (
    b"sold_out",
    b"limit_reached",
    b"not_claimable",
    b"draw_closed",
    b"database is locked",
)


@dataclass
class Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    claimed_by: dict[str, int] = field(default_factory=dict)
    last_claim_at: float = 0.0

    def add(self, status: int, body: bytes, latency: float, buyer: str, at: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)
        if status == 201:
            self.claimed_by[buyer] = self.claimed_by.get(buyer, 0) + 1
            self.last_claim_at = max(self.last_claim_at, at)
        elif status >= 400:
            code = next((c.decode() for c in CODES if c in body), f"http_{status}")
            self.codes[code] = self.codes.get(code, 0) + 1


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _play(phase: dict[str, Any]) -> dict[str, Any]:
    # `path`: another endpoint that takes `{"buyer_id"}` (draw entries, bench/draw_entries.py).
    # `voucher_ids`: several vouchers at once, the requests dealt round-robin over them.
    ids = phase.get("voucher_ids") or [phase.get("voucher_id")]
    paths = [phase.get("path") or f"/v1/vouchers/{vid}/claims" for vid in ids]
    urls = [f"{phase['base_url']}{path}" for path in paths]
    headers = {"Authorization": f"Bearer {phase['key']}", "Content-Type": "application/json"}
    concurrency = phase["concurrency"]
    buyers: list[str] | None = phase.get("buyers")
    fixed: str | None = phase.get("buyer")
    prefix = phase.get("prefix", "b")
    deadline_after = phase.get("duration")
    tally = Tally()
    counter = iter(range(10**9))
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        started = time.perf_counter()
        deadline = started + deadline_after if deadline_after else None

        async def worker() -> None:
            while True:
                n = next(counter)
                if buyers is not None:
                    if n >= len(buyers):
                        return
                    buyer = buyers[n]
                elif deadline is not None and time.perf_counter() >= deadline:
                    return
                else:
                    buyer = fixed or f"{prefix}-{n}"
                body = b'{"buyer_id": "' + buyer.encode() + b'"}'
                sent = time.perf_counter()
                async with http.post(urls[n % len(urls)], data=body) as response:
                    answer = await response.read()
                    status = response.status
                done = time.perf_counter()
                tally.add(status, answer, done - sent, buyer, done - started)

        cpu_before = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
    latencies = sorted(tally.latencies)
    return {
        "requests": len(latencies),
        "elapsed": elapsed,
        "rate": len(latencies) / elapsed if elapsed else 0.0,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "codes": tally.codes,
        "p50_ms": _percentile(latencies, 0.50) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
        "cpu_seconds": cpu,
        "cpu_share": cpu / elapsed if elapsed else 0.0,
        "claims": sum(tally.claimed_by.values()),
        "max_claims_per_buyer": max(tally.claimed_by.values(), default=0),
        "sold_out_after_s": tally.last_claim_at,
    }


def main() -> None:
    phase = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_play(phase))))


if __name__ == "__main__":
    main()
