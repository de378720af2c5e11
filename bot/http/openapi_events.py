"""The request examples and problem codes of the events, webhooks, streams and overlay
operations (R-ev1–R-ev4), merged into `bot.http.openapi`'s tables."""

from __future__ import annotations

from typing import Any

_ENDPOINT_404: dict[int, tuple[str, ...]] = {404: ("endpoint_not_found",)}

EXAMPLES: dict[str, dict[str, Any]] = {
    "create_endpoint": {
        "url": "https://hooks.example.com/voucherbot",
        "types": ["distribution.started", "voucher.sold_out"],
        "description": "our live widget",
    },
    "update_endpoint": {"disabled": False, "types": None},
}

PROBLEM_CODES: dict[str, dict[int, tuple[str, ...]]] = {
    "list_events": {},
    "create_endpoint": {},
    "list_endpoints": {},
    "get_endpoint": _ENDPOINT_404,
    "update_endpoint": _ENDPOINT_404,
    "delete_endpoint": _ENDPOINT_404,
    "rotate_secret": _ENDPOINT_404,
    "list_attempts": _ENDPOINT_404,
    "redeliver_event": {404: ("event_not_found",)},
    "stream_session": {404: ("session_not_found",)},
    "stream_public": {404: ("overlay_not_found",)},
    "overlay_page": {404: ("overlay_not_found",)},
}
