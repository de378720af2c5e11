"""R-adv1 tiers and R-adv2 warnings."""

from __future__ import annotations

from datetime import timedelta

from core.rules.advice import (
    LIVE_LESS_ATTRACTIVE,
    Terms,
    follow_multi_claim_warning,
    live_less_attractive_warning,
    spend_tiers,
)
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import NOW, draft, percent_draft


def test_r_adv1_tiers_from_aov() -> None:
    tiers = spend_tiers(3000)
    assert [(t.name, t.min_spend, t.amount_off, t.percent_off) for t in tiers] == [
        ("low", 3600, 180, 5),
        ("medium", 4100, 320, 8),
        ("high", 4500, 450, 10),
    ]
    assert all(t.max_discount == t.amount_off < t.min_spend for t in tiers)


def test_live_less_attractive_at_the_reference_basket() -> None:
    regular = Terms("amount", 500, None, None, 2000, voucher_id=7, name="R")
    weak = Terms.of_draft(percent_draft(kind="live", percent=10, max_discount=1000))
    # Basket = max(AOV 3000, 0, 2000) = 3000: LIVE 300 < Regular 500.
    warning = live_less_attractive_warning(weak, [regular], 3000)
    assert warning is not None and warning.code == LIVE_LESS_ATTRACTIVE
    assert warning.data == {
        "basket": 3000,
        "live_discount": 300,
        "regular_discount": 500,
        "regular_voucher_id": 7,
    }
    strong = Terms.of_draft(percent_draft(kind="live", percent=30, max_discount=1000))
    assert live_less_attractive_warning(strong, [regular], 3000) is None
    scoped = Terms("amount", 900, None, None, 0, "products", frozenset({"x"}), 8, "S")
    assert live_less_attractive_warning(weak, [scoped], 3000) is None  # other basket


def test_follow_task_with_several_claims() -> None:
    assert follow_multi_claim_warning("follow", 2) is not None
    assert follow_multi_claim_warning("follow", 1) is None
    assert follow_multi_claim_warning("watch", 3) is None


async def test_advice_without_history(services: Services, seller: Actor) -> None:
    advice = await services.advice.advice(seller)
    assert advice.tiers == () and advice.aov is None
    assert "Not enough order history" in (advice.history_note or "")


async def test_r_adv2_advice_with_history_and_low_redemption(
    services: Services, seller: Actor, clock
) -> None:  # type: ignore[no-untyped-def]
    platform = Actor.platform(seller.shop_id)
    await services.products.upsert(platform, "p1", name="Mug", price=3000)
    line = [{"product_id": "p1", "unit_price": 3000, "quantity": 1}]
    for i in range(10):
        await services.checkout.place_order(platform, f"o{i}", f"b{i}", line)
    v = await services.vouchers.create(
        seller, draft(name="Big spend", min_spend=10_000, scope="products", product_ids=("p1",))
    )
    for i in range(20):
        await services.claims.claim(seller.shop_id, v.id, f"c{i}")  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=1))
    advice = await services.advice.advice(seller)
    assert advice.aov == 3000 and advice.orders_30d == 10
    assert [t.min_spend for t in advice.tiers] == [3600, 4100, 4500]
    low = [w for w in advice.warnings if w.voucher_id == v.id]
    assert len(low) == 1 and low[0].code == "low_redemption_rate"
    assert {c.code for c in low[0].causes} == {
        "min_spend_above_aov",
        "min_spend_above_price",
        "product_selection",
    }
    assert clock.now() > NOW


async def test_advice_warns_live_less_attractive(services: Services, seller: Actor) -> None:
    await services.vouchers.create(seller, draft(name="Regular 5 off", min_spend=1000))
    live = await services.vouchers.create(
        seller, percent_draft(name="Live 1%", kind="live", percent=1, max_discount=100)
    )
    advice = await services.advice.advice(seller)
    assert [(w.code, w.voucher_id) for w in advice.warnings] == [(LIVE_LESS_ATTRACTIVE, live.id)]
