"""The words of the claim path, in one place (R-c1): what the store answers, and the refusal
codes the API and the bot show. `StrEnum`s, so they compare and serialize as the strings the
API documents."""

from __future__ import annotations

from enum import StrEnum

from storage.claim_store.outcomes import TakeOutcome

__all__ = ["RefusalCode", "TakeOutcome"]


class RefusalCode(StrEnum):
    """R-c1's refusal codes, in the order R-c1 checks them."""

    VOUCHER_NOT_FOUND = "voucher_not_found"
    NOT_CLAIMABLE = "not_claimable"
    NO_ACTIVE_DISTRIBUTION = "no_active_distribution"
    TASK_NOT_MET = "task_not_met"
    SEGMENT_NOT_MET = "segment_not_met"  # R-seg: names the segment
    LIMIT_REACHED = "limit_reached"
    SOLD_OUT = "sold_out"
    BUDGET_SPENT = "budget_spent"  # R-budget: checked with the quota
    CODE_NOT_FOUND = "code_not_found"  # R-code: no upcoming or ongoing voucher has this code
