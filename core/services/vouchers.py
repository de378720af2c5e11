"""Creating, reading, editing and deactivating vouchers (R-v1…R-v12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import events
from core.errors import Conflict, ValidationFailed, invalid
from core.ids import row_id
from core.notifications import deactivated_text, low_discount_text, notify
from core.refusal_codes import VoucherCode
from core.rules.checkout import AOV_WINDOW
from core.rules.roles import Action, Actor
from core.rules.vouchers import (
    EDITABLE_FIELDS,
    LOW_MAX_DISCOUNT,
    MAX_QUANTITY,
    Status,
    VoucherDraft,
    Warning,
    edit_refusal,
    low_max_discount_warning,
    status_of,
    unit_discount_cap,
    validate_draft,
)
from core.services.base import Service, require
from core.services.claim_cache import ClaimCache
from core.services.live import stop_distribution_row
from core.services.voucher_targeting import check_targeting, normal_draft, raise_budget
from core.values import is_whole, is_whole_in
from core.views import VoucherView
from storage import repositories as repo
from storage.models import Shop, Voucher

VOUCHER_STATUSES = tuple(s.value for s in Status)
# Refusal code: a low maximum discount (R-v8) the seller has not seen and accepted.
LOW_DISCOUNT_UNACKNOWLEDGED = VoucherCode.LOW_DISCOUNT_UNACKNOWLEDGED  # its old name, for importers


@dataclass
class VoucherService(Service):
    # Edits and deactivations must reach the claim path's snapshot at once in this process.
    claim_cache: ClaimCache | None = None

    def _changed(self, voucher_id: int) -> None:
        if self.claim_cache is not None:
            self.claim_cache.forget(voucher_id)

    # --- computing -------------------------------------------------------------------------

    async def _check(
        self,
        session: AsyncSession,
        shop_id: int,
        draft: VoucherDraft,
        now: datetime,
        voucher_id: int | None = None,
    ) -> tuple[Warning, ...]:
        """Validates a draft against the rules and the catalog; returns its warnings."""
        products = await repo.products_by_ids(session, shop_id, draft.product_ids)
        errors = validate_draft(draft, now, catalog=[p.product_id for p in products])
        if errors:
            raise ValidationFailed(errors)
        await check_targeting(session, shop_id, draft, now, voucher_id)
        from core.services.advice import creation_warnings  # local: only _check needs it

        aov = await repo.average_order_value(session, shop_id, now - AOV_WINDOW)
        warning = low_max_discount_warning(draft, aov, [p.price for p in products])
        # R-adv2: a LIVE draft less attractive than an ongoing Regular voucher (not blocking).
        advice = await creation_warnings(session, shop_id, draft, now, aov)
        return ((warning,) if warning else ()) + advice

    async def preview(self, actor: Actor, draft: VoucherDraft) -> VoucherView:
        """Validation, estimated spend (R-v7) and warnings (R-v8), nothing saved."""
        require(actor, Action.MANAGE_VOUCHERS)
        draft = normal_draft(draft)
        now = self.clock.now()
        async with self.db.read() as session:
            warnings = await self._check(session, actor.shop_id, draft, now)
        return VoucherView.of_draft(draft, shop_id=actor.shop_id, now=now, warnings=warnings)

    # --- writing ---------------------------------------------------------------------------

    async def create(
        self, actor: Actor, draft: VoucherDraft, *, low_discount_acknowledged: bool = True
    ) -> VoucherView:
        """Saves the voucher exactly as configured, warnings or not; a low maximum discount is
        announced to the team in the same transaction (R-v8, R-n1). A caller that shows R-v8
        before saving (the bot's Submit / Continue) passes whether the seller accepted it: a
        low maximum discount not accepted is refused with LOW_DISCOUNT_UNACKNOWLEDGED and
        nothing is written — one check, in the transaction that saves."""
        require(actor, Action.MANAGE_VOUCHERS)
        draft = normal_draft(draft)
        now = self.clock.now()
        async with self.db.write() as session:
            if draft.code is not None or draft.segment == "new_customers":
                await self._shop(session, actor.shop_id, lock=True)  # one such write at a time
            warnings = await self._check(session, actor.shop_id, draft, now)
            low = next((w for w in warnings if w.code == LOW_MAX_DISCOUNT), None)
            if low is not None and not low_discount_acknowledged:
                raise Conflict(
                    "The maximum discount per order is low; confirm to create it anyway.",
                    code=VoucherCode.LOW_DISCOUNT_UNACKNOWLEDGED,
                    params=dict(low.data),
                )
            voucher = Voucher(
                shop_id=actor.shop_id,
                **_columns(draft),
                low_discount_warning=low is not None,
                created_at=now,
                updated_at=now,
                created_by_account_id=actor.account_id,
            )
            session.add(voucher)
            await session.flush()
            await repo.replace_voucher_products(session, row_id(voucher), draft.product_ids)
            await events.emit(  # R-ev1
                session,
                actor.shop_id,
                events.EventType.VOUCHER_CREATED,
                events.voucher_data(voucher),
                now,
            )
            if low is not None:
                shop = await self._shop(session, actor.shop_id)
                by = await self._account(session, actor)
                await notify(
                    session,
                    shop,
                    event_key=f"voucher:{voucher.id}:low_discount",
                    kind="low_discount",
                    text=low_discount_text(shop, voucher, low, by),
                    now=now,
                )
        return VoucherView.of(voucher, list(draft.product_ids), now, warnings)

    async def edit(
        self,
        actor: Actor,
        voucher_id: int,
        changes: Mapping[str, Any],
        *,
        deltas: Mapping[str, int] | None = None,
    ) -> VoucherView:
        """R-v10: upcoming → any field (validated as at creation); ongoing → only a larger
        total_quantity or budget; ended and deactivated → nothing.

        `deltas` are added to the values read under the row lock, in the transaction that
        checks the rules, so two raises at once (two hosts, the bot and the API) both land
        instead of both reading the same old value and one overwriting the other."""
        require(actor, Action.MANAGE_VOUCHERS)
        unknown = sorted((set(changes) | set(deltas or {})) - set(EDITABLE_FIELDS))
        if unknown:
            raise invalid(unknown[0], "cannot be changed")
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._voucher(session, actor.shop_id, voucher_id, lock=True)
            if deltas:
                changes = {**changes, **_raised(voucher, deltas)}
            status = status_of(voucher.starts_at, voucher.ends_at, voucher.deactivated_at, now)
            refusal = edit_refusal(status, changes, voucher.total_quantity)
            if refusal:
                raise Conflict(refusal, code=VoucherCode.EDIT_NOT_ALLOWED, status=status.value)
            product_ids = await repo.voucher_product_ids(session, voucher_id)
            if status == Status.ONGOING:
                new_total = changes.get("total_quantity", voucher.total_quantity)
                warnings = await self._raise_total(session, voucher, new_total, now)
                if "budget" in changes:
                    await raise_budget(session, voucher, changes["budget"], now)
            else:
                current = VoucherView.of(voucher, product_ids, now).draft()
                draft = normal_draft(
                    current.with_changes(
                        {k: tuple(v) if k == "product_ids" else v for k, v in changes.items()}
                    )
                )
                if draft.code is not None or draft.segment == "new_customers":
                    await self._shop(session, actor.shop_id, lock=True)
                warnings = await self._check(session, actor.shop_id, draft, now, voucher_id)
                for key, value in _columns(draft).items():
                    setattr(voucher, key, value)
                voucher.low_discount_warning = any(w.code == LOW_MAX_DISCOUNT for w in warnings)
                voucher.updated_at = now
                await repo.replace_voucher_products(session, voucher_id, draft.product_ids)
                product_ids = list(draft.product_ids)
            await session.flush()
            await events.emit(  # R-ev1
                session,
                actor.shop_id,
                events.EventType.VOUCHER_UPDATED,
                {**events.voucher_data(voucher), "changed": sorted(changes)},
                now,
            )
        self._changed(voucher_id)
        return VoucherView.of(voucher, product_ids, now, warnings)

    async def _raise_total(
        self, session: AsyncSession, voucher: Voucher, new_total: object, now: datetime
    ) -> tuple[Warning, ...]:
        if not is_whole_in(new_total, voucher.total_quantity, MAX_QUANTITY):
            raise invalid(
                "total_quantity",
                f"must be a whole number from {voucher.total_quantity:,} to {MAX_QUANTITY:,}",
                "out_of_range",
                lo=voucher.total_quantity,
                hi=MAX_QUANTITY,
            )
        if not await repo.raise_quantity(session, row_id(voucher), new_total, now):
            raise Conflict(
                "total_quantity can only increase (R-v10)", code=VoucherCode.EDIT_NOT_ALLOWED
            )
        voucher.total_quantity = new_total
        voucher.updated_at = now
        return ()

    async def add_quantity(self, actor: Actor, voucher_id: int, n: int) -> VoucherView:
        """`/addqty`: total_quantity += n, on an upcoming or ongoing voucher."""
        if not is_whole(n) or n < 1:
            raise invalid(
                "quantity",
                "must be a whole number of at least 1",
                "out_of_range",
                lo=1,
                hi=MAX_QUANTITY,
            )
        return await self.edit(actor, voucher_id, {}, deltas={"total_quantity": n})

    async def add_budget(self, actor: Actor, voucher_id: int, amount: int) -> VoucherView:
        """`/addbudget`: budget += amount (R-budget: raised like total_quantity, R-v10), on an
        upcoming or ongoing voucher that has a budget."""
        if not is_whole(amount) or amount < 1:
            raise invalid("budget", "must be a whole number of at least 1", "out_of_range", lo=1)
        return await self.edit(actor, voucher_id, {}, deltas={"budget": amount})

    async def deactivate(self, actor: Actor, voucher_id: int) -> VoucherView:
        """R-v11: ends the promotion (no claims, distributions stop, unused claims void);
        repeating it changes nothing."""
        require(actor, Action.MANAGE_VOUCHERS)
        now = self.clock.now()
        async with self.db.write() as session:
            voucher = await self._voucher(session, actor.shop_id, voucher_id, lock=True)
            status = status_of(voucher.starts_at, voucher.ends_at, voucher.deactivated_at, now)
            if status == Status.ENDED:
                raise Conflict(
                    "An ended voucher cannot be deactivated (R-v11).",
                    code=VoucherCode.EDIT_NOT_ALLOWED,
                    status=status.value,
                )
            if status != Status.DEACTIVATED:
                await self._deactivate(session, voucher, actor, now)
            product_ids = await repo.voucher_product_ids(session, voucher_id)
        self._changed(voucher_id)
        return VoucherView.of(voucher, product_ids, now)

    async def _deactivate(
        self, session: AsyncSession, voucher: Voucher, actor: Actor, now: datetime
    ) -> None:
        voucher.deactivated_at = now
        voucher.deactivated_by_account_id = actor.account_id
        voucher.updated_at = now
        await session.flush()
        shop: Shop = await self._shop(session, actor.shop_id)
        by = await self._account(session, actor)
        async with events.deferred(session):  # R-ev1: the event counter is locked last
            for d in await repo.active_distributions(session, voucher_id=voucher.id):
                await stop_distribution_row(session, shop, d, now, "deactivated", by)
        voided = await repo.void_claims_of_voucher(session, row_id(voucher))
        await session.refresh(voucher)  # the reservations they gave back (R-budget)
        await events.emit(  # R-ev1
            session,
            actor.shop_id,
            events.EventType.VOUCHER_DEACTIVATED,
            {**events.voucher_data(voucher), "voided_claims": voided},
            now,
        )
        await notify(
            session,
            shop,
            event_key=f"voucher:{voucher.id}:deactivated",
            kind="deactivated",
            text=deactivated_text(voucher, by, voided),
            now=now,
        )

    # --- reading ---------------------------------------------------------------------------

    async def get(self, actor: Actor, voucher_id: int) -> VoucherView:
        require(actor, Action.READ)
        now = self.clock.now()
        async with self.db.read() as session:
            voucher = await self._voucher(session, actor.shop_id, voucher_id)
            product_ids = await repo.voucher_product_ids(session, voucher_id)
        return VoucherView.of(voucher, product_ids, now, _stored_warnings(voucher))

    async def list(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        after_id: int | None = None,
    ) -> list[VoucherView]:
        require(actor, Action.READ)
        if status is not None and status not in VOUCHER_STATUSES:
            raise invalid("status", f"must be one of {', '.join(VOUCHER_STATUSES)}")
        now = self.clock.now()
        async with self.db.read() as session:
            rows = await repo.list_vouchers(
                session,
                actor.shop_id,
                now=now,
                status=status,
                kind=kind,
                limit=limit,
                after_id=after_id,
            )
            products = await repo.product_ids_of_vouchers(session, [row_id(v) for v in rows])
        return [VoucherView.of(v, products[row_id(v)], now, _stored_warnings(v)) for v in rows]


def _raised(voucher: Voucher, deltas: Mapping[str, int]) -> dict[str, Any]:
    """The new values of raised fields, from the locked row (R-v10); a budget is only raised
    where there is one (R-budget)."""
    raised: dict[str, Any] = {}
    for field, delta in deltas.items():
        current = getattr(voucher, field)
        if current is None:
            raise Conflict(
                "This voucher has no budget to raise (R-budget).", code=VoucherCode.NO_BUDGET
            )
        raised[field] = current + delta
    return raised


def _stored_warnings(voucher: Voucher) -> tuple[Warning, ...]:
    if voucher.low_discount_warning:
        return (Warning(LOW_MAX_DISCOUNT, "Maximum Discount Per Order is Low"),)
    return ()


def _columns(draft: VoucherDraft) -> dict[str, Any]:
    return {
        "name": draft.name.strip(),
        "kind": draft.kind,
        "discount_type": draft.discount_type,
        "amount": draft.amount,
        "percent": draft.percent,
        "max_discount": draft.max_discount,
        "min_spend": draft.min_spend,
        "scope": draft.scope,
        "total_quantity": draft.total_quantity,
        "per_customer_limit": draft.per_customer_limit,
        "starts_at": draft.starts_at,
        "ends_at": draft.ends_at,
        "redeem_until": draft.redeem_until,
        "valid_days": draft.valid_days,
        "segment": draft.segment,
        "code": draft.code,
        "budget": draft.budget,
        # R-budget: what each claim holds of the budget (none without one).
        "budget_hold": unit_discount_cap(draft) if draft.budget is not None else 0,
        "redemption_limit": draft.redemption_limit,
    }
