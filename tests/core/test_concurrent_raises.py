"""R-v10, R-budget: raises of total_quantity and budget made at the same moment all land.

Each raise adds its amount to the value read under the voucher's row lock, in the transaction
that checks the edit rules; many raises in flight together (coroutines of one process, and two
OS processes) must end on exactly the sum. No sleeps: the raises are all in flight together."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.clock import SystemClock
from core.errors import ValidationFailed
from core.rules.roles import Actor
from core.rules.targeting import MAX_BUDGET
from core.rules.vouchers import MAX_QUANTITY
from core.services import Services
from core.views import VoucherView
from storage.db import Database
from tests.conftest import NOW, draft
from tests.core.test_targeting_processes import _run_workers, _shop

RAISES = 20


def _id(view: VoucherView) -> int:
    assert view.id is not None
    return view.id


async def test_R_v10_concurrent_quantity_raises_all_land(services: Services, seller: Actor) -> None:
    ongoing = await services.vouchers.create(seller, draft(total_quantity=10))
    upcoming = await services.vouchers.create(
        seller, draft(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2))
    )
    for v, start in ((ongoing, 10), (upcoming, 100)):
        views = await asyncio.gather(
            *(services.vouchers.add_quantity(seller, _id(v), 1) for _ in range(RAISES))
        )
        # Each raise saw its own step: every total from start+1 to start+RAISES once.
        assert sorted(view.total_quantity for view in views) == list(
            range(start + 1, start + RAISES + 1)
        )
        assert (await services.vouchers.get(seller, _id(v))).total_quantity == start + RAISES


async def test_R_budget_concurrent_budget_raises_all_land(
    services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(seller, draft(budget=10_000))
    await asyncio.gather(*(services.vouchers.add_budget(seller, _id(v), 50) for _ in range(RAISES)))
    assert (await services.vouchers.get(seller, _id(v))).budget == 10_000 + 50 * RAISES


async def test_R_v10_raises_past_the_caps_refused_from_the_locked_value(
    services: Services, seller: Actor
) -> None:
    v = await services.vouchers.create(
        seller, draft(total_quantity=MAX_QUANTITY - 5, budget=MAX_BUDGET - 5)
    )
    with pytest.raises(ValidationFailed) as exc:
        await services.vouchers.add_quantity(seller, _id(v), 6)
    assert exc.value.errors[0].field == "total_quantity"
    with pytest.raises(ValidationFailed) as exc:
        await services.vouchers.add_budget(seller, _id(v), 6)
    assert exc.value.errors[0].field == "budget"
    view = await services.vouchers.get(seller, _id(v))
    assert (view.total_quantity, view.budget) == (MAX_QUANTITY - 5, MAX_BUDGET - 5)
    assert (await services.vouchers.add_quantity(seller, _id(v), 5)).total_quantity == MAX_QUANTITY
    assert (await services.vouchers.add_budget(seller, _id(v), 5)).budget == MAX_BUDGET


async def test_R_v10_two_processes_raise_quantity_and_budget_exactly(db: Database) -> None:
    services, seller = await _shop(db)
    start = SystemClock().now()
    v = await services.vouchers.create(
        seller, draft(budget=10_000, starts_at=start, ends_at=start + timedelta(days=1))
    )
    url = db.url.render_as_string(hide_password=False)
    jobs = [(mode, str(v.id), RAISES) for mode in ("quantity", "budget") for _ in range(2)]
    results = await _run_workers(url, seller.shop_id, jobs)
    assert [r.get("raised", 0) for r in results] == [RAISES] * 4, results
    view = await services.vouchers.get(seller, _id(v))
    assert (view.total_quantity, view.budget) == (100 + 2 * RAISES, 10_000 + 2 * RAISES)
