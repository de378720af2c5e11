"""The claim store on PostgreSQL: a whole batch of one voucher's claims in one statement,
its voucher row held for less than a commit.

A batch is one transaction of three round trips, whatever its size:

1. `BEGIN`, `SET LOCAL synchronous_commit TO <off or on>` and `SELECT … FOR UPDATE` of the
   voucher row (one simple-protocol message). Every claim writer of a voucher takes this lock
   first, so they are serialised per voucher and across processes, and the next statement's
   snapshot (READ COMMITTED takes one per statement) sees every claim committed before the
   lock was granted.
2. `_BATCH`: the claims arrive as arrays (`unnest`); window functions decide, in arrival order,
   which are taken — a buyer's k-th claim passes while their counter plus k is within the
   limit, and quota goes to the first eligible claims — then data-modifying CTEs insert the
   claims (ids drawn from the sequence up front, so each answer gets its own), add to the
   buyers' counters, take the quota once for the batch, count the analytics buckets and
   write the quota notices core prepared (R-n1), and the events its claims cross (R-ev1,
   `event_rows.py`: numbered from the shop's event counter, announced to every process's
   streams). Nothing is written for a refused claim, so there is nothing to undo.
3. `COMMIT`, synchronous or asynchronous as `CommitPace` chooses (durability.py): while a
   synchronous commit is cheap (a fast disk) the batch waits for its own flush under the lock;
   once it is slow (milliseconds), the commit returns at once — the commit record is in the
   WAL, the row lock released — and the voucher's next batch runs during the flush.

**No answer before the disk.** An asynchronous batch's answers are handed back only after a
*durability barrier* (`WalBarrier`): a small transaction that writes one WAL record and
commits synchronously, started after the batch's commit. PostgreSQL flushes the WAL in order,
so when the barrier's commit is on disk, so is every commit before it — the batch's included.
One barrier at a time per process covers every batch committed before it began (group commit
of the flushes). A synchronous batch that took nothing also waits for a barrier (its commit
flushed nothing, and a refusal may rest on another process's asynchronous claims). Why this
is as safe as a synchronous commit per batch is written in `docs/scale-out.md` ("Why the
barrier is as safe as a synchronous commit").

An Idempotency-Key that another transaction inserted meanwhile (R-c2) makes the statement
fail on the unique index; the batch is then redone claim by claim, each in a savepoint, the
sure way (`_one`), in an ordinary synchronous transaction.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg

from storage.analytics_queries import bucket_start
from storage.changes import CHANNEL
from storage.claim_store.batcher import GroupCommit
from storage.claim_store.contract import ClaimStore, History, TakeRequest, TakeResult
from storage.claim_store.durability import CommitPace, WalBarrier
from storage.claim_store.event_rows import due_events
from storage.claim_store.outcomes import TakeOutcome
from storage.claim_store.segment_reads import postgres_history, postgres_shop_histories
from storage.claim_store.task_reads import FollowState, postgres_follow, postgres_watched
from storage.db import Database
from storage.events import data_text, new_event_id

POOL_SIZE = 16

_LOCK_ROW = "SELECT 1 FROM voucher WHERE id = {voucher_id:d} FOR UPDATE"
# `{level}`: `off` for an asynchronous batch (its answers wait for the barrier), else the
# level a synchronous commit waits for (below).
_SET_LEVEL = "SET LOCAL synchronous_commit TO {level}; "
_LOCK = "BEGIN; " + _SET_LEVEL + _LOCK_ROW
# One WAL record (a transactional logical message: any role may write one, at any
# wal_level) and a synchronous commit: it returns once the WAL up to it is flushed.
_BARRIER = (
    "BEGIN; " + _SET_LEVEL + "SELECT pg_logical_emit_message(true, 'voucherbot', 'durable'); COMMIT"
)
# What a synchronous batch's commit and the barrier's wait for: the server's own setting,
# unless that is `off` (then a local flush: an answer is never given before the claim is on
# disk, whatever the server's default).
_SYNC_LEVELS = {"local", "on", "remote_write", "remote_apply"}

_BATCH = """
WITH v AS (
    SELECT claimed, total_quantity, starts_at, ends_at, deactivated_at,
           budget, budget_hold, budget_spent, budget_reserved
    FROM voucher WHERE id = $1
), req AS (
    SELECT * FROM unnest($2::int[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[],
                         $8::timestamptz[], $9::timestamptz[], $10::text[], $11::timestamptz[])
        AS r(ord, buyer, lim, dist, sess, acct, at, redeem_until, ikey, bucket)
), prior AS (
    SELECT buyer_id, claims FROM voucherbuyer WHERE voucher_id = $1 AND buyer_id = ANY($3)
), used_keys AS (
    SELECT idempotency_key FROM claim WHERE shop_id = $12 AND idempotency_key = ANY($10)
), live AS (
    SELECT id FROM distribution WHERE id = ANY($5) AND stopped_at IS NULL
), judged AS (
    SELECT r.*, coalesce(p.claims, 0) AS prior,
           (r.dist IS NULL OR r.dist IN (SELECT id FROM live)) AS live_ok,
           (v.deactivated_at IS NULL AND v.starts_at <= r.at AND v.ends_at > r.at) AS ongoing,
           (r.ikey IS NOT NULL AND r.ikey IN (SELECT idempotency_key FROM used_keys)) AS key_in_db,
           (r.ikey IS NOT NULL
            AND row_number() OVER (PARTITION BY r.ikey ORDER BY r.ord) > 1) AS key_again
    FROM req r CROSS JOIN v LEFT JOIN prior p ON p.buyer_id = r.buyer
), candidate AS (
    SELECT j.*, (live_ok AND ongoing AND NOT key_in_db AND NOT key_again) AS cand FROM judged j
), eligible AS (
    SELECT c.*, cand AND c.prior + count(*) FILTER (WHERE cand)
                          OVER (PARTITION BY buyer ORDER BY ord) <= lim AS ok
    FROM candidate c
), quota AS (
    SELECT e.*, ok AND count(*) FILTER (WHERE ok) OVER (ORDER BY ord)
                       <= v.total_quantity - v.claimed
                AND (v.budget IS NULL  -- R-budget: each claim holds budget_hold, with the quota
                     OR count(*) FILTER (WHERE ok) OVER (ORDER BY ord) * v.budget_hold
                        <= v.budget - v.budget_spent - v.budget_reserved) AS taken
    FROM eligible e CROSS JOIN v
), outcome AS MATERIALIZED (
    SELECT q.*,
           count(*) FILTER (WHERE taken) OVER (PARTITION BY buyer ORDER BY ord) AS buyer_taken,
           count(*) FILTER (WHERE taken) OVER (ORDER BY ord) AS taken_so_far,
           CASE WHEN taken THEN nextval('{claim_seq}'::regclass) END AS claim_id
    FROM quota q
), made AS (
    INSERT INTO claim (id, shop_id, voucher_id, buyer_id, session_id, distribution_id,
                       account_id, claimed_at, redeem_until, status, idempotency_key, reserved)
    SELECT claim_id, $12, $1, buyer, sess, dist, acct, at, redeem_until, 'claimed', ikey,
           v.budget_hold
    FROM outcome CROSS JOIN v WHERE taken
    RETURNING 1
), bumped AS (
    INSERT INTO voucherbuyer (voucher_id, buyer_id, claims)
    SELECT $1, buyer, count(*) FROM outcome WHERE taken GROUP BY buyer
    ON CONFLICT (voucher_id, buyer_id)
    DO UPDATE SET claims = voucherbuyer.claims + EXCLUDED.claims
    RETURNING 1
), took AS (
    UPDATE voucher SET claimed = voucher.claimed + t.n,
                       budget_reserved = voucher.budget_reserved + t.n * voucher.budget_hold
    FROM (SELECT count(*) AS n FROM outcome WHERE taken) t
    WHERE voucher.id = $1 AND t.n > 0
    RETURNING 1
), counted AS (
    INSERT INTO claimbucket (voucher_id, session_key, account_key, bucket, shop_id, claims)
    SELECT $1, coalesce(sess, 0), coalesce(acct, 0), bucket, $12, count(*)
    FROM outcome WHERE taken GROUP BY 2, 3, 4
    ON CONFLICT (voucher_id, session_key, account_key, bucket)
    DO UPDATE SET claims = claimbucket.claims + EXCLUDED.claims
    RETURNING 1
), noticed AS (
    INSERT INTO notification (shop_id, event_key, kind, chat_id, text, buttons, created_at,
                              next_attempt_at, attempts)
    SELECT n.shop_id, n.event_key, n.kind, n.chat_id, n.body, n.buttons, n.created_at,
           n.next_at, 0
    FROM unnest($13::int[], $14::int[], $15::int[], $16::text[], $17::text[], $18::bigint[],
                $19::text[], $20::text[], $21::timestamptz[], $22::timestamptz[])
        AS n(claimed, total, shop_id, event_key, kind, chat_id, body, buttons, created_at,
             next_at)
    CROSS JOIN v
    WHERE n.total = v.total_quantity
      AND EXISTS (SELECT 1 FROM outcome o WHERE o.taken AND v.claimed + o.taken_so_far = n.claimed)
    ON CONFLICT (event_key) DO NOTHING
    RETURNING 1
), evt AS (  -- R-ev1: the prepared events a taken claim crosses (event_rows.due_events)
    SELECT e.*, o.ord, o.sess, o.at, v.budget,
           v.budget_spent AS spent,
           v.budget_reserved + o.taken_so_far * v.budget_hold AS reserved,
           e.once_key || CASE WHEN e.num IS NULL THEN '' ELSE v.budget::text END AS okey
    FROM unnest($23::text[], $24::text[], $25::text[], $26::int[], $27::int[], $28::int[],
                $29::int[], $30::text[]) WITH ORDINALITY
        AS e(type, once_key, data, claimed, total, num, den, public_id, i)
    CROSS JOIN v
    JOIN outcome o ON o.taken AND CASE WHEN e.num IS NULL
        THEN e.total = v.total_quantity AND v.claimed + o.taken_so_far = e.claimed
        ELSE v.budget IS NOT NULL
             AND (v.budget_spent + v.budget_reserved + (o.taken_so_far - 1) * v.budget_hold)
                 * e.den < v.budget * e.num
             AND v.budget * e.num
                 <= (v.budget_spent + v.budget_reserved + o.taken_so_far * v.budget_hold) * e.den
        END
), fresh AS (
    SELECT evt.*, row_number() OVER (ORDER BY ord, i) AS k, count(*) OVER () AS n
    FROM evt WHERE NOT EXISTS (SELECT 1 FROM event x WHERE x.once_key = evt.okey)
), counter AS (  -- the shop's seq, taken only when an event is written (after the row lock)
    INSERT INTO eventcounter (shop_id, last_seq) SELECT $12, n FROM fresh LIMIT 1
    ON CONFLICT (shop_id) DO UPDATE SET last_seq = eventcounter.last_seq + EXCLUDED.last_seq
    RETURNING last_seq
), logged AS (
    INSERT INTO event (public_id, shop_id, seq, type, live_session_id, once_key, created_at,
                       data)
    SELECT f.public_id, $12, c.last_seq - f.n + f.k, f.type, f.sess, f.okey, f.at,
           CASE WHEN f.num IS NULL THEN f.data
                ELSE (f.data::jsonb || jsonb_build_object(
                        'budget', f.budget, 'spent', f.spent, 'reserved', f.reserved,
                        'left', greatest(f.budget - f.spent - f.reserved, 0)))::text END
    FROM fresh f CROSS JOIN counter c
    RETURNING 1
), told AS (  -- the streams of every process hear of it at commit (storage/changes.py)
    SELECT pg_notify('{channel}', 'event:' || $12::text) WHERE EXISTS (SELECT 1 FROM logged)
)
SELECT (SELECT count(*) FROM told) AS told,
       o.taken, o.claim_id, o.prior + o.buyer_taken AS buyer_claims, o.lim, o.live_ok,
       o.key_in_db, v.claimed + o.taken_so_far AS claimed_after,
       v.claimed + (SELECT count(*) FROM outcome WHERE taken) AS claimed_now,
       v.total_quantity, v.starts_at, v.ends_at, v.deactivated_at,
       (v.budget IS NOT NULL AND v.budget_spent + v.budget_reserved
        + ((SELECT count(*) FROM outcome WHERE taken) + 1) * v.budget_hold > v.budget)
           AS budget_over
FROM outcome o CROSS JOIN v
ORDER BY o.ord
"""

# The sure way, one claim at a time (after a lost Idempotency-Key race): the buyer's counter,
# the quota, the claim and its bucket in one statement; each step runs only when the one
# before it produced a row.
_ONE = """
WITH bump AS (
    INSERT INTO voucherbuyer (voucher_id, buyer_id, claims) VALUES ($7, $10, 1)
    ON CONFLICT (voucher_id, buyer_id) DO UPDATE SET claims = voucherbuyer.claims + 1
    WHERE voucherbuyer.claims < $1
    RETURNING claims
), live AS (
    SELECT 1 AS ok WHERE CAST($2 AS integer) IS NULL OR EXISTS (
        SELECT 1 FROM distribution WHERE id = $2 AND stopped_at IS NULL)
), take AS (
    UPDATE voucher SET claimed = claimed + 1, budget_reserved = budget_reserved + budget_hold
    WHERE id = $7 AND claimed < total_quantity AND deactivated_at IS NULL
      AND (budget IS NULL OR budget_spent + budget_reserved + budget_hold <= budget)
      AND starts_at <= $13 AND ends_at > $13
      AND EXISTS (SELECT 1 FROM bump) AND EXISTS (SELECT 1 FROM live)
    RETURNING claimed, total_quantity, budget_hold, budget, budget_spent, budget_reserved
), made AS (
    INSERT INTO claim (shop_id, voucher_id, buyer_id, session_id, distribution_id, account_id,
                       claimed_at, redeem_until, status, idempotency_key, reserved)
    SELECT CAST($11 AS integer), $7, $10, CAST($8 AS integer), $2, CAST($9 AS integer), $13,
           CAST($3 AS timestamptz), 'claimed', CAST($4 AS varchar), budget_hold
    FROM take
    RETURNING id
), counted AS (
    INSERT INTO claimbucket (voucher_id, session_key, account_key, bucket, shop_id, claims)
    SELECT $7, CAST($5 AS integer), CAST($6 AS integer), CAST($12 AS timestamptz),
           CAST($11 AS integer), 1
    FROM made
    ON CONFLICT (voucher_id, session_key, account_key, bucket)
    DO UPDATE SET claims = claimbucket.claims + 1
    RETURNING 1
)
SELECT (SELECT claims FROM bump) AS buyer_claims,
       (SELECT ok FROM live) AS live_ok,
       (SELECT claimed FROM take) AS claimed,
       (SELECT total_quantity FROM take) AS total_quantity,
       (SELECT budget_hold FROM take) AS budget_hold,
       (SELECT budget FROM take) AS budget,
       (SELECT budget_spent FROM take) AS budget_spent,
       (SELECT budget_reserved FROM take) AS budget_reserved,
       (SELECT id FROM made) AS claim_id,
       (SELECT count(*) FROM counted) AS counted
"""
_VOUCHER_NOW = (
    "SELECT claimed, total_quantity, starts_at, ends_at, deactivated_at, "
    "budget IS NOT NULL AND budget_spent + budget_reserved + budget_hold > budget AS budget_over "
    "FROM voucher WHERE id = $1"
)
_UNBUMP_FIRST = "DELETE FROM voucherbuyer WHERE voucher_id = $1 AND buyer_id = $2"
_UNBUMP = "UPDATE voucherbuyer SET claims = claims - 1 WHERE voucher_id = $1 AND buyer_id = $2"
_NOTIFY = (
    "INSERT INTO notification (shop_id, event_key, kind, chat_id, text, buttons, created_at, "
    "next_attempt_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0) "
    "ON CONFLICT (event_key) DO NOTHING"
)

# R-ev1 on the sure way (the batch statement has the same in its `evt` … `told` CTEs).
_EVENT_LOGGED = "SELECT 1 FROM event WHERE once_key = $1"
_NEXT_SEQ = (
    "INSERT INTO eventcounter (shop_id, last_seq) VALUES ($1, 1) "
    "ON CONFLICT (shop_id) DO UPDATE SET last_seq = eventcounter.last_seq + 1 RETURNING last_seq"
)
_LOG_EVENT = (
    "INSERT INTO event (public_id, shop_id, seq, type, live_session_id, once_key, created_at, "
    "data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
_ANNOUNCE = "SELECT pg_notify($1, $2)"


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """The pool's reset between batches: none. The default (`RESET ALL`, `UNLISTEN *`, …) is
    one more round trip per batch, and the store changes no session state (the pool still
    rolls back a transaction left open)."""


def asyncpg_dsn(db: Database) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as asyncpg wants it."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresClaimStore(ClaimStore):
    """Group commit per voucher (`GroupCommit`) on a pool of its own asyncpg connections;
    batches commit synchronously or asynchronously (`pace`), and the answers of an
    asynchronous batch wait for the `WalBarrier` (`durable`)."""

    def __init__(self, db: Database, *, pool_size: int = POOL_SIZE) -> None:
        self.db = db
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self._batch_sql: str | None = None
        # Each answer comes with whether it still needs the barrier before it is given.
        self._batches: GroupCommit[int, TakeRequest, tuple[TakeResult, bool]] = GroupCommit(
            self._write
        )
        self._level = "on"
        self._barrier_sql = _BARRIER.format(level=self._level)
        self.durable = WalBarrier(self._flush)
        self.pace = CommitPace()

    async def take(self, request: TakeRequest) -> TakeResult:
        result, unflushed = await self._batches.submit(request.voucher_id, request)
        if unflushed:
            # The batch committed asynchronously, or wrote nothing (a refusal may rest on
            # another batch's asynchronous commit): nothing is answered before it is on disk.
            await self.durable.wait()
        return result

    async def _flush(self) -> None:
        pool = self._pool or await self._open()
        async with pool.acquire() as conn:
            await conn.execute(self._barrier_sql)

    async def buyer_history(self, shop_id: int, buyer_id: str) -> History:
        """R-seg's read in one round trip on the store's pool (outside any claim's lock)."""
        return await postgres_history(self._pool or await self._open(), shop_id, buyer_id)

    async def shop_histories(self, shop_id: int, limit: int) -> dict[str, History] | None:
        return await postgres_shop_histories(self._pool or await self._open(), shop_id, limit)

    async def watched_seconds(self, session_id: int, buyer_id: str) -> int:
        return await postgres_watched(self._pool or await self._open(), session_id, buyer_id)

    async def follow_state(self, shop_id: int, session_id: int, buyer_id: str) -> FollowState:
        return await postgres_follow(
            self._pool or await self._open(), shop_id, session_id, buyer_id
        )

    async def close(self) -> None:
        await self._batches.drain()
        # The last batches' callers resume on the next turns of the loop and ask for their
        # barrier then: let them ask before the barrier is drained and the pool closed.
        for _ in range(2):
            await asyncio.sleep(0)
        await self.durable.drain()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _open(self) -> asyncpg.Pool:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                pool = await asyncpg.create_pool(
                    asyncpg_dsn(self.db),
                    min_size=1,
                    max_size=self._pool_size,
                    reset=_keep_session,
                    # The batch statement's custom plans cost more to make (~4 ms: window
                    # functions over a dozen CTEs) than to run; its generic plan is the same
                    # index lookups. Measured in-process: 3,200 → 9,300 claims/s.
                    server_settings={"plan_cache_mode": "force_generic_plan"},
                )
                async with pool.acquire() as conn:
                    seq = await conn.fetchval("SELECT pg_get_serial_sequence('claim', 'id')")
                    level = await conn.fetchval("SHOW synchronous_commit")
                self._level = level if level in _SYNC_LEVELS else "on"
                self._barrier_sql = _BARRIER.format(level=self._level)
                self._batch_sql = _BATCH.replace("{claim_seq}", seq.replace("'", "''"))
                self._batch_sql = self._batch_sql.replace("{channel}", CHANNEL)
                self._pool = pool
        return self._pool

    async def _write(
        self, voucher_id: int, requests: list[TakeRequest]
    ) -> list[tuple[TakeResult, bool]]:
        pool = self._pool or await self._open()
        async with pool.acquire() as conn:
            asynchronous = self.pace.next_asynchronous()
            try:
                results = await self._batch(conn, voucher_id, requests, asynchronous)
            except asyncpg.UniqueViolationError:
                pass  # rolled back below the raise: redo the sure way (synchronously)
            else:
                return _flagged(results, asynchronous)
            async with conn.transaction():
                await conn.execute(
                    (_SET_LEVEL + _LOCK_ROW).format(level=self._level, voucher_id=voucher_id)
                )
                results = [await _one_in_savepoint(conn, r) for r in requests]
            return _flagged(results, False)

    async def _batch(
        self,
        conn: asyncpg.Connection,
        voucher_id: int,
        requests: list[TakeRequest],
        asynchronous: bool = False,
    ) -> list[TakeResult]:
        notices = {n.row["event_key"]: n for r in requests for n in r.notices}.values()
        args = (
            voucher_id,
            list(range(len(requests))),
            [r.buyer_id for r in requests],
            [r.per_customer_limit for r in requests],
            [r.distribution_id for r in requests],
            [r.session_id for r in requests],
            [r.account_id for r in requests],
            [r.now for r in requests],
            [r.redeem_until for r in requests],
            [r.idempotency_key for r in requests],
            [bucket_start(r.now) for r in requests],
            requests[0].shop_id,
            [n.claimed for n in notices],
            [n.total for n in notices],
            [n.row["shop_id"] for n in notices],
            [n.row["event_key"] for n in notices],
            [n.row["kind"] for n in notices],
            [n.row["chat_id"] for n in notices],
            [n.row["text"] for n in notices],
            [n.row.get("buttons") for n in notices],
            [n.row["created_at"] for n in notices],
            [n.row["next_attempt_at"] for n in notices],
            *_event_args(requests),
        )
        level = "off" if asynchronous else self._level
        await conn.execute(_LOCK.format(level=level, voucher_id=voucher_id))
        try:
            rows = await conn.fetch(self._batch_sql or "", *args)
            started = time.perf_counter()
            await conn.execute("COMMIT")
            if not asynchronous and any(row["taken"] for row in rows):
                self.pace.observe(time.perf_counter() - started)
        except BaseException:
            if conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        noticed = {(n.claimed, n.total) for n in notices}
        return _results(requests, rows, noticed)


def _event_args(requests: list[TakeRequest]) -> tuple[list[Any], ...]:
    """The batch statement's $23…$30: the prepared events of the batch, once each."""
    events = list({(e.type, e.once_key): e for r in requests for e in r.events}.values())
    shares = [e.budget_share or (None, None) for e in events]
    return (
        [e.type for e in events],
        [e.once_key for e in events],
        [data_text(e.data) for e in events],
        [e.claimed for e in events],
        [e.total for e in events],
        [num for num, _ in shares],
        [den for _, den in shares],
        [new_event_id() for _ in events],
    )


def _flagged(results: list[TakeResult], asynchronous: bool) -> list[tuple[TakeResult, bool]]:
    """Whether each answer must wait for the barrier: all of an asynchronous batch's; of a
    synchronous one, all when it took nothing (its commit wrote nothing, so flushed nothing,
    and a refusal may rest on a claim another process committed asynchronously)."""
    wrote = any(r.outcome == TakeOutcome.TAKEN for r in results)
    unflushed = asynchronous or not wrote
    return [(r, unflushed) for r in results]


def _results(
    requests: list[TakeRequest], rows: list[Any], noticed: set[tuple[int, int]]
) -> list[TakeResult]:
    if not rows:  # no such voucher
        return [TakeResult(TakeOutcome.NOT_TAKEN) for _ in requests]
    results = []
    taken_keys: set[str] = set()
    for r, row in zip(requests, rows, strict=True):
        total = row["total_quantity"]
        if row["taken"]:
            claimed = row["claimed_after"]
            if r.idempotency_key is not None:
                taken_keys.add(r.idempotency_key)
            results.append(
                TakeResult(
                    TakeOutcome.TAKEN,
                    row["claim_id"],
                    row["buyer_claims"],
                    claimed,
                    total,
                    noticed=(claimed, total) in noticed,
                )
            )
        elif row["buyer_claims"] >= row["lim"]:
            results.append(TakeResult(TakeOutcome.LIMIT_REACHED))
        elif not row["live_ok"]:
            results.append(TakeResult(TakeOutcome.DISTRIBUTION_STOPPED))
        elif row["key_in_db"] or r.idempotency_key in taken_keys:
            results.append(TakeResult(TakeOutcome.DUPLICATE_KEY))
        else:
            results.append(
                TakeResult(
                    TakeOutcome.NOT_TAKEN,
                    claimed=row["claimed_now"],
                    total_quantity=total,
                    starts_at=row["starts_at"],
                    ends_at=row["ends_at"],
                    deactivated_at=row["deactivated_at"],
                    budget_spent=bool(row["budget_over"]),
                )
            )
    return results


async def _one_in_savepoint(conn: Any, r: TakeRequest) -> TakeResult:
    try:
        async with conn.transaction():
            return await _one(conn, r)
    except asyncpg.UniqueViolationError:
        return TakeResult(TakeOutcome.DUPLICATE_KEY)


async def _one(conn: Any, r: TakeRequest) -> TakeResult:
    """One claim inside the batch's transaction; a refusal leaves nothing behind."""
    row = await conn.fetchrow(
        _ONE,
        r.per_customer_limit,
        r.distribution_id,
        r.redeem_until,
        r.idempotency_key,
        r.session_id or 0,
        r.account_id or 0,
        r.voucher_id,
        r.session_id,
        r.account_id,
        r.buyer_id,
        r.shop_id,
        bucket_start(r.now),
        r.now,
    )
    buyer_claims = row["buyer_claims"]
    if buyer_claims is None:  # nothing was written: every later step needed the counter
        return TakeResult(TakeOutcome.LIMIT_REACHED)
    if row["claim_id"] is None:  # the counter moved but no quota was taken: move it back
        await conn.execute(
            _UNBUMP_FIRST if buyer_claims == 1 else _UNBUMP, r.voucher_id, r.buyer_id
        )
        if row["live_ok"] is None:
            return TakeResult(TakeOutcome.DISTRIBUTION_STOPPED)
        v = await conn.fetchrow(_VOUCHER_NOW, r.voucher_id)
        return TakeResult(
            TakeOutcome.NOT_TAKEN,
            claimed=v["claimed"],
            total_quantity=v["total_quantity"],
            starts_at=v["starts_at"],
            ends_at=v["ends_at"],
            deactivated_at=v["deactivated_at"],
            budget_spent=bool(v["budget_over"]),
        )
    claimed, total = row["claimed"], row["total_quantity"]
    notice = r.notice_for(claimed, total)
    if notice is not None:
        await conn.execute(
            _NOTIFY,
            notice["shop_id"],
            notice["event_key"],
            notice["kind"],
            notice["chat_id"],
            notice["text"],
            notice.get("buttons"),
            notice["created_at"],
            notice["next_attempt_at"],
        )
    await _log_events(conn, r, row)
    return TakeResult(
        TakeOutcome.TAKEN, row["claim_id"], buyer_claims, claimed, total, noticed=notice is not None
    )


async def _log_events(conn: Any, r: TakeRequest, row: Any) -> None:
    """R-ev1 on the sure way: the prepared events this claim crosses, in its transaction."""
    figures = ("claimed", "total_quantity", "budget_hold", "budget", "budget_spent")
    for e in due_events(r.events, [row[f] for f in (*figures, "budget_reserved")]):
        if await conn.fetchval(_EVENT_LOGGED, e.once_key) is not None:
            continue
        seq = await conn.fetchval(_NEXT_SEQ, r.shop_id)
        await conn.execute(
            _LOG_EVENT,
            new_event_id(), r.shop_id, seq, e.type, r.session_id, e.once_key, r.now,
            data_text(e.data),
        )  # fmt: skip
        await conn.execute(_ANNOUNCE, CHANNEL, f"event:{r.shop_id}")
