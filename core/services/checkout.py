"""Quotes, orders and cancellations (R-o1…R-o5), and the average order value (R-a6)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, FieldError, NotFound, ValidationFailed
from core.ids import check_platform_id, is_platform_id, row_id
from core.refusal_codes import OrderCode
from core.rules.checkout import (
    AOV_WINDOW,
    Line,
    Offer,
    Priced,
    price,
    price_all,
    rank_key,
    subtotal,
)
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.services.checkout_extras import OrderStatus, parse_import, price_code
from core.services.promo_codes import voucher_of_code
from core.services.redemption import ClaimTaken as _ClaimTaken
from core.services.redemption import redeem_with_limits
from core.values import is_whole, is_whole_in
from core.views import OrderView, PricedClaim, QuoteView, effective_claim_status
from storage import analytics_queries as analytics_store
from storage import repositories as repo
from storage import targeting_queries
from storage.models import Claim, OrderLine, ShopOrder, Voucher

MAX_LINES = 500
MAX_UNIT_PRICE = 10**12
MAX_LINE_QUANTITY = 1_000_000
MAX_SUBTOTAL = 10**15  # keeps order sums inside 64-bit columns


def parse_lines(raw: Sequence[object]) -> list[Line]:
    """Validates order lines (field paths like `lines.0.unit_price`)."""
    errors: list[FieldError] = []
    if not isinstance(raw, (list, tuple)) or not 1 <= len(raw) <= MAX_LINES:
        raise ValidationFailed([FieldError("lines", f"must list 1–{MAX_LINES} lines")])
    lines = []
    for i, item in enumerate(raw):
        if isinstance(item, Line):
            item = {
                "product_id": item.product_id,
                "unit_price": item.unit_price,
                "quantity": item.quantity,
            }
        if not isinstance(item, dict):
            errors.append(FieldError(f"lines.{i}", "must be an object"))
            continue
        pid, unit, qty = item.get("product_id"), item.get("unit_price"), item.get("quantity")
        if not is_platform_id(pid):
            errors.append(
                FieldError(
                    f"lines.{i}.product_id", "must be 1–64 characters of A-Z a-z 0-9 _ . : -"
                )
            )
        if not is_whole_in(unit, 0, MAX_UNIT_PRICE):
            errors.append(
                FieldError(f"lines.{i}.unit_price", "must be a whole number of minor units ≥ 0")
            )
        if not is_whole_in(qty, 1, MAX_LINE_QUANTITY):
            errors.append(
                FieldError(f"lines.{i}.quantity", f"must be a whole number 1–{MAX_LINE_QUANTITY:,}")
            )
        if not errors:
            # the checks above passed: a platform id and two whole numbers
            lines.append(Line(cast(str, pid), cast(int, unit), cast(int, qty)))
    if errors:
        raise ValidationFailed(errors)
    if subtotal(lines) > MAX_SUBTOTAL:
        raise ValidationFailed(
            [FieldError("lines", f"the order total must not exceed {MAX_SUBTOTAL:,}")]
        )
    return lines


def _offer(claim: Claim, voucher: Voucher, product_ids: list[str], now: datetime) -> Offer:
    return Offer(
        claim_id=row_id(claim),
        voucher_id=row_id(voucher),
        status=effective_claim_status(claim, now),
        redeem_until=claim.redeem_until,
        discount_type=voucher.discount_type,
        amount=voucher.amount,
        percent=voucher.percent,
        max_discount=voucher.max_discount,
        min_spend=voucher.min_spend,
        product_ids=frozenset(product_ids) if voucher.scope == "products" else None,
        redemption_full=(
            voucher.redemption_limit is not None and voucher.redeemed >= voucher.redemption_limit
        ),
        budget_room=(
            None
            if voucher.budget is None
            else voucher.budget - voucher.budget_spent - voucher.budget_reserved + claim.reserved
        ),
    )


def _priced_view(p: Priced) -> PricedClaim:
    """Claim id 0 is a promo code's voucher not claimed yet (R-code): no claim id."""
    claim_id = p.offer.claim_id or None
    return PricedClaim(claim_id, p.offer.voucher_id, p.discount, p.usable, p.reason)


