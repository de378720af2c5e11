from core.services import Services
from tests.conftest import draft


async def test_create_and_claim(services: Services, seller) -> None:
    v = await services.vouchers.create(seller, draft())
    c = await services.claims.claim(seller.shop_id, v.id, "buyer-1")
    assert c.status == "claimed"
