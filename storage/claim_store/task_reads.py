"""R-live2's per-viewer reads for a LIVE claim's task, in one round trip each on the claim
store's own connections (no ORM session): they change with every watch report and follow, so
they are read at each claim, unlike the distribution itself (`live_claim_cache`).

A FOLLOW task's host handle is read in the same statement (through the session's account),
so a handle changed meanwhile is always the current one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# R-live2 FOLLOW: (whether the viewer's latest follow event of the session's host is a follow,
# their last counted new follow of that host); (False, None) without a host handle.
FollowState = tuple[bool, datetime | None]

_WATCHED = "SELECT watched_seconds FROM watchrecord WHERE session_id = {0} AND buyer_id = {1}"
SQLITE_WATCHED = _WATCHED.format("?", "?")
_POSTGRES_WATCHED = _WATCHED.format("$1", "$2")

# The host of the session (its account's handle), then the two follow reads of it. The
# latest event breaks ties on the id, as `repositories.live.latest_follow_event` does.
_FOLLOW = """
SELECT (SELECT f.action FROM followevent f
        WHERE f.shop_id = h.shop_id AND f.host_handle = h.handle AND f.buyer_id = {buyer}
        ORDER BY f.at DESC, f.id DESC LIMIT 1) AS action,
       (SELECT max(f.at) FROM followevent f
        WHERE f.shop_id = h.shop_id AND f.host_handle = h.handle AND f.buyer_id = {buyer}
          AND f.counted = {true}) AS counted_at
FROM (SELECT a.shop_id AS shop_id, a.platform_handle AS handle
      FROM livesession s JOIN account a ON a.id = s.account_id AND a.shop_id = s.shop_id
      WHERE s.id = {session} AND s.shop_id = {shop} AND a.platform_handle <> '') h
"""
SQLITE_FOLLOW = _FOLLOW.format(buyer=":buyer", session=":session", shop=":shop", true="1")
_POSTGRES_FOLLOW = _FOLLOW.format(buyer="$3", session="$2", shop="$1", true="true")


def follow_state(row: tuple[str | None, datetime | None] | None) -> FollowState:
    """The statement's row as R-live2 reads it (no row: the session has no host handle)."""
    if row is None:
        return False, None
    return row[0] == "follow", row[1]


async def postgres_watched(pool: Any, session_id: int, buyer_id: str) -> int:
    """On the PostgreSQL store's pool (an `asyncpg.Pool`: one connection for the read)."""
    return int(await pool.fetchval(_POSTGRES_WATCHED, session_id, buyer_id) or 0)


async def postgres_follow(pool: Any, shop_id: int, session_id: int, buyer_id: str) -> FollowState:
    row = await pool.fetchrow(_POSTGRES_FOLLOW, shop_id, session_id, buyer_id)
    return follow_state(None if row is None else (row["action"], row["counted_at"]))
