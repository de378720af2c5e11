"""What the claim service would ask a claim store, for tests that talk to a store directly:
a plain claim at the tests' frozen `NOW`, any field overridden."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from storage.claim_store import TakeRequest
from tests.conftest import NOW


def take_request(
    shop_id: int, voucher_id: int, buyer: str, *, limit: int = 1, **overrides: Any
) -> TakeRequest:
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "voucher_id": voucher_id,
        "buyer_id": buyer,
        "per_customer_limit": limit,
        "now": NOW,
        "redeem_until": NOW + timedelta(days=7),
        "session_id": None,
        "distribution_id": None,
        "account_id": None,
        "idempotency_key": None,
    }
    values.update(overrides)
    return TakeRequest(**values)
