"""What the claim store answers for one claim (R-c1). Defined in storage, so storage never
imports core; `core.rules.claim_outcomes` re-exports it next to the refusal codes."""

from __future__ import annotations

from enum import StrEnum


class TakeOutcome(StrEnum):
    """What the claim store did with one claim (storage's answer to core)."""

    TAKEN = "taken"
    LIMIT_REACHED = "limit_reached"  # the buyer's counter is at the per-customer limit
    NOT_TAKEN = "not_taken"  # no quota: sold out, or the voucher is not ongoing
    DISTRIBUTION_STOPPED = "distribution_stopped"
    DUPLICATE_KEY = "duplicate_key"  # the Idempotency-Key won a race elsewhere
