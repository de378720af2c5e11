"""R-ids: the platform's own string ids (products, buyers, orders)."""

from __future__ import annotations

import re

from core.errors import invalid

# the services' one way to a stored row's id (typed int, not `int | None`)
from storage.sql import row_id as row_id

_PLATFORM_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def is_platform_id(value: object) -> bool:
    return isinstance(value, str) and _PLATFORM_ID.fullmatch(value) is not None


def check_platform_id(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not is_platform_id(value):
        raise invalid(field_name, "must be 1–64 characters of A-Z a-z 0-9 _ . : -", "id_format")
    return value


def normalize_handle(value: object, field_name: str) -> str:
    """R-api2: a platform handle in its one stored form — without a leading `@`, lowercase —
    so `@Lily.Live`, `lily.live` and `LILY.LIVE` name the same host everywhere (the bot's
    /handle, the API's accounts and follows)."""
    raw = value.lstrip("@") if isinstance(value, str) else value
    return check_platform_id(raw, field_name).lower()
