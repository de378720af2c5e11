"""R-code on SQLite and PostgreSQL: codes read case-insensitively, unique among the shop's
upcoming and ongoing vouchers, claimed by code and at checkout, guessing slowed down per buyer
and per API key with the counts in the database (a second Services over its own connection
pool, as another process would be, sees the same counts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.errors import ClaimRefused, Conflict, NotFound, ValidationFailed
from core.rules.targeting import READABLE, generate_code, normal_code
from core.services import Services
from core.services.promo_codes import TooManyGuesses
from storage.db import Database
from storage.models import Claim
from tests.conftest import NOW, draft

LINE = [{"product_id": "x", "unit_price": 3000, "quantity": 1}]


async def _claims(services: Services) -> int:
    async with services.db.read() as session:
        return int((await session.execute(select(func.count()).select_from(Claim))).scalar_one())


def test_r_code_generated_codes_are_readable() -> None:
    for _ in range(200):
        code = generate_code()
        assert normal_code(code) == code and len(code) == 8
        assert not set(code) & set("0O1I")
    assert set(READABLE).isdisjoint("0O1I")


async def test_r_code_claimed_case_insensitively(services: Services, seller):
    v = await services.vouchers.create(seller, draft(code="summer24"))
    assert v.code == "SUMMER24"
    claim = await services.claims.claim_by_code(seller.shop_id, " Summer24 ", "b1")
    assert claim.voucher_id == v.id
    with pytest.raises(ClaimRefused) as again:  # every R-c1 check applies
        await services.claims.claim_by_code(seller.shop_id, "SUMMER24", "b1")
    assert again.value.code == "limit_reached"


async def test_r_code_unique_among_upcoming_and_ongoing(services: Services, seller):
    first = await services.vouchers.create(seller, draft(code="SALE2026"))
    with pytest.raises(Conflict) as taken:
        await services.vouchers.create(seller, draft(name="Other", code="sale2026"))
    assert taken.value.code == "code_taken"
    await services.vouchers.deactivate(seller, first.id)
    await services.vouchers.create(seller, draft(name="Other", code="sale2026"))


@pytest.mark.parametrize("code", ["ABC12", "ABCDEFGHIJKLM", "SALE-24", "ŠALE2024"])
async def test_r_code_format(services: Services, seller, code: str):
    with pytest.raises(ValidationFailed) as bad:
        await services.vouchers.create(seller, draft(code=code))
    assert bad.value.errors[0].field == "code"


async def test_r_code_only_for_regular_vouchers(services: Services, seller):
    with pytest.raises(ValidationFailed) as bad:
        await services.vouchers.create(seller, draft(kind="live", code="LIVE2026"))
    assert bad.value.errors[0].field == "code"


async def test_r_code_wrong_codes_slowed_per_buyer_across_processes(
    services: Services, seller, db_url: str, clock
):
    await services.vouchers.create(seller, draft(code="RIGHT123"))
    other_db = Database(db_url)  # another process's own connections and memory
    other = Services.build(other_db, clock)
    try:
        for i in range(10):
            side = services if i % 2 else other
            with pytest.raises(NotFound) as wrong:
                await side.claims.claim_by_code(seller.shop_id, f"WRONG{i:03d}", "guesser")
            assert wrong.value.code == "code_not_found"
        for side in (services, other):
            with pytest.raises(TooManyGuesses) as slowed:
                await side.claims.claim_by_code(seller.shop_id, "RIGHT123", "guesser")
            assert 1 <= slowed.value.retry_after <= 60
        # another buyer is not slowed, and the next minute starts afresh
        await services.claims.claim_by_code(seller.shop_id, "RIGHT123", "someone")
        clock.advance(timedelta(minutes=1))
        await other.claims.claim_by_code(seller.shop_id, "right123", "guesser")
    finally:
        await other_db.dispose()


async def test_r_code_wrong_codes_slowed_per_api_key(services: Services, seller):
    for i in range(300):
        with pytest.raises(NotFound):
            await services.claims.claim_by_code(seller.shop_id, "NOPE0000", f"b{i}", key_id="k1")
    with pytest.raises(TooManyGuesses):
        await services.claims.claim_by_code(seller.shop_id, "NOPE0000", "fresh", key_id="k1")
    with pytest.raises(NotFound):  # another key is not slowed
        await services.claims.claim_by_code(seller.shop_id, "NOPE0000", "fresh", key_id="k2")


async def test_r_code_quote_shows_the_discount_without_claiming(
    services: Services, seller, platform
):
    v = await services.vouchers.create(seller, draft(code="QUOTE500"))
    quote = await services.checkout.quote(platform, "b1", LINE, code="quote500")
    assert quote.best is not None and quote.best.voucher_id == v.id
    assert quote.best.claim_id is None and quote.total == 2500
    assert await _claims(services) == 0
    await services.claims.claim(seller.shop_id, v.id, "b2")
    used = await services.checkout.quote(platform, "b2", LINE, code="QUOTE500")
    assert used.best is not None and used.best.claim_id is not None


async def test_r_code_quote_says_why_it_cannot_be_claimed(services: Services, seller, platform):
    await services.vouchers.create(seller, draft(code="NEWBIE01", segment="new_customers"))
    await services.checkout.place_order(
        platform, "old", "b1", LINE, placed_at=NOW - timedelta(days=3)
    )
    quote = await services.checkout.quote(platform, "b1", LINE, code="NEWBIE01")
    assert quote.best is None
    assert quote.considered[0].reason == "segment_not_met"


async def test_r_code_order_claims_and_applies_in_one_step(services: Services, seller, platform):
    v = await services.vouchers.create(seller, draft(code="ORDER500"))
    order, created = await services.checkout.place_order(
        platform, "o1", "b1", LINE, code="order500"
    )
    assert created and order.voucher_id == v.id and order.discount == 500
    assert await _claims(services) == 1
    small = [{"product_id": "x", "unit_price": 1000, "quantity": 1}]
    with pytest.raises(Conflict) as refused:  # below the minimum spend: nothing is claimed
        await services.checkout.place_order(platform, "o2", "b2", small, code="ORDER500")
    assert refused.value.code == "claim_not_usable"
    assert await _claims(services) == 1
    with pytest.raises(NotFound):
        await services.checkout.place_order(platform, "o3", "b3", LINE, code="WRONG000")
