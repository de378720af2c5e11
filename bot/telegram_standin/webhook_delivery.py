"""Webhook mode: POST each pending update to the bot's URL, in order, until it answers 2xx.

Failed deliveries stay pending and are retried after ``retry_delay`` (or as soon as something
changes), and the last error is reported by getWebhookInfo, as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.telegram_standin.update_queue import UpdateQueue, WebhookConfig

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """The background task that pushes pending updates to the webhook."""

    def __init__(
        self,
        queue: UpdateQueue,
        *,
        retry_delay: float = 0.2,
        on_change: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.queue = queue
        self.retry_delay = retry_delay
        self._on_change = on_change
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[dict[str, Any]] = []  # updates the receiver accepted
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._task = asyncio.create_task(self._run(), name="telegram-standin-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset_errors(self) -> None:
        self.last_error_date = None
        self.last_error_message = None

    async def _next_update(self) -> tuple[WebhookConfig, dict[str, Any]]:
        queue = self.queue
        async with queue.changed:
            await queue.changed.wait_for(lambda: queue.webhook is not None and bool(queue.pending))
            assert queue.webhook is not None
            return queue.webhook, queue.pending[0]

    async def _wait_before_retry(self) -> None:
        # A new webhook setting (or closing) should not wait for the retry delay to end.
        queue = self.queue
        webhook = queue.webhook
        async with queue.changed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.retry_delay):
                    await queue.changed.wait_for(lambda: queue.webhook is not webhook)

    async def _run(self) -> None:
        while not self.queue.closed:
            config, update = await self._next_update()
            error = await self._post(config, update)
            if error is None:
                self.deliveries.append(update)
                await self.queue.remove(update["update_id"])
            else:
                self.last_error_date = int(time.time())
                self.last_error_message = error
            if self._on_change is not None:
                await self._on_change()  # lets tests wait for deliveries and errors
            if error is not None:
                await self._wait_before_retry()

    async def _post(self, config: WebhookConfig, update: dict[str, Any]) -> str | None:
        assert self._session is not None
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        try:
            async with self._session.post(config.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"Connection failed: {error!r}"
