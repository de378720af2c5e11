"""R-ids: the platform's own string ids (products, buyers, orders)."""

from __future__ import annotations

import re

from core.errors import invalid

_PLATFORM_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def is_platform_id(value: object) -> bool:
    return isinstance(value, str) and _PLATFORM_ID.fullmatch(value) is not None


def check_platform_id(value: object, field_name: str) -> str:
    if not is_platform_id(value):
        raise invalid(field_name, "must be 1–64 characters of A-Z a-z 0-9 _ . : -", "id_format")
    return value  # type: ignore[return-value]
