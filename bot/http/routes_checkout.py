"""Checkout quotes, orders and cancellations (R-o1…R-o5)."""

from __future__ import annotations

from bot.http.idempotency import REPLAYED
from bot.http.inputs import OrderIn, OrderPath, QuoteIn
from bot.http.outputs import OrderOut, QuoteOut, order_out, quote_out
from bot.http.routes_claims import api_key_id, too_many_guesses
from bot.http.routing import Call, Reply, Route
from core.services.promo_codes import TooManyGuesses


async def quote(call: Call[QuoteIn, None, None]) -> QuoteOut:
    b = call.body
    try:
        view = await call.services.checkout.quote(
            call.actor,
            b.buyer_id,
            [line.line() for line in b.lines],
            code=b.code,
            key_id=api_key_id(call.request),
        )
    except TooManyGuesses as exc:
        raise too_many_guesses(exc) from None
    return quote_out(view)


async def place_order(call: Call[OrderIn, None, None]) -> Reply:
    b = call.body
    try:
        order, created = await call.services.checkout.place_order(
            call.actor,
            b.order_id,
            b.buyer_id,
            [line.line() for line in b.lines],
            b.claim_id,
            code=b.code,
            placed_at=b.placed_at,
            status=b.status,
            key_id=api_key_id(call.request),
        )
    except TooManyGuesses as exc:
        raise too_many_guesses(exc) from None
    return Reply(order_out(order), 201) if created else Reply(order_out(order), 200, REPLAYED)


async def cancel_order(call: Call[None, None, OrderPath]) -> OrderOut:
    return order_out(await call.services.checkout.cancel_order(call.actor, call.path.order_id))


async def get_order(call: Call[None, None, OrderPath]) -> OrderOut:
    return order_out(await call.services.checkout.get_order(call.actor, call.path.order_id))


ROUTES = [
    Route(
        "POST",
        "/v1/checkout/quote",
        "The best voucher for a basket (no side effects)",
        "checkout",
        quote,
        body=QuoteIn,
        response=QuoteOut,
        problems=(429,),
        description="R-o2/R-o3: every claim of the buyer priced, the best usable one first.",
    ),
    Route(
        "POST",
        "/v1/orders",
        "Record an order (redeems the best usable claim, or the one named)",
        "checkout",
        place_order,
        body=OrderIn,
        response=OrderOut,
        status=201,
        other_responses={200: "A repeat with the same body: the order first recorded."},
        problems=(409, 429),
        description="R-o4: once per `order_id`; a repeat with another body is a 409 "
        "`order_conflict`; a named claim that cannot be used is a 409 `claim_not_usable`.",
    ),
    Route(
        "POST",
        "/v1/orders/{order_id}/cancel",
        "Cancel an order (releases its claim)",
        "checkout",
        cancel_order,
        params=OrderPath,
        response=OrderOut,
    ),
    Route(
        "GET",
        "/v1/orders/{order_id}",
        "Read an order",
        "checkout",
        get_order,
        params=OrderPath,
        response=OrderOut,
    ),
]
