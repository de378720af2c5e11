"""R-budget, R-v10: a budget is raised like total_quantity (`add_budget`, behind /addbudget)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.refusal_codes import VoucherCode
from core.services import Services
from tests.conftest import NOW, draft
from tests.core.helpers import link


async def test_r_budget_add_budget_on_ongoing_and_upcoming(services: Services, seller, clock):
    ongoing = await services.vouchers.create(seller, draft(budget=10_000))
    upcoming = await services.vouchers.create(
        seller,
        draft(budget=2_000, starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=2)),
    )
    assert (await services.vouchers.add_budget(seller, ongoing.id, 550)).budget == 10_550
    assert (await services.vouchers.add_budget(seller, upcoming.id, 1)).budget == 2_001
    for bad in (0, -5, 1.5):
        with pytest.raises(ValidationFailed):
            await services.vouchers.add_budget(seller, ongoing.id, bad)  # type: ignore[arg-type]
    assert (await services.vouchers.get(seller, ongoing.id)).budget == 10_550


async def test_r_budget_add_budget_refused_without_a_budget_ended_or_by_a_host(
    services: Services, seller, clock
):
    bare = await services.vouchers.create(seller, draft())
    with pytest.raises(Conflict) as exc:
        await services.vouchers.add_budget(seller, bare.id, 500)
    assert exc.value.code == VoucherCode.NO_BUDGET
    assert (await services.vouchers.get(seller, bare.id)).budget is None
    capped = await services.vouchers.create(seller, draft(budget=10_000))
    host = await link(services, seller, "marketing", 3003)
    with pytest.raises(PermissionDenied):
        await services.vouchers.add_budget(host, capped.id, 500)
    clock.advance(days=30)  # ended: nothing changes any more (R-v10)
    with pytest.raises(Conflict) as exc:
        await services.vouchers.add_budget(seller, capped.id, 500)
    assert exc.value.code == "edit_not_allowed"
