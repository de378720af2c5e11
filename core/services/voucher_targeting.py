"""The voucher service's share of R-seg, R-budget and R-code: checks that need the database
(a code unique among the shop's upcoming and ongoing vouchers; one `new_customers` voucher
ongoing at a time) and raising an ongoing voucher's budget (R-v10)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, invalid
from core.ids import row_id
from core.refusal_codes import VoucherCode
from core.rules.targeting import MAX_BUDGET, Segment, normal_code
from core.rules.vouchers import VoucherDraft
from core.values import is_whole_in
from storage import targeting_queries as q
from storage.models import Voucher


def normal_draft(draft: VoucherDraft) -> VoucherDraft:
    """Codes are read case-insensitively and stored upper case (R-code); an empty one is none."""
    if isinstance(draft.code, str):
        code = draft.code.strip()
        if not code:
            return replace(draft, code=None)
        return replace(draft, code=normal_code(code) or code)
    return draft


async def check_targeting(
    session: AsyncSession,
    shop_id: int,
    draft: VoucherDraft,
    now: datetime,
    voucher_id: int | None,
) -> None:
    """The rules of a valid draft that read other vouchers. The caller holds the shop's row
    lock when the draft has a code or targets new customers, so two such writes cannot both
    pass these checks."""
    if draft.code is not None:
        other = await q.voucher_with_code(session, shop_id, draft.code, now, voucher_id)
        if other is not None:
            raise Conflict(
                f"The code is already used by voucher {other.name!r} (R-code).",
                code=VoucherCode.CODE_TAKEN,
                voucher_name=other.name,
            )
    if draft.segment == Segment.NEW_CUSTOMERS:
        name = await q.other_new_customers_voucher(
            session, shop_id, draft.starts_at, draft.ends_at, voucher_id
        )
        if name is not None:
            raise Conflict(
                f"Voucher {name!r} already targets new customers in this period (R-seg).",
                code=VoucherCode.NEW_CUSTOMERS_VOUCHER_EXISTS,
                voucher_name=name,
            )


async def raise_budget(
    session: AsyncSession, voucher: Voucher, new_budget: object, now: datetime
) -> None:
    """R-budget, R-v10: an ongoing voucher's budget may only grow (and only if it has one)."""
    current = voucher.budget
    if current is None:
        raise Conflict(
            "An ongoing voucher without a budget cannot get one (R-v10).",
            code=VoucherCode.EDIT_NOT_ALLOWED,
        )
    if not is_whole_in(new_budget, current, MAX_BUDGET):
        raise invalid(
            "budget",
            f"must be a whole number from {current:,} to {MAX_BUDGET:,}",
            "out_of_range",
            lo=current,
            hi=MAX_BUDGET,
        )
    if not await q.raise_budget(session, row_id(voucher), new_budget):
        raise Conflict("budget can only increase (R-v10)", code=VoucherCode.EDIT_NOT_ALLOWED)
    voucher.budget = new_budget
    voucher.updated_at = now
