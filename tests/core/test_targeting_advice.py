"""R-adv2 learns R-budget and R-seg: a budget worth fewer than 10 claims, a new-customer
voucher whose minimum spend is above the AOV, a segment with no buyer in 30 days."""

from __future__ import annotations

from datetime import timedelta

from core.rules.targeting import (
    BUDGET_LOW,
    NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV,
    SEGMENT_QUIET,
    budget_low_warning,
    segment_quiet_warning,
)
from core.services import Services
from tests.conftest import NOW, draft

LINE = [{"product_id": "x", "unit_price": 1000, "quantity": 1}]


def test_r_adv2_budget_low_at_ten_claims_worth() -> None:
    assert budget_low_warning(5_000, 500) is None  # exactly 10 claims
    low = budget_low_warning(5_000, 500, spent=400, reserved=100)
    assert low is not None and low.code == BUDGET_LOW and low.data["claims"] == 9
    assert budget_low_warning(None, 500) is None


def test_r_adv2_segment_quiet_after_30_days() -> None:
    assert segment_quiet_warning("all", None, NOW) is None
    assert segment_quiet_warning("new_followers", NOW - timedelta(days=30), NOW) is None
    quiet = segment_quiet_warning("new_followers", NOW - timedelta(days=31), NOW)
    assert quiet is not None and quiet.code == SEGMENT_QUIET


async def test_r_adv2_warnings_at_creation(services: Services, seller, platform):
    for i in range(3):  # an AOV of 1,000
        await services.checkout.place_order(
            platform, f"o{i}", f"b{i}", LINE, placed_at=NOW - timedelta(days=1)
        )
    v = await services.vouchers.create(
        seller, draft(segment="new_customers", budget=2_000, min_spend=2_000)
    )
    codes = {w.code for w in v.warnings}
    assert codes == {BUDGET_LOW, NEW_CUSTOMERS_MIN_SPEND_ABOVE_AOV}


async def test_r_adv2_advice_lists_budget_and_quiet_segment(services: Services, seller):
    v = await services.vouchers.create(
        seller, draft(name="Lapsed", segment="lapsed_customers", budget=4_000)
    )
    advice = await services.advice.advice(seller)
    mine = {a.code for a in advice.warnings if a.voucher_id == v.id}
    assert mine == {BUDGET_LOW, SEGMENT_QUIET}
