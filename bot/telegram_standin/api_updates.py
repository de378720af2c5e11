"""Bot API methods for receiving updates: getUpdates and the webhook methods."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from bot.telegram_standin.errors import bad_request
from bot.telegram_standin.params import ApiParams
from bot.telegram_standin.state import ApiMethod, Described, StandInState
from bot.telegram_standin.update_queue import WebhookConfig

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Telegram insists on HTTPS; a local receiver in tests has no certificate, so plain HTTP is
# accepted for loopback hosts only.
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _allowed_updates(params: ApiParams) -> list[str] | None:
    allowed = params.get_json("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
        raise bad_request("can't parse allowed_updates JSON array")
    return allowed


async def get_updates(state: StandInState, params: ApiParams) -> Any:
    state.updates.set_allowed_updates(_allowed_updates(params))
    return await state.updates.get_updates(
        params.get_int("offset"),
        params.get_int("limit") or 100,
        params.get_float("timeout") or 0.0,
    )


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")


async def set_webhook(state: StandInState, params: ApiParams) -> Any:
    url = params.get_str("url") or ""
    allowed = _allowed_updates(params)
    if not url:
        return await delete_webhook(state, params)
    _check_webhook_url(url)
    secret = params.get_str("secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    max_connections = params.get_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    if params.get_bool("drop_pending_updates"):
        state.updates.drop_pending()
    state.updates.set_allowed_updates(allowed)
    state.webhook.reset_errors()
    await state.updates.set_webhook(
        WebhookConfig(url, secret, max_connections, params.get_str("ip_address"))
    )
    return Described(True, "Webhook was set")


async def delete_webhook(state: StandInState, params: ApiParams) -> Any:
    if params.get_bool("drop_pending_updates"):
        state.updates.drop_pending()
    if state.updates.webhook is None:
        return Described(True, "Webhook is already deleted")
    await state.updates.set_webhook(None)
    state.webhook.reset_errors()
    return Described(True, "Webhook was deleted")


async def get_webhook_info(state: StandInState, params: ApiParams) -> Any:
    config = state.updates.webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates.pending),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        if config.ip_address:
            info["ip_address"] = config.ip_address
        if state.updates.allowed_updates is not None:
            info["allowed_updates"] = sorted(state.updates.allowed_updates)
        if state.webhook.last_error_date is not None:
            info["last_error_date"] = state.webhook.last_error_date
            info["last_error_message"] = state.webhook.last_error_message
    return info


METHODS: dict[str, ApiMethod] = {
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
