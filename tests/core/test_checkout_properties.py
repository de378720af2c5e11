"""Property tests for R-o2/R-o3: discounts are bounded, the best claim is the greatest, totals
are never negative."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rules.checkout import Line, Offer, best, discount_for, eligible_subtotal, price_all
from tests.conftest import NOW

PRODUCTS = ["a", "b", "c", "d"]

lines_st = st.lists(
    st.builds(Line, st.sampled_from(PRODUCTS), st.integers(0, 100_000), st.integers(1, 20)),
    min_size=1,
    max_size=6,
)


@st.composite
def offers_st(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, 6))
    out = []
    for i in range(n):
        percent = draw(st.booleans())
        scoped = draw(st.booleans())
        out.append(
            Offer(
                claim_id=i + 1,
                voucher_id=100 + i,
                status=draw(st.sampled_from(["claimed", "claimed", "claimed", "redeemed", "void"])),
                redeem_until=NOW + timedelta(hours=draw(st.integers(-5, 50))),
                discount_type="percent" if percent else "amount",
                amount=None if percent else draw(st.integers(1, 50_000)),
                percent=draw(st.integers(1, 99)) if percent else None,
                max_discount=draw(st.integers(1, 50_000)) if percent else None,
                min_spend=draw(st.integers(0, 200_000)),
                product_ids=frozenset(draw(st.sets(st.sampled_from(PRODUCTS), min_size=1)))
                if scoped
                else None,
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(offers_st(), lines_st)
def test_r_o2_discount_bounded_by_eligible_subtotal_and_max_discount(offers, lines) -> None:
    for offer in offers:
        eligible = eligible_subtotal(lines, offer.product_ids)
        d = discount_for(offer, eligible)
        assert 0 <= d <= eligible
        if offer.max_discount is not None:
            assert d <= offer.max_discount
        if offer.amount is not None:
            assert d <= offer.amount


@settings(max_examples=300, deadline=None)
@given(offers_st(), lines_st)
def test_r_o3_best_is_greatest_usable_and_total_never_negative(offers, lines) -> None:
    ranked = price_all(offers, lines, NOW)
    chosen = best(offers, lines, NOW)
    usable = [p for p in ranked if p.usable]
    subtotal = sum(line.amount for line in lines)
    if not usable:
        assert chosen is None
        return
    assert chosen is not None
    assert chosen.discount == max(p.discount for p in usable)
    ties = [p for p in usable if p.discount == chosen.discount]
    assert chosen.offer.redeem_until == min(p.offer.redeem_until for p in ties)
    assert subtotal - chosen.discount >= 0
    for p in usable:
        assert p.offer.status == "claimed" and p.offer.redeem_until >= NOW
        assert eligible_subtotal(lines, p.offer.product_ids) >= max(1, p.offer.min_spend)


@settings(max_examples=100, deadline=None)
@given(offers_st(), lines_st)
def test_r_o3_pricing_is_pure(offers, lines) -> None:
    snapshot = list(offers), list(lines)
    assert price_all(offers, lines, NOW) == price_all(offers, lines, NOW)
    assert (offers, lines) == snapshot
