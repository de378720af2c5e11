"""R-money-change: a shop's currency changes only while it holds no amounts."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from core.rules.checkout import Line
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import draft


async def test_r_money_change_allowed_while_the_shop_is_empty(
    services: Services, seller: Actor
) -> None:
    shop = await services.shops.update_settings(seller, currency="IDR")
    assert shop.currency == "IDR"
    shop = await services.shops.update_settings(seller, currency="EUR")
    assert shop.currency == "EUR"


@pytest.mark.parametrize("held", ["vouchers", "products", "orders"])
async def test_r_money_change_refused_once_amounts_exist(
    services: Services, seller: Actor, platform: Actor, held: str
) -> None:
    await services.shops.update_settings(seller, currency="IDR")
    if held == "vouchers":
        await services.vouchers.create(seller, draft(amount=800_000, min_spend=1_000_000))
    elif held == "products":
        await services.products.upsert(seller, "P-1", name="Tea", category="", price=2_500_000)
    else:
        await services.checkout.place_order(
            platform, "O-1", "buyer-1", [Line("P-9", 2_500_000, 1)], None
        )
    with pytest.raises(Conflict) as caught:
        await services.shops.update_settings(seller, currency="EUR")
    assert caught.value.code == "currency_locked"
    assert caught.value.extra == {"held": held, "currency": "IDR"}
    assert held in caught.value.detail
    shop = await services.shops.get(seller.shop_id)
    assert shop.currency == "IDR"  # nothing re-read in another currency
    # Choosing the same currency again, or another time zone, is still fine.
    shop = await services.shops.update_settings(seller, currency="IDR", timezone="Asia/Jakarta")
    assert (shop.currency, shop.timezone) == ("IDR", "Asia/Jakarta")
