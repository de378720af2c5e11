"""A voucher's distribution changed: told to every process (R-live3, R-scale1).

A LIVE claim reads the voucher's active distribution from memory
(`core.services.live_claim_cache`), so every change of a `Distribution` row — issued, stopped,
drawn, ended with its session, its account or its voucher, its claim period over — must be
announced. An ORM write of the row is announced as `voucher:<id>` by `storage.changes` itself;
a statement below the ORM (the compare-and-set stop, `repositories.live.stop_distribution`)
calls `announce_distribution`, which makes the same announcement at commit, on both dialects
(on SQLite the change counter moves, as for an ORM write), heard by this process at its
commit and by the others through the change feed. `tests/core/test_live_claim_cache.py` fails
when a function writes distributions below the ORM without it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage import changes


def announce_distribution(session: Session, voucher_id: int) -> None:
    """For a write below the ORM: `voucher:<id>`, announced with this transaction's commit."""
    changes.announce(session, f"voucher:{voucher_id}")
