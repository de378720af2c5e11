"""The claim store's contract: what core asks (`TakeRequest`), what it answers (`TakeResult`),
and the notices it writes with a claim (`PreparedNotice`, data prepared by core).

The write half of a claim (R-v5, R-v12, R-c2): take the buyer's counter and one unit of quota
under their row locks, insert the claim, count it for analytics, queue its quota notice —
atomically. A refusal leaves nothing behind. Every implementation passes the same contract
suite (`tests/core/test_claim_store.py`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.claim_store.event_rows import PreparedEvent
from storage.claim_store.outcomes import TakeOutcome
from storage.claim_store.task_reads import FollowState


@dataclass(frozen=True)
class PreparedNotice:
    """An outbox row (R-n1) to write with the claim that brings the voucher to exactly
    `claimed` of `total`. Core prepares the rows (their text is core's); the store only
    matches the numbers, so storage never calls back into core inside its transaction."""

    claimed: int
    total: int
    row: dict[str, Any]


@dataclass(frozen=True)
class TakeRequest:
    shop_id: int
    voucher_id: int
    buyer_id: str
    per_customer_limit: int
    now: datetime
    redeem_until: datetime
    session_id: int | None
    distribution_id: int | None
    account_id: int | None
    idempotency_key: str | None
    notices: tuple[PreparedNotice, ...] = field(default=())
    events: tuple[PreparedEvent, ...] = field(default=())  # R-ev1, written like the notices

    def notice_for(self, claimed: int, total: int) -> dict[str, Any] | None:
        for notice in self.notices:
            if notice.claimed == claimed and notice.total == total:
                return notice.row
        return None


@dataclass(frozen=True)
class TakeResult:
    outcome: TakeOutcome
    claim_id: int | None = None
    buyer_claims: int | None = None  # the buyer's claims of this voucher after a take
    claimed: int | None = None
    total_quantity: int | None = None
    # Why quota could not be taken: the voucher as it is now.
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    deactivated_at: datetime | None = None
    # R-budget: the quota was there but the budget could not hold one more claim.
    budget_spent: bool = False
    # Whether the prepared notice matching (claimed, total) was written with the claim.
    noticed: bool = False


# R-seg's reading of one buyer: (latest order, latest non-cancelled order, latest counted new
# follow).
History = tuple[datetime | None, datetime | None, datetime | None]


class ClaimStore(abc.ABC):
    """Built by the composition root (`build_claim_store`) and closed by it."""

    @abc.abstractmethod
    async def take(self, request: TakeRequest) -> TakeResult: ...

    @abc.abstractmethod
    async def buyer_history(self, shop_id: int, buyer_id: str) -> History:
        """R-seg's read of one buyer on the store's own connections (no ORM session)."""

    @abc.abstractmethod
    async def shop_histories(self, shop_id: int, limit: int) -> dict[str, History] | None:
        """R-seg's read of every buyer of a shop with an order or a counted follow (what
        `core.services.buyer_histories` keeps); None when there are more than `limit`."""

    # R-live2's per-viewer task reads (`task_reads.py`), on the store's own connections.
    @abc.abstractmethod
    async def watched_seconds(self, session_id: int, buyer_id: str) -> int: ...

    @abc.abstractmethod
    async def follow_state(self, shop_id: int, session_id: int, buyer_id: str) -> FollowState: ...

    async def close(self) -> None:
        return None