@dataclass
class CheckoutService(Service):
    # The claim path, for an order or a quote with a promo code (R-code).
    claims: Any = None

    async def _offers(
        self,
        session: AsyncSession,
        shop_id: int,
        buyer_id: str,
        now: datetime,
        extra_claim: int | None = None,
    ) -> list[Offer]:
        claims = await repo.buyer_claims(session, shop_id, buyer_id, statuses=["claimed"])
        if extra_claim is not None and all(c.id != extra_claim for c in claims):
            named = await repo.get_claim(session, shop_id, extra_claim)
            if named is not None and named.buyer_id == buyer_id:
                claims.append(named)
        vouchers = await repo.vouchers_by_ids(session, [c.voucher_id for c in claims])
        scoped = await repo.product_ids_of_vouchers(
            session,
            [row_id(v) for v in vouchers.values() if v.scope == "products"],
        )
        return [
            _offer(c, vouchers[c.voucher_id], scoped.get(c.voucher_id, []), now) for c in claims
        ]

    async def quote(
        self,
        actor: Actor,
        buyer_id: str,
        raw_lines: Sequence[object],
        *,
        code: object = None,
        key_id: str | None = None,
    ) -> QuoteView:
        """R-o3: the best usable claim and every claim considered; changes nothing. With a
        promo code (R-code), the code's voucher is priced as if claimed (claim_id None) when
        the buyer holds no claim of it, and is unusable with R-c1's code when a claim would be
        refused."""
        require(actor, Action.READ)
        check_platform_id(buyer_id, "buyer_id")
        lines = parse_lines(raw_lines)
        coded = None
        if code is not None:
            coded = await voucher_of_code(
                self.db, self.clock, actor.shop_id, code, buyer_id, key_id
            )
        now = self.clock.now()
        async with self.db.read() as session:
            offers = await self._offers(session, actor.shop_id, buyer_id, now)
        ranked = price_all(offers, lines, now)
        if coded is not None and all(p.offer.voucher_id != coded or not p.usable for p in ranked):
            ranked = await self._with_code(actor.shop_id, buyer_id, coded, lines, ranked, now)
        best = ranked[0] if ranked and ranked[0].usable else None
        total = subtotal(lines)
        return QuoteView(
            subtotal=total,
            best=_priced_view(best) if best else None,
            total=total - (best.discount if best else 0),
            considered=tuple(_priced_view(p) for p in ranked),
        )

    async def place_order(
        self,
        actor: Actor,
        order_id: str,
        buyer_id: str,
        raw_lines: Sequence[object],
        claim_id: int | None = None,
        *,
        code: object = None,
        placed_at: object = None,
        status: object = None,
        key_id: str | None = None,
    ) -> tuple[OrderView, bool]:
        """R-o4: recorded once per order_id; redeems the best usable claim, or the named one,
        or the promo code's voucher (claimed in the same call, R-code). An imported order
        (`placed_at`, `status: "cancelled"`, R-seg) redeems nothing.
        Returns the order and whether this call created it."""
        require(actor, Action.MANAGE_VOUCHERS)
        check_platform_id(order_id, "order_id")
        check_platform_id(buyer_id, "buyer_id")
        if claim_id is not None and not is_whole(claim_id):
            raise ValidationFailed([FieldError("claim_id", "must be a claim id")])
        lines = parse_lines(raw_lines)
        imported = parse_import(placed_at, status, self.clock.now())
        if imported is not None and (claim_id is not None or code is not None):
            raise ValidationFailed(
                [FieldError("placed_at", "an imported order redeems no voucher", "not_applicable")]
            )
        extra = None
        if imported is not None:
            extra = {"placed_at": imported[0].isoformat(), "status": imported[1]}
        elif code is not None:
            extra = {"code": str(code).strip().upper()}
        body_hash = _fingerprint(buyer_id, lines, claim_id, extra)
        existing = await self._existing(actor.shop_id, order_id, body_hash)
        if existing is not None:
            return existing, False
        if imported is not None:
            return await self._import(
                actor.shop_id, order_id, buyer_id, lines, body_hash, *imported
            )
        if code is not None:
            claim_id = await self._claim_code(actor.shop_id, buyer_id, code, lines, key_id)
        for _attempt in range(5):
            try:
                return await self._record(
                    actor.shop_id, order_id, buyer_id, lines, claim_id, body_hash
                ), True
            except _ClaimTaken:
                continue
            except IntegrityError:
                existing = await self._existing(actor.shop_id, order_id, body_hash)
                if existing is not None:
                    return existing, False
                raise
        raise Conflict(
            "The order's voucher was taken by another order; try again.",
            code=OrderCode.CLAIM_CONTENTION,
        )

    async def _existing(self, shop_id: int, order_id: str, body_hash: str) -> OrderView | None:
        async with self.db.read() as session:
            order = await repo.get_order(session, shop_id, order_id)
            if order is None:
                return None
            lines = await repo.order_lines(session, row_id(order))
        if order.body_hash != body_hash:
            raise Conflict(
                f"Order {order_id} was already recorded with a different body.",
                code=OrderCode.ORDER_CONFLICT,
            )
        return _order_view(order, lines)

    async def _import(
        self,
        shop_id: int,
        order_id: str,
        buyer_id: str,
        lines: list[Line],
        body_hash: str,
        placed_at: datetime,
        status: str,
    ) -> tuple[OrderView, bool]:
        """R-seg's order history: no claim, its own time, cancelled when imported so."""
        total = subtotal(lines)
        order = ShopOrder(
            shop_id=shop_id,
            order_id=order_id,
            buyer_id=buyer_id,
            subtotal=total,
            total=total,
            status=status,
            body_hash=body_hash,
            created_at=placed_at,
            cancelled_at=placed_at if status == OrderStatus.CANCELLED else None,
        )
        try:
            async with self.db.write() as session:
                session.add(order)
                await session.flush()
                session.add_all(
                    OrderLine(
                        order_ref=row_id(order),
                        line_no=i,
                        product_id=line.product_id,
                        unit_price=line.unit_price,
                        quantity=line.quantity,
                    )
                    for i, line in enumerate(lines)
                )
        except IntegrityError:
            existing = await self._existing(shop_id, order_id, body_hash)
            if existing is not None:
                return existing, False
            raise
        return OrderView.of(order, tuple(lines)), True

    async def _record(
        self,
        shop_id: int,
        order_id: str,
        buyer_id: str,
        lines: list[Line],
        claim_id: int | None,
        body_hash: str,
    ) -> OrderView:
        now = self.clock.now()
        async with self.db.write() as session:
            offers = await self._offers(session, shop_id, buyer_id, now, extra_claim=claim_id)
            chosen = self._choose(offers, lines, claim_id, now)
            total = subtotal(lines)
            discount = chosen.discount if chosen else 0
            order = ShopOrder(
                shop_id=shop_id,
                order_id=order_id,
                buyer_id=buyer_id,
                subtotal=total,
                discount=discount,
                total=total - discount,
                voucher_id=chosen.offer.voucher_id if chosen else None,
                claim_id=chosen.offer.claim_id if chosen else None,
                body_hash=body_hash,
                created_at=now,
            )
            session.add(order)
            await session.flush()
            session.add_all(
                OrderLine(
                    order_ref=row_id(order),
                    line_no=i,
                    product_id=line.product_id,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                )
                for i, line in enumerate(lines)
            )
            if chosen is not None:
                if not await repo.redeem_claim(session, chosen.offer.claim_id, row_id(order)):
                    raise _ClaimTaken
                await redeem_with_limits(session, shop_id, chosen, now)
                await analytics_store.record_order(session, order)
        return OrderView.of(order, tuple(lines))

    async def _with_code(
        self,
        shop_id: int,
        buyer_id: str,
        voucher_id: int,
        lines: list[Line],
        ranked: list[Priced],
        now: datetime,
    ) -> list[Priced]:
        priced = await price_code(self.db, shop_id, voucher_id, lines, now)
        refusal = await self.claims.would_refuse(shop_id, voucher_id, buyer_id)
        if refusal is not None:
            priced = replace(priced, discount=0, usable=False, reason=refusal)
        usable = sorted(
            [p for p in ranked if p.usable] + ([priced] if priced.usable else []), key=rank_key
        )
        unusable = [p for p in ranked if not p.usable] + ([] if priced.usable else [priced])
        return usable + unusable

    async def _claim_code(
        self,
        shop_id: int,
        buyer_id: str,
        code: object,
        lines: list[Line],
        key_id: str | None,
    ) -> int:
        """R-code at checkout: the buyer's usable claim of the code's voucher, or a new one
        when the voucher would be usable for these lines (nothing is claimed otherwise)."""
        voucher_id = await voucher_of_code(self.db, self.clock, shop_id, code, buyer_id, key_id)
        now = self.clock.now()
        async with self.db.read() as session:
            offers = await self._offers(session, shop_id, buyer_id, now)
        held = [p for p in price_all(offers, lines, now) if p.offer.voucher_id == voucher_id]
        if held and held[0].usable:
            return held[0].offer.claim_id
        priced = await price_code(self.db, shop_id, voucher_id, lines, now)
        if not priced.usable:
            raise Conflict(
                f"The promo code's voucher cannot be used for this order: {priced.reason}.",
                code=OrderCode.CLAIM_NOT_USABLE,
                reason=priced.reason,
            )
        claim = await self.claims.claim(shop_id, voucher_id, buyer_id)
        return int(claim.id)

    def _choose(
        self, offers: list[Offer], lines: list[Line], claim_id: int | None, now: datetime
    ) -> Priced | None:
        if claim_id is None:
            ranked = price_all(offers, lines, now)
            return ranked[0] if ranked and ranked[0].usable else None
        named = next((o for o in offers if o.claim_id == claim_id), None)
        if named is None:
            raise NotFound(
                f"claim {claim_id} not found for this buyer", code=OrderCode.CLAIM_NOT_FOUND
            )
        priced = price(named, lines, now)
        if not priced.usable:
            raise Conflict(
                f"Claim {claim_id} cannot be used for this order: {priced.reason}.",
                code=OrderCode.CLAIM_NOT_USABLE,
                reason=priced.reason,
            )
        return priced

    async def cancel_order(self, actor: Actor, order_id: str) -> OrderView:
        """R-o5: the order leaves the revenue figures and its claim is released (R-c3)."""
        require(actor, Action.MANAGE_VOUCHERS)
        check_platform_id(order_id, "order_id")
        now = self.clock.now()
        async with self.db.write() as session:
            order = await repo.get_order(session, actor.shop_id, order_id)
            if order is None:
                raise NotFound(f"order {order_id} not found", code=OrderCode.ORDER_NOT_FOUND)
            if order.status != "cancelled":
                order.status, order.cancelled_at = "cancelled", now
                await analytics_store.cancel_order(session, row_id(order))
                if order.claim_id is not None:
                    await self._release(session, actor.shop_id, order.claim_id, now, order.discount)
                await session.flush()
            lines = await repo.order_lines(session, row_id(order))
        return _order_view(order, lines)

    async def _release(
        self, session: AsyncSession, shop_id: int, claim_id: int, now: datetime, discount: int
    ) -> None:
        claim = await repo.get_claim(session, shop_id, claim_id)
        if claim is None or claim.status != "redeemed":
            return
        voucher = await repo.get_voucher(session, shop_id, claim.voucher_id)
        if voucher is not None and voucher.deactivated_at is not None:
            status = "void"
        elif now > claim.redeem_until:
            status = "expired"
        else:
            status = "claimed"
        await repo.release_claim(session, claim_id, status)
        # R-redeem frees a place; R-budget unspends the discount and holds again when usable.
        await targeting_queries.unredeem(
            session, claim.voucher_id, discount, claim_id, status == "claimed"
        )

    async def get_order(self, actor: Actor, order_id: str) -> OrderView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            order = await repo.get_order(session, actor.shop_id, order_id)
            if order is None:
                raise NotFound(f"order {order_id} not found", code=OrderCode.ORDER_NOT_FOUND)
            lines = await repo.order_lines(session, row_id(order))
        return _order_view(order, lines)

    async def average_order_value(self, actor: Actor) -> int | None:
        """R-a6: mean total of the shop's non-cancelled orders of the last 30 days."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            return await repo.average_order_value(
                session, actor.shop_id, self.clock.now() - AOV_WINDOW
            )


def _order_view(order: ShopOrder, lines: list[OrderLine]) -> OrderView:
    return OrderView.of(order, tuple(Line(x.product_id, x.unit_price, x.quantity) for x in lines))


def _fingerprint(
    buyer_id: str, lines: list[Line], claim_id: int | None, extra: dict[str, str] | None = None
) -> str:
    body: dict[str, Any] = {
        "buyer_id": buyer_id,
        "claim_id": claim_id,
        "lines": [[x.product_id, x.unit_price, x.quantity] for x in lines],
    }
    if extra:  # only when present, so the fingerprints of ordinary orders do not change
        body.update(extra)
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()
