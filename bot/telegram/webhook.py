"""Webhook mode: Telegram POSTs updates to the service's own aiohttp server, which checks the
secret token and hands them to the Application's update queue (NOTES.md, PTB custom webhook)."""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update

from bot.telegram.access import App

_LOGGER = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_UPDATE_BYTES = 1024 * 1024

WebhookHandler = Callable[[web.Request], Awaitable[web.Response]]


def make_secret(configured: str | None) -> str:
    """The configured WEBHOOK_SECRET (Telegram allows 1–256 of A-Z a-z 0-9 _ -) or a fresh one."""
    if configured is None:
        return secrets.token_urlsafe(32)
    if not _SECRET.fullmatch(configured):
        raise ValueError("WEBHOOK_SECRET must be 1–256 characters of A-Z a-z 0-9 _ -")
    return configured


def make_webhook_handler(application: App, secret: str) -> WebhookHandler:
    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        if request.content_length is not None and request.content_length > MAX_UPDATE_BYTES:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            _LOGGER.warning("unreadable webhook update: %s", exc)
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        if update is None:
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        await application.update_queue.put(update)
        return web.json_response({"ok": True})

    return handle
