"""R-api6: the shared count of requests per API key, route class and fixed window, so every
process of a shop's API refuses beyond the same limit. Processes lease a share at a time
(`bot/http/rate_limits.py`), so the count is one write per share, not per request."""

from __future__ import annotations

from core.services.base import Service
from storage import api_queries

KEEP_WINDOWS_SECONDS = 3600


class RateWindowService(Service):
    async def lease(self, bucket: str, window: int, n: int) -> int:
        """Counts `n` more requests in the window; the window's count after them."""
        async with self.db.write() as session:
            return await api_queries.lease_rate(session, bucket, window, n)

    async def purge(self, now_seconds: int) -> None:
        """Forgets windows older than an hour."""
        async with self.db.write() as session:
            await api_queries.purge_rate_windows(session, now_seconds - KEEP_WINDOWS_SECONDS)
