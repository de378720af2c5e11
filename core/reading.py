"""R-l10n4: what a person types, read in their language — one reader per kind of input.

Every adapter (the bot's flows, the Mini App's forms) reads typed text through these functions
and nothing else, so a language's conventions live in one place. Each reader takes the person's
language (`en`, `id`, `th`, `vi`, `ms`, `es`) and raises `ValueError` (or its subclass
`core.money.MoneyInputError` for amounts) when the text is refused; it never reinterprets.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.money import parse_money

DATE_FORMAT = "%Y-%m-%d %H:%M"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}|now", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm)?$", re.I)
_IN = re.compile(r"^(?:in\s+)?(\d{1,3})\s*(m|min|mins|minutes?|h|hr|hrs|hours?)?$", re.I)
_TASK = re.compile(
    r"^(?:(watch|w)\s*(\d+)?(?:\s*m(?:in(?:utes?)?)?)?|(follow|f)|(none|no|no task|n))$", re.I
)


def read_count(text: str, language: str) -> int:
    """A whole number (quantities, ids, minutes, winners)."""
    cleaned = text.strip().replace(",", "").replace("_", "").rstrip("%").strip()
    if not re.fullmatch(r"-?\d{1,13}", cleaned):
        raise ValueError("not a whole number")
    return int(cleaned)


def read_percent(text: str, language: str) -> int:
    """A whole percentage (`20`, `20%`)."""
    return read_count(text, language)


def read_amount(text: str, currency: str, language: str, *, allow_zero: bool = True) -> int:
    """Money in minor units of `currency` (R-money-in); raises MoneyInputError."""
    return parse_money(text, currency, allow_zero=allow_zero)


def read_period(text: str, language: str, zone: str, now: datetime) -> tuple[datetime, datetime]:
    """`2026-06-01 20:00 to 2026-06-08 20:00` (shop time; the start may be `now`)."""
    found = _DATE.findall(text)
    if len(found) != 2:
        raise ValueError("two dates needed")
    tz = ZoneInfo(zone)

    def one(value: str) -> datetime:
        if value.lower() == "now":
            return now
        return datetime.strptime(value.replace("T", " "), DATE_FORMAT).replace(tzinfo=tz)

    return one(found[0]), one(found[1])


def read_when(text: str, language: str, zone: str, now: datetime) -> datetime:
    """`14:30`, `2:30pm`, `9pm` (the next such time in the shop's zone), `in 45 min`, `45`,
    `2 h` → an instant; ValueError otherwise. Range checks are the core's."""
    text = text.strip().lower()
    if ":" not in text and not re.search(r"\d\s*(am|pm)$", text):
        m = _IN.match(text)
        if m is None:
            raise ValueError("not a time")
        amount, unit = int(m.group(1)), (m.group(2) or "min")[0]
        return now + (timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount))
    c = _CLOCK.match(text)
    if c is None:
        raise ValueError("not a time")
    hour, minute, half = int(c.group(1)), int(c.group(2) or 0), c.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError("bad hour")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("bad time")
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local_now = now.astimezone(tz)
    at = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local_now:
        at += timedelta(days=1)  # 00:30 typed at 23:50 means the coming night
    return at.astimezone(now.tzinfo)


def read_task(text: str, language: str) -> tuple[str, int | None]:
    """`watch 5`, `w5`, `follow`, `none` → (task type, minutes); ValueError otherwise."""
    m = _TASK.match(text.strip())
    if m is None:
        raise ValueError("unknown task")
    if m.group(1):
        if m.group(2) is None:
            raise ValueError("minutes missing")
        return "watch", int(m.group(2))
    return ("follow", None) if m.group(3) else ("none", None)
