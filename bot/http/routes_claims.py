"""Claims (R-c1…R-c3) and the buyer's wallet."""

from __future__ import annotations

from aiohttp import web

from bot.http.idempotency import REPLAYED
from bot.http.inputs import BuyerPath, ClaimIn, ClaimPath, CodeClaimIn, VoucherPath, WalletQuery
from bot.http.outputs import ClaimOut, ClaimPage, claim_out
from bot.http.problems import HttpProblem
from bot.http.rate_limits import RateClass
from bot.http.routing import Call, Header, Reply, Route, decode_cursor, header_value, page
from bot.metrics import record_claim
from core.errors import ClaimRefused
from core.services.api_keys import split_key
from core.services.promo_codes import TooManyGuesses

IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Repeating a claim with the same key returns the first result and claims nothing more (R-c2).",
)


async def claim_voucher(call: Call[ClaimIn, None, VoucherPath]) -> Reply:
    key = header_value(call.request, IDEMPOTENCY_KEY)
    try:
        claim = await call.services.claims.claim(
            call.actor.shop_id,
            call.path.voucher_id,
            call.body.buyer_id,
            session_id=call.body.session_id,
            idempotency_key=key,
        )
    except ClaimRefused as refusal:
        record_claim(refusal.code)
        raise
    if claim.replayed:
        return Reply(claim_out(claim), 201, REPLAYED)
    record_claim("claimed")
    return Reply(claim_out(claim), 201)


def api_key_id(request: web.Request) -> str | None:
    """The public part of the request's API key (R-code counts wrong codes per key)."""
    _scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    parts = split_key(key)
    return parts[0] if parts else None


def too_many_guesses(exc: TooManyGuesses) -> HttpProblem:
    return HttpProblem(
        429,
        exc.code,
        exc.detail,
        headers={"Retry-After": str(exc.retry_after)},
        extra={"retry_after": exc.retry_after},
    )


async def claim_by_code(call: Call[CodeClaimIn, None, None]) -> Reply:
    key = header_value(call.request, IDEMPOTENCY_KEY)
    try:
        claim = await call.services.claims.claim_by_code(
            call.actor.shop_id,
            call.body.code,
            call.body.buyer_id,
            key_id=api_key_id(call.request),
            idempotency_key=key,
        )
    except TooManyGuesses as exc:
        raise too_many_guesses(exc) from None
    except ClaimRefused as refusal:
        record_claim(refusal.code)
        raise
    if claim.replayed:
        return Reply(claim_out(claim), 201, REPLAYED)
    record_claim("claimed")
    return Reply(claim_out(claim), 201)


async def buyer_wallet(call: Call[None, WalletQuery, BuyerPath]) -> ClaimPage:
    q = call.query
    rows = await call.services.claims.wallet(
        call.actor,
        call.path.buyer_id,
        status=q.status,
        limit=q.limit + 1,
        after_id=decode_cursor(q.cursor),
    )
    items, cursor = page(rows, q.limit, lambda c: c.id)
    return ClaimPage(items=[claim_out(c) for c in items], next_cursor=cursor)


async def get_claim(call: Call[None, None, ClaimPath]) -> ClaimOut:
    return claim_out(await call.services.claims.get(call.actor, call.path.claim_id))


ROUTES = [
    Route(
        "POST",
        "/v1/vouchers/{voucher_id}/claims",
        "Claim a voucher for a viewer",
        "claims",
        claim_voucher,
        params=VoucherPath,
        body=ClaimIn,
        headers=(IDEMPOTENCY_KEY,),
        response=ClaimOut,
        status=201,
        problems=(409,),
        description="R-c1: a refusal is a 409 problem whose `code` names the first rule that "
        "failed: `not_claimable` (with `status`), `no_active_distribution`, `task_not_met` "
        "(with `missing_seconds` or `needs_new_follow`), `segment_not_met` (with `segment`, "
        "R-seg), `limit_reached`, `sold_out`, `budget_spent` (R-budget); an "
        "unknown voucher is a 404 `voucher_not_found`. A reused Idempotency-Key with another "
        "voucher, buyer or session_id is a 409 `idempotency_key_reused`; a replay carries "
        "`Idempotent-Replayed: true`.",
        rate=RateClass.VIEWERS,
    ),
    Route(
        "POST",
        "/v1/claims",
        "Claim a voucher by its promo code",
        "claims",
        claim_by_code,
        body=CodeClaimIn,
        headers=(IDEMPOTENCY_KEY,),
        response=ClaimOut,
        status=201,
        problems=(409, 429),
        description="R-code: the shop's upcoming or ongoing regular voucher with this code "
        "(case-insensitive), then every R-c1 check as for a claim by id. A wrong code is a 404 "
        "`code_not_found`; more than 10 wrong codes a minute from one buyer, or 300 from one "
        "API key, answer 429 `too_many_wrong_codes` with `Retry-After` (seconds).",
        rate=RateClass.VIEWERS,
    ),
    Route(
        "GET",
        "/v1/buyers/{buyer_id}/claims",
        "A buyer's claimed vouchers (the wallet)",
        "claims",
        buyer_wallet,
        params=BuyerPath,
        query=WalletQuery,
        response=ClaimPage,
    ),
    Route(
        "GET",
        "/v1/claims/{claim_id}",
        "Read a claim",
        "claims",
        get_claim,
        params=ClaimPath,
        response=ClaimOut,
    ),
]
