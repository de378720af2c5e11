"""R-l10n4: what was read is echoed in the person's words before it is saved, and a refused
reading is worded with what was probably meant.

The flows call `read_back(...)` right after a core reader (core/reading.py) accepted typed text
and put the line above their next question or confirmation: a seller who typed `10rb` sees
"✏️ Read as: Rp10.000" before anything is stored. `reading_refusal(...)` words a
`core.reading.ReadingError` (`5,5` as a count: "5,5 is not a whole number"; `1,000` in
Indonesian: "Did you mean 1.000?").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from bot.i18n import _, duration, money, number, percent, when
from bot.telegram.render import task_words
from core.reading import ReadingError, ReadProblem
from core.rules.live import Task

_Period = tuple[datetime, datetime]


def _e(value: object) -> str:
    return escape(str(value), quote=False)


def shown(
    value: int | str | datetime | timedelta | _Period | Task,
    *,
    currency: str | None = None,
    zone: str | None = None,
    as_percent: bool = False,
) -> str:
    """A read value written back in the person's language (not yet escaped); a `str` (a
    promo code) as it will be stored."""
    if isinstance(value, str):
        return value
    if isinstance(value, Task):
        return task_words(value)
    if isinstance(value, tuple):
        return _("{start} to {end}").format(start=when(value[0], zone), end=when(value[1], zone))
    if isinstance(value, datetime):
        return when(value, zone)
    if isinstance(value, timedelta):
        return duration(int(value.total_seconds() // 60))
    if currency is not None:
        return money(value, currency)
    if as_percent:
        return percent(value / 100)
    return number(value)


def read_back(
    value: int | str | datetime | timedelta | _Period | Task,
    *,
    currency: str | None = None,
    zone: str | None = None,
    as_percent: bool = False,
) -> str:
    """`✏️ Read as: Rp10.000` (HTML-escaped), for the line above the flow's next message."""
    text = shown(value, currency=currency, zone=zone, as_percent=as_percent)
    return _("✏️ Read as: {value}").format(value=_e(text))


def reading_refusal(error: ValueError, typed: str) -> str | None:
    """Why typed text was refused, in the person's words, when the reader says more than "no"
    (HTML-escaped); None for a plain `ValueError`, where the flow's own hint suffices."""
    if not isinstance(error, ReadingError):
        return None
    if error.suggestion:
        return _("Did you mean {suggestion}?").format(suggestion=_e(error.suggestion))
    if error.code is ReadProblem.NOT_WHOLE:
        return _("{typed} is not a whole number.").format(typed=_e(typed.strip()))
    if error.code is ReadProblem.GROUPING:
        return _("I can't tell which number {typed} is.").format(typed=_e(typed.strip()))
    if error.code is ReadProblem.MINUTES_MISSING:
        return _("How many minutes of watching?")
    return None
