"""Vouchers: create (with a dry run), read, edit, deactivate (R-v1…R-v11)."""

from __future__ import annotations

from typing import Any

from bot.http.inputs import (
    CreateVoucherQuery,
    DiscountIn,
    ScopeIn,
    VoucherIn,
    VoucherPatch,
    VoucherPath,
    VoucherQuery,
)
from bot.http.outputs import VoucherOut, VoucherPage, voucher_out
from bot.http.routing import Call, Reply, Route, decode_cursor, page
from core.rules.vouchers import VoucherDraft


def _discount_fields(d: DiscountIn) -> dict[str, Any]:
    return {
        "discount_type": d.type,
        "amount": d.amount,
        "percent": d.percent,
        "max_discount": d.max_discount,
    }


def _scope_fields(s: ScopeIn) -> dict[str, Any]:
    return {"scope": s.type, "product_ids": tuple(s.product_ids or ())}


def draft_of(body: VoucherIn) -> VoucherDraft:
    return VoucherDraft(
        name=body.name,
        kind=body.kind,
        total_quantity=body.total_quantity,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        min_spend=body.min_spend,
        per_customer_limit=body.per_customer_limit,
        redeem_until=body.redeem_until,
        valid_days=body.valid_days,
        segment=body.segment,
        budget=body.budget,
        code=body.code,
        redemption_limit=body.redemption_limit,
        **_discount_fields(body.discount),
        **_scope_fields(body.scope),
    )


def changes_of(patch: VoucherPatch) -> dict[str, Any]:
    """Only the fields the request names, as VoucherDraft field names."""
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name == "discount":
            changes.update(_discount_fields(value) if value else {"discount_type": None})
        elif name == "scope":
            changes.update(_scope_fields(value) if value else {"scope": None})
        else:
            changes[name] = value
    return changes


async def create_voucher(call: Call[VoucherIn, CreateVoucherQuery, None]) -> Reply:
    draft = draft_of(call.body)
    vouchers = call.services.vouchers
    if call.query.dry_run:
        return Reply(voucher_out(await vouchers.preview(call.actor, draft)), 200)
    return Reply(voucher_out(await vouchers.create(call.actor, draft)), 201)


async def list_vouchers(call: Call[None, VoucherQuery, None]) -> VoucherPage:
    q = call.query
    rows = await call.services.vouchers.list(
        call.actor,
        status=q.status,
        kind=q.kind,
        limit=q.limit + 1,
        after_id=decode_cursor(q.cursor),
    )
    items, cursor = page(rows, q.limit, lambda v: v.id)
    return VoucherPage(items=[voucher_out(v) for v in items], next_cursor=cursor)


async def get_voucher(call: Call[None, None, VoucherPath]) -> VoucherOut:
    return voucher_out(await call.services.vouchers.get(call.actor, call.path.voucher_id))


async def edit_voucher(call: Call[VoucherPatch, None, VoucherPath]) -> VoucherOut:
    view = await call.services.vouchers.edit(
        call.actor, call.path.voucher_id, changes_of(call.body)
    )
    return voucher_out(view)


async def deactivate_voucher(call: Call[None, None, VoucherPath]) -> VoucherOut:
    return voucher_out(await call.services.vouchers.deactivate(call.actor, call.path.voucher_id))


ROUTES = [
    Route(
        "POST",
        "/v1/vouchers",
        "Create a voucher (or validate it with ?dry_run=true)",
        "vouchers",
        create_voucher,
        query=CreateVoucherQuery,
        body=VoucherIn,
        response=VoucherOut,
        status=201,
        other_responses={200: "Dry run: the computed voucher, not saved."},
        problems=(409,),
        description="R-v1…R-v8. The answer includes `estimated_spend` (R-v7) and `warnings`, "
        "such as `low_max_discount` (Maximum Discount Per Order is Low, R-v8); a voucher with "
        "warnings is still created exactly as configured.",
        idempotent=True,
    ),
    Route(
        "GET",
        "/v1/vouchers",
        "List vouchers",
        "vouchers",
        list_vouchers,
        query=VoucherQuery,
        response=VoucherPage,
    ),
    Route(
        "GET",
        "/v1/vouchers/{voucher_id}",
        "Read a voucher",
        "vouchers",
        get_voucher,
        params=VoucherPath,
        response=VoucherOut,
    ),
    Route(
        "PATCH",
        "/v1/vouchers/{voucher_id}",
        "Edit a voucher",
        "vouchers",
        edit_voucher,
        params=VoucherPath,
        body=VoucherPatch,
        response=VoucherOut,
        problems=(409,),
        description="R-v10: an upcoming voucher may change any field; an ongoing one only a "
        "larger `total_quantity`; ended and deactivated ones nothing (409 `edit_not_allowed`).",
    ),
    Route(
        "POST",
        "/v1/vouchers/{voucher_id}/deactivate",
        "Deactivate a voucher (idempotent)",
        "vouchers",
        deactivate_voucher,
        params=VoucherPath,
        response=VoucherOut,
        problems=(409,),
        description="R-v11: no new claims, its distributions stop, unused claims become void.",
    ),
]
