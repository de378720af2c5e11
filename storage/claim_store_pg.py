"""The claim write on PostgreSQL: one statement and a commit.

The buyer's counter, the quota, the claim and its analytics bucket are written by one
statement of data-modifying CTEs, so the voucher row — the one row every claim of a rush
updates — stays locked for a single round trip (the commit) instead of the several an
ORM transaction needs. Each step only runs when the one before it produced a row; a claim that
is refused halfway (quota gone, distribution stopped) rolls the whole transaction back. Under
READ COMMITTED the quota `UPDATE` re-checks `claimed < total_quantity` on the row version it
finally locks, so concurrent claims and processes cannot oversell.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import repositories as repo
from storage.analytics_queries import bucket_start
from storage.claim_store import ClaimStore, TakeRequest, TakeResult
from storage.db import Database

_CLAIM = text(
    """
WITH bump AS (
    INSERT INTO voucherbuyer (voucher_id, buyer_id, claims) VALUES (:voucher_id, :buyer_id, 1)
    ON CONFLICT (voucher_id, buyer_id) DO UPDATE SET claims = voucherbuyer.claims + 1
    WHERE voucherbuyer.claims < :per_customer_limit
    RETURNING claims
), live AS (
    SELECT 1 AS ok WHERE CAST(:distribution_id AS integer) IS NULL OR EXISTS (
        SELECT 1 FROM distribution WHERE id = :distribution_id AND stopped_at IS NULL)
), take AS (
    UPDATE voucher SET claimed = claimed + 1
    WHERE id = :voucher_id AND claimed < total_quantity AND deactivated_at IS NULL
      AND starts_at <= :now AND ends_at > :now
      AND EXISTS (SELECT 1 FROM bump) AND EXISTS (SELECT 1 FROM live)
    RETURNING claimed, total_quantity
), made AS (
    INSERT INTO claim (shop_id, voucher_id, buyer_id, session_id, distribution_id, account_id,
                       claimed_at, redeem_until, status, idempotency_key)
    SELECT CAST(:shop_id AS integer), :voucher_id, :buyer_id, CAST(:session_id AS integer),
           :distribution_id, CAST(:account_id AS integer), :now,
           CAST(:redeem_until AS timestamptz), 'claimed', CAST(:idempotency_key AS varchar)
    FROM take
    RETURNING id
), counted AS (
    INSERT INTO claimbucket (voucher_id, session_key, account_key, bucket, shop_id, claims)
    SELECT :voucher_id, CAST(:session_key AS integer), CAST(:account_key AS integer),
           CAST(:bucket AS timestamptz), CAST(:shop_id AS integer), 1
    FROM made
    ON CONFLICT (voucher_id, session_key, account_key, bucket)
    DO UPDATE SET claims = claimbucket.claims + 1
    RETURNING 1
)
SELECT (SELECT claims FROM bump) AS buyer_claims,
       (SELECT ok FROM live) AS live_ok,
       (SELECT claimed FROM take) AS claimed,
       (SELECT total_quantity FROM take) AS total_quantity,
       (SELECT id FROM made) AS claim_id,
       (SELECT count(*) FROM counted) AS counted
"""
)


_VOUCHER_NOW = text(
    "SELECT claimed, total_quantity, starts_at, ends_at, deactivated_at FROM voucher "
    "WHERE id = :voucher_id"
)


class _Undo(Exception):
    def __init__(self, result: TakeResult) -> None:
        self.result = result


class PostgresClaimStore(ClaimStore):
    """One claim of a voucher in flight per process: the others wait here, in order, instead of
    piling up on the voucher's row lock inside PostgreSQL, where each release wakes a convoy
    of backends (measured: 1.0 ms a claim one at a time, 2.4 ms with 1,000 in flight)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queues: dict[int, asyncio.Lock] = {}

    async def take(self, request: TakeRequest) -> TakeResult:
        async with self._queues.setdefault(request.voucher_id, asyncio.Lock()):
            return await self._take(request)

    async def _take(self, request: TakeRequest) -> TakeResult:
        try:
            async with self.db.write_engine.begin() as conn:
                row = (await conn.execute(_CLAIM, _params(request))).one()
                if row.buyer_claims is None:
                    raise _Undo(TakeResult("limit_reached"))
                if row.live_ok is None:
                    raise _Undo(TakeResult("distribution_stopped"))
                if row.claim_id is None:
                    raise _Undo(await _not_taken(conn, request))
                notice = request.notice(row.claimed, row.total_quantity)
                if notice is not None:
                    await repo.add_notification(conn, notice)  # type: ignore[arg-type]
                return TakeResult(
                    "taken", row.claim_id, row.buyer_claims, row.claimed, row.total_quantity
                )
        except _Undo as undo:
            return undo.result
        except IntegrityError:
            return TakeResult("duplicate_key")


async def _not_taken(conn: AsyncConnection, r: TakeRequest) -> TakeResult:
    """Why no quota was taken: the voucher as it is now, read on the same connection (a
    second one could wait forever on a pool that claims in flight have exhausted)."""
    row = (await conn.execute(_VOUCHER_NOW, {"voucher_id": r.voucher_id})).one()
    return TakeResult(
        "not_taken",
        claimed=row.claimed,
        total_quantity=row.total_quantity,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        deactivated_at=row.deactivated_at,
    )


def _params(r: TakeRequest) -> dict[str, object]:
    return {
        "voucher_id": r.voucher_id,
        "buyer_id": r.buyer_id,
        "per_customer_limit": r.per_customer_limit,
        "distribution_id": r.distribution_id,
        "now": r.now,
        "shop_id": r.shop_id,
        "session_id": r.session_id,
        "account_id": r.account_id,
        "redeem_until": r.redeem_until,
        "idempotency_key": r.idempotency_key,
        "session_key": r.session_id or 0,
        "account_key": r.account_id or 0,
        "bucket": bucket_start(r.now),
    }
