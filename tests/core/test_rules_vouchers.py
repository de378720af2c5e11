"""Pure voucher rules R-v1…R-v9 (no database)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.rules.vouchers import (
    Status,
    claim_redeem_until,
    edit_refusal,
    estimated_spend,
    low_max_discount_warning,
    status_of,
    validate_draft,
)
from tests.conftest import NOW, draft, percent_draft


def fields(d, now=NOW, catalog=None) -> set[str]:  # type: ignore[no-untyped-def]
    return {e.field for e in validate_draft(d, now, catalog)}


def test_valid_drafts_have_no_errors() -> None:
    assert fields(draft()) == set()
    assert fields(percent_draft()) == set()


def test_r_v1_kind_is_regular_or_live() -> None:
    assert fields(draft(kind="live")) == set()
    assert fields(draft(kind="flash")) == {"kind"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "discount.amount"),
        ({"amount": None}, "discount.amount"),
        ({"amount": "5"}, "discount.amount"),
        ({"discount_type": "bogo"}, "discount.type"),
    ],
)
def test_r_v2_amount_off(overrides: dict, field: str) -> None:
    assert field in fields(draft(**overrides))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"percent": 0}, "discount.percent"),
        ({"percent": 100}, "discount.percent"),
        ({"percent": 150}, "discount.percent"),
        ({"max_discount": None}, "discount.max_discount"),
        ({"max_discount": 0}, "discount.max_discount"),
        ({"amount": 100}, "discount.amount"),
    ],
)
def test_r_v2_percentage_off(overrides: dict, field: str) -> None:
    assert field in fields(percent_draft(**overrides))


def test_r_v2_percent_bounds_accepted() -> None:
    assert fields(percent_draft(percent=1)) == set()
    assert fields(percent_draft(percent=99)) == set()


def test_r_v3_amount_must_be_below_min_spend() -> None:
    assert fields(draft(amount=2000, min_spend=2000)) == {"discount.amount"}
    assert fields(draft(amount=1999, min_spend=2000)) == set()
    assert fields(draft(amount=5000, min_spend=0)) == set()
    assert fields(draft(min_spend=-1)) == {"min_spend"}


def test_r_v4_scope_products_must_exist_and_be_1_to_100() -> None:
    products = draft(scope="products", product_ids=("p1", "p2"))
    assert fields(products, catalog={"p1", "p2"}) == set()
    assert fields(products, catalog={"p1"}) == {"scope.product_ids"}
    assert fields(draft(scope="products", product_ids=())) == {"scope.product_ids"}
    many = tuple(f"p{i}" for i in range(101))
    assert fields(draft(scope="products", product_ids=many)) == {"scope.product_ids"}
    assert fields(draft(scope="products", product_ids=("p1", "p1"))) == {"scope.product_ids"}
    assert fields(draft(scope="products", product_ids=("bad id!",))) == {"scope.product_ids"}
    assert fields(draft(scope="category")) == {"scope.type"}


def test_r_v5_quantities() -> None:
    assert fields(draft(total_quantity=0)) == {"total_quantity"}
    assert fields(draft(total_quantity=1_000_001)) == {"total_quantity"}
    assert fields(draft(total_quantity=1_000_000, per_customer_limit=100)) == set()
    assert fields(draft(per_customer_limit=0)) == {"per_customer_limit"}
    assert fields(draft(per_customer_limit=101)) == {"per_customer_limit"}
    assert fields(draft(total_quantity=3, per_customer_limit=4)) == {"per_customer_limit"}


def test_r_v6_claim_period() -> None:
    assert fields(draft(ends_at=NOW)) == {"ends_at"}
    assert fields(draft(ends_at=NOW + timedelta(days=180))) == set()
    assert fields(draft(ends_at=NOW + timedelta(days=180, seconds=1))) == {"ends_at"}
    assert fields(draft(starts_at=NOW - timedelta(minutes=5))) == set()
    assert fields(draft(starts_at=NOW - timedelta(minutes=5, seconds=1))) == {"starts_at"}
    naive = NOW.replace(tzinfo=None)
    assert fields(draft(starts_at=naive)) == {"starts_at"}


def test_r_v6_redeem_until_and_valid_days() -> None:
    ends = NOW + timedelta(days=7)
    assert fields(draft(redeem_until=ends)) == set()
    assert fields(draft(redeem_until=ends - timedelta(seconds=1))) == {"redeem_until"}
    assert fields(draft(valid_days=90)) == set()
    assert fields(draft(valid_days=91)) == {"valid_days"}
    assert fields(draft(valid_days=0)) == {"valid_days"}
    assert fields(draft(valid_days=3, redeem_until=ends)) == {"redeem_until"}
    # the claim's deadline: fixed date, ends_at by default, or valid_days after claiming
    claimed = NOW + timedelta(hours=1)
    assert claim_redeem_until(claimed, ends, None, None) == ends
    assert claim_redeem_until(claimed, ends, ends + timedelta(days=1), None) == ends + timedelta(
        days=1
    )
    assert claim_redeem_until(claimed, ends, None, 3) == claimed + timedelta(days=3)


def test_r_v7_estimated_spend() -> None:
    assert estimated_spend(draft(amount=500, total_quantity=100)) == 50_000
    assert estimated_spend(percent_draft(max_discount=1000, total_quantity=30)) == 30_000


def test_r_v7_estimated_spend_counts_the_budget_and_the_uses_allowed() -> None:
    """R-budget, R-redeem: the voucher can never spend more than its budget, nor on more
    orders than its uses allowed."""
    assert estimated_spend(draft(amount=500, total_quantity=100, budget=20_000)) == 20_000
    assert estimated_spend(draft(amount=500, total_quantity=100, redemption_limit=30)) == 15_000
    both = draft(amount=500, total_quantity=100, redemption_limit=30, budget=10_000)
    assert estimated_spend(both) == 10_000
    assert estimated_spend(draft(amount=500, total_quantity=100, budget=90_000)) == 50_000


def test_r_v8_seller_center_faq_example() -> None:
    """20% off, maximum $1, product A at $100 → nominal $20, capped $1, final price $99."""
    d = percent_draft(percent=20, max_discount=100, scope="products", product_ids=("A",))
    w = low_max_discount_warning(d, aov=None, scoped_prices=[10_000])
    assert w is not None
    assert w.message == "Maximum Discount Per Order is Low"
    assert w.data == {"basket": 10_000, "nominal": 2_000, "capped": 100, "final_price": 9_900}


def test_r_v8_reference_basket_is_largest_of_min_spend_aov_and_price() -> None:
    d = percent_draft(percent=10, max_discount=400, min_spend=5_000)
    # ½ × 10% × basket: 250 for 5,000 (no warning), 500 for 10,000 (warning)
    assert low_max_discount_warning(d, aov=None, scoped_prices=[]) is None
    w = low_max_discount_warning(d, aov=10_000, scoped_prices=[])
    assert w is not None and w.data["basket"] == 10_000
    # scoped prices only count for product-scoped vouchers
    assert low_max_discount_warning(d, aov=None, scoped_prices=[50_000]) is None
    # the boundary: max_discount == ½ × percent% × basket is not low
    assert (
        low_max_discount_warning(
            percent_draft(percent=10, max_discount=500, min_spend=10_000), None, []
        )
        is None
    )
    assert low_max_discount_warning(draft(), aov=10**9, scoped_prices=[]) is None


def test_r_v9_status_derived_from_clock() -> None:
    start, end = NOW, NOW + timedelta(days=1)
    assert status_of(start, end, None, start - timedelta(seconds=1)) == Status.UPCOMING
    assert status_of(start, end, None, start) == Status.ONGOING
    assert status_of(start, end, None, end - timedelta(microseconds=1)) == Status.ONGOING
    assert status_of(start, end, None, end) == Status.ENDED
    assert status_of(start, end, NOW, start - timedelta(days=1)) == Status.DEACTIVATED


def test_r_v10_edit_refusals() -> None:
    assert edit_refusal(Status.UPCOMING, {"name": "x", "percent": 5}, 10) is None
    assert edit_refusal(Status.ONGOING, {"total_quantity": 11}, 10) is None
    refused = edit_refusal(Status.ONGOING, {"name": "x"}, 10)
    assert refused and "R-v10" in refused and "name" in refused
    assert edit_refusal(Status.ONGOING, {"total_quantity": 9}, 10)
    assert edit_refusal(Status.ENDED, {"total_quantity": 11}, 10)
    assert edit_refusal(Status.DEACTIVATED, {"total_quantity": 11}, 10)
