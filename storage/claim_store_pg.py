"""The claim write on PostgreSQL: one statement per claim, one commit per batch.

The buyer's counter, the quota, the claim and its analytics bucket are written by one
statement of data-modifying CTEs; each step runs only when the one before it produced a row.
Under READ COMMITTED the quota `UPDATE` re-checks `claimed < total_quantity` on the row version
it finally locks, so concurrent claims and processes cannot oversell. The statement goes to
asyncpg directly (positional parameters), and the claims of one voucher that arrive together
share a transaction (see `PostgresClaimStore`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from sqlalchemy import text

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


def _positional(sql: str, names: tuple[str, ...]) -> str:
    for n, name in enumerate(names, 1):
        sql = sql.replace(f":{name}", f"${n}")
    return sql


# The statements for asyncpg itself (positional parameters): below SQLAlchemy, a claim costs
# one round trip instead of several hundred microseconds of adaptation per statement.
_NAMES = (
    "per_customer_limit",
    "distribution_id",
    "redeem_until",
    "idempotency_key",
    "session_key",
    "account_key",
    "voucher_id",
    "session_id",
    "account_id",
    "buyer_id",
    "shop_id",
    "bucket",
    "now",
)
_CLAIM_RAW = _positional(_CLAIM.text, _NAMES)
_VOUCHER_NOW_RAW = _positional(_VOUCHER_NOW.text, ("voucher_id",))
# Undo a refused claim's counter: the row it inserted, or the one it added to.
_UNBUMP_FIRST = "DELETE FROM voucherbuyer WHERE voucher_id = $1 AND buyer_id = $2"
_UNBUMP = "UPDATE voucherbuyer SET claims = claims - 1 WHERE voucher_id = $1 AND buyer_id = $2"
_NOTIFY_RAW = (
    "INSERT INTO notification (shop_id, event_key, kind, chat_id, text, buttons, created_at, "
    "next_attempt_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) "
    "ON CONFLICT (event_key) DO NOTHING"
)
MAX_BATCH = 256

Pending = tuple[TakeRequest, "asyncio.Future[TakeResult]"]


class PostgresClaimStore(ClaimStore):
    """Group commit per voucher. The claims of one voucher that arrive together are written in
    one transaction while the next batch gathers; one batch per voucher is in flight per
    process, so claims wait here in order instead of piling up on the voucher's row lock inside
    PostgreSQL (measured: 1.0 ms a claim one at a time, 2.4 ms with 1,000 in flight), and a
    batch costs one commit. A refused claim undoes its own counter in place; a claim whose
    Idempotency-Key lost a race aborts the statement, and the batch is then redone with a
    savepoint per claim.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: dict[int, list[Pending]] = {}
        self._flushers: dict[int, asyncio.Task[None]] = {}

    async def take(self, request: TakeRequest) -> TakeResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[TakeResult] = loop.create_future()
        vid = request.voucher_id
        self._pending.setdefault(vid, []).append((request, future))
        flusher = self._flushers.get(vid)
        if flusher is None or flusher.done():
            self._flushers[vid] = loop.create_task(self._flush(vid))
        return await future

    async def _flush(self, voucher_id: int) -> None:
        while self._pending.get(voucher_id):
            queue = self._pending[voucher_id]
            batch, self._pending[voucher_id] = queue[:MAX_BATCH], queue[MAX_BATCH:]
            try:
                results = await self._write([r for r, _ in batch])
            except Exception as exc:  # the batch was rolled back: every caller hears it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        self._pending.pop(voucher_id, None)
        self._flushers.pop(voucher_id, None)

    async def _write(self, requests: list[TakeRequest]) -> list[TakeResult]:
        async with self.db.write_engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            try:
                async with raw.transaction():
                    return [await _one(raw, r) for r in requests]
            except asyncpg.UniqueViolationError:
                async with raw.transaction():
                    return [await _one_in_savepoint(raw, r) for r in requests]


async def _one_in_savepoint(conn: Any, r: TakeRequest) -> TakeResult:
    try:
        async with conn.transaction():
            return await _one(conn, r)
    except asyncpg.UniqueViolationError:
        return TakeResult("duplicate_key")


async def _one(conn: Any, r: TakeRequest) -> TakeResult:
    """One claim inside the batch's transaction; a refusal leaves nothing behind."""
    p = _params(r)
    row = await conn.fetchrow(_CLAIM_RAW, *(p[name] for name in _NAMES))
    buyer_claims = row["buyer_claims"]
    if buyer_claims is None:  # nothing was written: every later step needed the counter
        return TakeResult("limit_reached")
    if row["claim_id"] is None:  # the counter moved but no quota was taken: move it back
        await conn.execute(
            _UNBUMP_FIRST if buyer_claims == 1 else _UNBUMP, r.voucher_id, r.buyer_id
        )
        if row["live_ok"] is None:
            return TakeResult("distribution_stopped")
        v = await conn.fetchrow(_VOUCHER_NOW_RAW, r.voucher_id)
        return TakeResult(
            "not_taken",
            claimed=v["claimed"],
            total_quantity=v["total_quantity"],
            starts_at=v["starts_at"],
            ends_at=v["ends_at"],
            deactivated_at=v["deactivated_at"],
        )
    claimed, total = row["claimed"], row["total_quantity"]
    notice = r.notice(claimed, total)
    if notice is not None:
        await conn.execute(
            _NOTIFY_RAW,
            notice["shop_id"],
            notice["event_key"],
            notice["kind"],
            notice["chat_id"],
            notice["text"],
            notice.get("buttons"),
            notice["created_at"],
            notice["next_attempt_at"],
        )
    return TakeResult("taken", row["claim_id"], buyer_claims, claimed, total)


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
