"""Pending updates, getUpdates long polling and the webhook setting that excludes it.

One queue serves both delivery modes, as on Telegram: updates wait here until getUpdates
confirms them with a higher offset, or until the webhook receiver accepts them.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from bot.telegram_standin.errors import ApiError

# What Telegram sends when allowed_updates was never set (or set to []).
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
WEBHOOK_CONFLICT = ApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
)
POLL_CONFLICT = ApiError(
    409,
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
)


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None


def update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Updates not yet confirmed by the bot, long-poll waiters, and the webhook setting."""

    def __init__(self, first_update_id: int = 100_000_001) -> None:
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.webhook: WebhookConfig | None = None
        self.delivered_count = 0  # updates handed to the bot and confirmed
        self._ids = itertools.count(first_update_id)
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._closed = False

    @property
    def changed(self) -> asyncio.Condition:
        return self._changed

    @property
    def closed(self) -> bool:
        return self._closed

    def allows(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED_UPDATES
        return kind in self.allowed_updates

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Telegram keeps the last allowed_updates given; an empty list means the default."""
        if allowed is None:
            return
        self.allowed_updates = frozenset(allowed) if allowed else None

    async def put(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; None when allowed_updates filters it out (it is then never sent)."""
        if not self.allows(kind):
            return None
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        await self._notify()
        return update

    def confirm(self, offset: int) -> None:
        """getUpdates' offset forgets every update with a smaller id (negative: keep the last)."""
        if offset < 0:
            del self.pending[: max(0, len(self.pending) + offset)]
            return
        before = len(self.pending)
        self.pending = [update for update in self.pending if update["update_id"] >= offset]
        self.delivered_count += before - len(self.pending)

    def drop_pending(self) -> None:
        self.pending.clear()

    async def remove(self, update_id: int) -> None:
        """A webhook receiver accepted this update."""
        self.pending = [update for update in self.pending if update["update_id"] != update_id]
        self.delivered_count += 1
        await self._notify()

    async def set_webhook(self, config: WebhookConfig | None) -> None:
        self.webhook = config
        await self._notify()

    async def get_updates(
        self, offset: int | None, limit: int, poll_seconds: float
    ) -> list[dict[str, Any]]:
        """Long polling: answer at once when updates are pending, else when one arrives.

        A newer getUpdates ends an older one with 409, as Telegram does when two bot instances
        poll; a webhook being set ends it with 409 too.
        """
        if self.webhook is not None:
            raise WEBHOOK_CONFLICT
        if offset is not None:
            self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # wakes an older poll so it can answer its 409
        async with self._changed:
            if poll_seconds > 0 and not self.pending and not self._closed:
                try:
                    async with asyncio.timeout(poll_seconds):
                        await self._changed.wait_for(
                            lambda: (
                                bool(self.pending)
                                or self._closed
                                or self.webhook is not None
                                or self._poll_generation != generation
                            )
                        )
                except TimeoutError:
                    return []
            if self._poll_generation != generation:
                raise POLL_CONFLICT
            if self.webhook is not None:
                raise WEBHOOK_CONFLICT
            return list(self.pending[: max(1, min(limit, 100))])

    async def close(self) -> None:
        """Release every waiter: long polls answer with what they have."""
        self._closed = True
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
