"""R-adv2 at creation: a LIVE voucher less attractive than the best ongoing Regular voucher
is warned about (never blocked) in preview and create, and so in the bot and the API."""

from __future__ import annotations

from datetime import timedelta

from core.rules.advice import LIVE_LESS_ATTRACTIVE
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import NOW, draft, percent_draft


def codes(view: object) -> list[str]:
    return [w.code for w in view.warnings]  # type: ignore[attr-defined]


async def test_weaker_live_voucher_is_warned_but_created(services: Services, seller: Actor) -> None:
    regular = await services.vouchers.create(seller, draft(name="Regular $5", min_spend=2000))
    weak = percent_draft(name="Live 1%", kind="live", percent=1, max_discount=100)
    preview = await services.vouchers.preview(seller, weak)
    assert codes(preview) == [LIVE_LESS_ATTRACTIVE]
    warning = preview.warnings[0]
    assert f"#{regular.id}" in warning.message
    # The reference basket is the Regular's minimum spend: 1% of $20 = $0.20 against $5.
    assert warning.data == {
        "basket": 2000,
        "live_discount": 20,
        "regular_discount": 500,
        "regular_voucher_id": regular.id,
    }
    created = await services.vouchers.create(seller, weak)
    assert created.id is not None and codes(created) == [LIVE_LESS_ATTRACTIVE]


async def test_no_warning_when_the_live_voucher_is_as_good_or_not_live(
    services: Services, seller: Actor
) -> None:
    await services.vouchers.create(seller, draft(name="Regular $5", min_spend=2000))
    strong = percent_draft(name="Live 30%", kind="live", percent=30, max_discount=1000)
    assert codes(await services.vouchers.preview(seller, strong)) == []
    regular = percent_draft(name="Another regular", percent=1, max_discount=100)
    assert codes(await services.vouchers.preview(seller, regular)) == []


async def test_only_ongoing_regular_vouchers_count(services: Services, seller: Actor) -> None:
    later = NOW + timedelta(days=1)
    await services.vouchers.create(
        seller, draft(name="Tomorrow", starts_at=later, ends_at=later + timedelta(days=1))
    )
    weak = percent_draft(name="Live 1%", kind="live", percent=1, max_discount=100)
    assert codes(await services.vouchers.preview(seller, weak)) == []
