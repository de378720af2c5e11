"""The events (R-ev1) a claim store writes inside a claim batch's transaction: the claim that
crosses 80% of the quota, the one that sells out, the one that commits 80% of the budget.

Core prepares them as data (`PreparedEvent`), as it prepares the quota notices; the store only
matches numbers and fills in figures of the voucher row, so storage never calls back into core
inside its transaction. An event gets the shop's next `seq` from the `eventcounter` row in the
same transaction, so a rolled-back batch leaves neither the event nor a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PreparedEvent:
    """An event-log row to write with one claim; the store gives it the shop's next `seq`, the
    claim's instant and the claim's live session.

    Without `budget_share`: written with the claim that brings the voucher to exactly `claimed`
    of `total` (a quantity changed since core's snapshot matches nothing).
    With `budget_share` (num, den): written with the claim that brings spent + reserved to
    num/den of the voucher's budget or past it (R-budget); the store adds the budget's figures
    after that claim (`budget`, `spent`, `reserved`, `left`) to `data` and the budget to
    `once_key`, so a budget raised since core's snapshot is met as well.
    `once_key` makes it once-only, like every once-only event of the log."""

    type: str
    once_key: str
    data: dict[str, Any]
    claimed: int = 0
    total: int = 0
    budget_share: tuple[int, int] | None = None


@dataclass(frozen=True)
class DueEvent:
    """A prepared event one claim crossed, as it is written (less its `seq`)."""

    type: str
    once_key: str
    data: dict[str, Any]


def due_events(events: tuple[PreparedEvent, ...], row: Sequence[Any]) -> list[DueEvent]:
    """The prepared events one claim crosses (the claim-by-claim paths; PostgreSQL's batch
    statement makes the same tests in SQL). `row` is the voucher after the claim: claimed,
    total_quantity, budget_hold, budget, budget_spent, budget_reserved."""
    claimed, total, hold, budget, spent, reserved = row
    due = []
    for e in events:
        if e.budget_share is None:
            if (e.claimed, e.total) == (claimed, total):
                due.append(DueEvent(e.type, e.once_key, e.data))
        elif budget is not None and crosses_share(
            e.budget_share, budget, spent + reserved - hold, spent + reserved
        ):
            data = {**e.data, **budget_figures(budget, spent, reserved)}
            due.append(DueEvent(e.type, e.once_key + str(budget), data))
    return due


def crosses_share(share: tuple[int, int], budget: int, before: int, after: int) -> bool:
    """Whether a claim moving spent + reserved from `before` to `after` reaches num/den of
    `budget` (the same test as the PostgreSQL batch's)."""
    num, den = share
    return before * den < budget * num <= after * den


def budget_figures(budget: int, spent: int, reserved: int) -> dict[str, int]:
    return {
        "budget": budget,
        "spent": spent,
        "reserved": reserved,
        "left": max(budget - spent - reserved, 0),
    }
