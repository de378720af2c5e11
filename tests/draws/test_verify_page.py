"""R-draw5: the third-party verifier page (/verify, Web Crypto in the browser) agrees with
`voucherbot verify-draw` on 50 random draws — honest and tampered — in headless Chromium."""

from __future__ import annotations

import copy
import hashlib
import os
import random
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.verify_draw import verify
from core.rules import drand
from core.rules import draws as rules
from tests.api.conftest import Api
from tests.support.drand_standin import RECORDED_ROUNDS

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's Chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _random_draw(rng: random.Random) -> dict[str, Any]:
    """A draw document as the service publishes it, made with the service's rules."""
    seed = rng.randbytes(32)
    n = rng.randint(0, 40)
    entrants = rules.entrants_in_order(
        f"{rng.choice(['viewer', 'fan', 'u'])}-{rng.randint(0, 10_000)}" for _ in range(n)
    )
    beacon = plan = None
    if rng.random() < 0.6:
        number = rng.choice(sorted(RECORDED_ROUNDS))
        plan = {"chain_hash": drand.CHAIN_HASH, "round": number, "time": "2026-01-01T00:00:00Z"}
        if rng.random() < 0.8:
            sig = RECORDED_ROUNDS[number]
            beacon = {
                "chain_hash": drand.CHAIN_HASH,
                "round": number,
                "signature": sig,
                "randomness": drand.randomness_of(sig),
            }
    key = drand.draw_key(seed, beacon["randomness"] if beacon else None)
    order = rules.draw_order(key, entrants)
    winners = rng.randint(1, 8)
    claims: list[str] = []
    skipped: list[dict[str, str]] = []
    for buyer in order:
        if len(claims) == winners:
            break
        roll = rng.random()
        if roll < 0.15:
            skipped.append({"buyer_id": buyer, "reason": "limit_reached"})
        elif roll < 0.2:
            skipped.append({"buyer_id": buyer, "reason": rng.choice(rules.ENDING_REASONS)})
            break
        else:
            claims.append(buyer)
    cancelled = []
    for _ in range(rng.randint(0, 2)):
        s = rng.randbytes(32)
        cancelled.append(
            {
                "distribution_id": rng.randint(1, 99),
                "voucher_id": 1,
                "opened_at": "2026-01-01T00:00:00Z",
                "cancelled_at": "2026-01-01T00:01:00Z",
                "cancel_reason": "stopped",
                "commitment": rules.commitment_of(s),
                "seed": s.hex(),
                "entries": rng.randint(0, 9),
            }
        )
    return {
        "distribution_id": rng.randint(1, 999),
        "status": "drawn",
        "entries": len(entrants),
        "winners": winners,
        "commitment": hashlib.sha256(seed).hexdigest(),
        "seed": seed.hex(),
        "claims": [{"buyer_id": b} for b in claims],
        "winner_ids": claims,
        "skipped": skipped,
        "entrants": entrants,
        "beacon_round": plan,
        "beacon": beacon,
        "cancelled_draws": cancelled,
    }


def _tamper(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    """One of the audit's forgeries (the BLS signature itself is left alone: the page says it
    does not check it)."""
    d = copy.deepcopy(doc)
    kind = rng.randrange(8)
    if kind == 0:
        d["seed"] = rng.randbytes(32).hex()
    elif kind == 1 and d["entrants"]:
        d["entrants"] = sorted([*d["entrants"], d["entrants"][0]])
    elif kind == 2:
        d["entries"] += 1
    elif kind == 3:
        d["skipped"] = [*d["skipped"], {"buyer_id": "viewer-x", "reason": "banana"}]
    elif kind == 4 and d["beacon"]:
        d["beacon"]["round"] += 1
    elif kind == 5 and d["cancelled_draws"]:
        d["cancelled_draws"][0]["seed"] = "00" * 32
    elif kind == 6:
        d["claims"] = [{"buyer_id": "viewer-x"}, *d["claims"]]
        d["winner_ids"] = [c["buyer_id"] for c in d["claims"]]
    else:
        d["commitment"] = rng.randbytes(32).hex()
    return d


async def test_r_draw5_verify_page_agrees_with_verify_draw_on_50_draws(api: Api) -> None:
    from playwright.async_api import async_playwright

    rng = random.Random(20261206)
    docs = []
    for i in range(50):
        doc = _random_draw(rng)
        docs.append(_tamper(rng, doc) if i % 3 == 2 else doc)
    expected = [verify(doc) for doc in docs]
    assert sum(v.ok for v in expected) >= 25 and sum(not v.ok for v in expected) >= 10
    response = await api.client.get("/verify")
    assert response.status == 200 and response.content_type == "text/html"
    assert "verifyDraw" in await response.text()
    url = str(api.client.make_url("/verify?commitment=" + docs[0]["commitment"]))
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = await browser.new_page()
            origin = urlsplit(url).netloc
            external: list[str] = []
            page.on(
                "request",
                lambda r: external.append(r.url) if urlsplit(r.url).netloc != origin else None,
            )
            await page.goto(url)
            assert await page.input_value("#commitment") == docs[0]["commitment"]
            results = await page.evaluate(
                "async (docs) => { const out = []; for (const d of docs) "
                "out.push(await window.verifyDraw(d, null)); return out; }",
                docs,
            )
            for doc, want, got in zip(docs, expected, results, strict=True):
                assert got["ok"] == want.ok, (doc, want.problems, got["problems"])
                if want.ok:
                    assert got["winners"] == want.expected_winners
                    assert got["order"] == want.order
            # the page itself, as a person uses it: paste, check, read the verdict
            import json

            await page.fill("#doc", json.dumps(docs[0]))
            await page.click("#check")
            await page.wait_for_selector("#verdict.ok, #verdict.fail")
            verdict = await page.text_content("#verdict")
            assert verdict is not None and verdict.startswith("OK" if expected[0].ok else "FAIL")
            assert external == []  # no external resources
        finally:
            await browser.close()
