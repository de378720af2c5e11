"""Voucher services: R-v7, R-v8 (with the team), R-v10, R-v11, R-v12 remaining."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import FrozenClock
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.rules.roles import Actor
from core.services import Services
from tests.conftest import NOW, draft, percent_draft
from tests.core.helpers import link, outbox, with_team


async def test_r_v7_preview_returns_estimated_spend_without_saving(services: Services, seller):
    view = await services.vouchers.preview(seller, draft(amount=500, total_quantity=40))
    assert view.id is None and view.estimated_spend == 20_000
    assert await services.vouchers.list(seller) == []


async def test_r_v4_unknown_product_refused(services: Services, seller, platform):
    await services.products.upsert(platform, "p1", name="Lipstick", price=10_000)
    ok = await services.vouchers.create(seller, draft(scope="products", product_ids=("p1",)))
    assert ok.product_ids == ("p1",)
    with pytest.raises(ValidationFailed) as exc:
        await services.vouchers.create(seller, draft(scope="products", product_ids=("p9",)))
    assert exc.value.errors[0].field == "scope.product_ids"


async def test_r_v8_faq_example_warns_saves_as_configured_and_tells_team(
    services: Services, seller, platform
):
    await with_team(services, seller)
    await services.products.upsert(platform, "A", name="Product A", price=10_000)
    d = percent_draft(percent=20, max_discount=100, scope="products", product_ids=("A",))
    preview = await services.vouchers.preview(seller, d)
    assert [w.message for w in preview.warnings] == ["Maximum Discount Per Order is Low"]
    assert preview.warnings[0].data["final_price"] == 9_900
    created = await services.vouchers.create(seller, d)
    assert created.percent == 20 and created.max_discount == 100  # exactly as configured
    [note] = await outbox(services, "low_discount")
    assert "Maximum Discount Per Order is Low" in note.text
    assert f"#{created.id}" in note.text and "$99.00" in note.text and "$1.00" in note.text
    assert note.chat_id == -100500


async def test_r_v8_uses_average_order_value(services: Services, seller, platform):
    await services.checkout.place_order(
        platform, "o1", "b1", [{"product_id": "x", "unit_price": 20_000, "quantity": 1}]
    )
    view = await services.vouchers.preview(seller, percent_draft(percent=10, max_discount=500))
    assert view.warnings and view.warnings[0].data["basket"] == 20_000


async def test_r_v10_upcoming_voucher_any_field_validated(services: Services, seller, clock):
    v = await services.vouchers.create(
        seller, draft(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2))
    )
    assert v.status == "upcoming"
    edited = await services.vouchers.edit(seller, v.id, {"name": "New", "amount": 700})
    assert (edited.name, edited.amount) == ("New", 700)
    with pytest.raises(ValidationFailed) as exc:
        await services.vouchers.edit(seller, v.id, {"amount": 5_000})  # ≥ min_spend
    assert exc.value.errors[0].field == "discount.amount"
    assert (await services.vouchers.get(seller, v.id)).amount == 700  # nothing half-written


async def test_r_v10_ongoing_voucher_only_quantity_up(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=10))
    assert v.status == "ongoing"
    with pytest.raises(Conflict) as exc:
        await services.vouchers.edit(seller, v.id, {"name": "Renamed"})
    assert exc.value.code == "edit_not_allowed" and "R-v10" in exc.value.detail
    with pytest.raises(Conflict):
        await services.vouchers.edit(seller, v.id, {"total_quantity": 9})
    assert (await services.vouchers.edit(seller, v.id, {"total_quantity": 15})).total_quantity == 15
    assert (await services.vouchers.add_quantity(seller, v.id, 5)).total_quantity == 20


async def test_r_v10_ended_and_deactivated_cannot_change(services: Services, seller, clock):
    ended = await services.vouchers.create(seller, draft(ends_at=NOW + timedelta(hours=1)))
    gone = await services.vouchers.create(seller, draft())
    await services.vouchers.deactivate(seller, gone.id)
    clock.advance(hours=2)
    for vid in (ended.id, gone.id):
        with pytest.raises(Conflict) as exc:
            await services.vouchers.add_quantity(seller, vid, 1)
        assert exc.value.code == "edit_not_allowed"


async def test_r_v11_deactivate_idempotent_and_final(services: Services, seller, clock):
    await with_team(services, seller)
    v = await services.vouchers.create(seller, draft())
    c = await services.claims.claim(seller.shop_id, v.id, "b1")
    first = await services.vouchers.deactivate(seller, v.id)
    again = await services.vouchers.deactivate(seller, v.id)
    assert first.status == again.status == "deactivated"
    assert first.deactivated_at == again.deactivated_at
    assert len(await outbox(services, "deactivated")) == 1
    [claim] = await services.claims.wallet(seller, "b1")
    assert claim.id == c.id and claim.status == "void"
    clock.advance(days=30)
    assert (await services.vouchers.get(seller, v.id)).status == "deactivated"


async def test_r_v11_ended_voucher_cannot_be_deactivated(services: Services, seller, clock):
    v = await services.vouchers.create(seller, draft(ends_at=NOW + timedelta(hours=1)))
    clock.advance(hours=1)
    with pytest.raises(Conflict):
        await services.vouchers.deactivate(seller, v.id)


async def test_r_v12_remaining(services: Services, seller):
    v = await services.vouchers.create(seller, draft(total_quantity=3))
    await services.claims.claim(seller.shop_id, v.id, "b1")
    view = await services.vouchers.get(seller, v.id)
    assert (view.claimed, view.remaining) == (1, 2)


async def test_vouchers_of_another_shop_are_not_found(services: Services, seller):
    v = await services.vouchers.create(seller, draft())
    other, account = await services.shops.create("Other", owner_telegram_user_id=2002)
    stranger = Actor(shop_id=other.id, role="seller", account_id=account.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await services.vouchers.get(stranger, v.id)


async def test_r_acc4_hosts_read_but_cannot_manage_vouchers(services: Services, seller):
    host = await link(services, seller, "marketing", 3003)
    v = await services.vouchers.create(seller, draft())
    assert (await services.vouchers.get(host, v.id)).id == v.id
    for call in (
        services.vouchers.create(host, draft()),
        services.vouchers.add_quantity(host, v.id, 1),
        services.vouchers.deactivate(host, v.id),
        services.vouchers.edit(host, v.id, {"total_quantity": 500}),
    ):
        with pytest.raises(PermissionDenied):
            await call
    assert (await services.vouchers.get(seller, v.id)).total_quantity == 100


async def test_r_v9_listing_by_status_follows_the_clock(
    services: Services, seller, clock: FrozenClock
):
    soon = await services.vouchers.create(
        seller, draft(starts_at=NOW + timedelta(hours=1), ends_at=NOW + timedelta(hours=2))
    )
    assert [v.id for v in await services.vouchers.list(seller, status="upcoming")] == [soon.id]
    clock.advance(hours=1)
    assert [v.id for v in await services.vouchers.list(seller, status="ongoing")] == [soon.id]
    clock.advance(hours=1)
    assert [v.id for v in await services.vouchers.list(seller, status="ended")] == [soon.id]


async def test_r_ids_ids_beyond_the_column_range_are_not_found(services: Services, seller):
    huge = 99_999_999_999
    with pytest.raises(NotFound):
        await services.vouchers.get(seller, huge)
    from core.errors import ClaimRefused

    with pytest.raises(ClaimRefused) as exc:
        await services.claims.claim(seller.shop_id, huge, "b1")
    assert exc.value.code == "voucher_not_found"
    with pytest.raises(NotFound):
        await services.live.get_session(seller, huge)
