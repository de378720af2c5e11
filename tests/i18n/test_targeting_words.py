"""The words of R-seg, R-budget and R-code in the person's language: the budget notices the
team gets, the segment meanings and the promo code share text the /newvoucher steps will use,
and the budget on a voucher's card."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.i18n import speaking, words
from bot.telegram.wording import code_share_text, segment_label, segment_meaning
from core.budget_notifications import budget_text
from core.notifications import unpack
from core.rules.targeting import Segment, SegmentWindows


def _shop(currency: str = "IDR") -> SimpleNamespace:
    return SimpleNamespace(id=1, currency=currency, language="id")


def _voucher() -> SimpleNamespace:
    return SimpleNamespace(id=7, name="Welcome")


def test_r_budget_notices_are_worded_per_language() -> None:
    message = budget_text(_shop(), _voucher(), "budget_spent", 100_000, 100_000)  # type: ignore[arg-type]
    with speaking("id"):
        indonesian = words().render(message)
    with speaking("es"):
        spanish = words().render(message)
    assert "Anggaran" in indonesian and "Welcome" in indonesian
    assert "presupuesto" in spanish
    eighty = budget_text(_shop(), _voucher(), "budget_80", 80_000, 100_000)  # type: ignore[arg-type]
    with speaking("th"):
        assert "80%" in words().render(eighty)
    assert unpack("plain")[1] is None


def test_r_seg_each_segment_has_a_translated_meaning() -> None:
    windows = SegmentWindows(repeat_days=45)
    with speaking("vi"):
        meanings = {s: segment_meaning(s, windows) for s in Segment}
        assert len(set(meanings.values())) == len(Segment)
        assert "45" in meanings[Segment.REPEAT_CUSTOMERS]
        assert segment_label(Segment.NEW_CUSTOMERS) == "khách hàng mới"
    with speaking("en"):
        assert segment_meaning(Segment.NEW_CUSTOMERS) == (
            "Buyers who have never ordered from your shop."
        )


def test_r_code_share_text_per_language() -> None:
    with speaking("ms"):
        text = code_share_text("SALE2026", "Raya <sale>", "RM5 off")
    assert "<b>SALE2026</b>" in text and "Raya &lt;sale&gt;" in text and "kod" in text
    with speaking("id"):  # the discount words start the sentence, so with a capital
        text = code_share_text("SALE2026", "Raya", "potongan Rp10.000")
    assert text.startswith("🎁 Potongan Rp10.000")


def test_r_budget_on_the_voucher_card() -> None:
    from bot.telegram.render import voucher_details
    from core.views import ShopView, VoucherView

    at = datetime(2026, 6, 1, tzinfo=UTC)
    v = VoucherView(
        id=3,
        shop_id=1,
        name="Capped",
        kind="regular",
        discount_type="amount",
        amount=500,
        percent=None,
        max_discount=None,
        min_spend=0,
        scope="shop",
        product_ids=(),
        total_quantity=100,
        per_customer_limit=1,
        starts_at=at,
        ends_at=at,
        redeem_until=None,
        valid_days=None,
        status="ongoing",
        claimed=3,
        redeemed=1,
        estimated_spend=50_000,
        warnings=(),
        created_at=at,
        deactivated_at=None,
        segment="repeat_customers",
        budget=10_000,
        budget_spent=500,
        budget_reserved=1_000,
        code="SALE2026",
    )
    shop = ShopView(1, "Acme", "USD", "UTC", None)
    with speaking("en"):
        card = voucher_details(v, shop)
    assert "Budget: $5.00 spent, $10.00 reserved, <b>$85.00</b> of $100.00 left" in card
    assert "Only for: repeat customers" in card and "<b>SALE2026</b>" in card
