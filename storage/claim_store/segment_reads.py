"""R-seg's reads of buyers' histories on the claim store's own connections (no ORM session):
one buyer (the latest order, the latest non-cancelled order, the latest counted new follow),
or every buyer of a shop with an order or a counted follow, which
`core.services.buyer_histories` keeps in memory. Both read only the covering indexes
`ix_order_shop_buyer_created` and `ix_follow_event_buyer`."""

from __future__ import annotations

from typing import Any

from storage.claim_store.contract import History

SQLITE_HISTORY = (
    "SELECT max(created_at), max(CASE WHEN status != 'cancelled' THEN created_at END) "
    "FROM shoporder WHERE shop_id = ? AND buyer_id = ?"
)
SQLITE_FOLLOWED = (
    "SELECT max(at) FROM followevent WHERE shop_id = ? AND buyer_id = ? AND counted = 1"
)
SQLITE_SHOP_HISTORIES = """
SELECT buyer_id, max(latest), max(kept), max(followed) FROM (
  SELECT buyer_id, max(created_at) AS latest,
         max(CASE WHEN status != 'cancelled' THEN created_at END) AS kept, NULL AS followed
  FROM shoporder WHERE shop_id = ? GROUP BY buyer_id
  UNION ALL
  SELECT buyer_id, NULL, NULL, max(at) FROM followevent
  WHERE shop_id = ? AND counted = 1 GROUP BY buyer_id
) GROUP BY buyer_id LIMIT ?
"""

_POSTGRES_HISTORY = """
SELECT max(created_at) AS latest,
       max(created_at) FILTER (WHERE status <> 'cancelled') AS kept,
       (SELECT max(at) FROM followevent
        WHERE shop_id = $1 AND buyer_id = $2 AND counted) AS followed
FROM shoporder WHERE shop_id = $1 AND buyer_id = $2
"""
_POSTGRES_SHOP_HISTORIES = """
SELECT buyer_id, max(latest) AS latest, max(kept) AS kept, max(followed) AS followed FROM (
  SELECT buyer_id, max(created_at) AS latest,
         max(created_at) FILTER (WHERE status <> 'cancelled') AS kept,
         NULL::timestamptz AS followed
  FROM shoporder WHERE shop_id = $1 GROUP BY buyer_id
  UNION ALL
  SELECT buyer_id, NULL, NULL, max(at) FROM followevent
  WHERE shop_id = $1 AND counted GROUP BY buyer_id
) AS histories GROUP BY buyer_id LIMIT $2
"""


async def postgres_history(pool: Any, shop_id: int, buyer_id: str) -> History:
    """On the PostgreSQL store's pool (an `asyncpg.Pool`: one connection for the read)."""
    row = await pool.fetchrow(_POSTGRES_HISTORY, shop_id, buyer_id)
    return row["latest"], row["kept"], row["followed"]


async def postgres_shop_histories(pool: Any, shop_id: int, limit: int) -> dict[str, History] | None:
    """None when the shop has more than `limit` such buyers."""
    rows = await pool.fetch(_POSTGRES_SHOP_HISTORIES, shop_id, limit + 1)
    if len(rows) > limit:
        return None
    return {r["buyer_id"]: (r["latest"], r["kept"], r["followed"]) for r in rows}
