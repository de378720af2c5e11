"""R-l10n4: times, dates, periods and durations as people write them in each language.

Month names, AM/PM and the order of a numeric date come from Babel's locale data; the words
(`sekarang`, `menit`, `jam`, `lagi`, `dalam`, `sampai`) from core/reading_words.py. Accepted:

- a time of day: `14:30`, `20.00` (Indonesian), `20.00 น.` (Thai), `20h30` / `20 giờ`
  (Vietnamese), `2:30 PTG` (Malay), `2:30pm`, `9pm`;
- a date: `2026-12-07`, `7/12/2026` (day first, or month first where the locale writes it so:
  English), `7 Des 2026` / `7 Desember 2026` (the language's month names), a Thai Buddhist year
  (`2569`) as the Gregorian year it is;
- a date and time in either order (the bot's own `HH:mm dd/MM/yyyy` in Vietnamese);
- a duration: `45`, `45 menit`, `1 jam`, `1 jam 30 menit`, `1,5 jam` (whole minutes), with
  `dalam … ` / `… lagi` (or `in …`, `อีก …`, `… nữa`, `en …`) making it "from now";
- `sekarang` / `now` for now.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import get_date_format, get_month_names

from core.reading_base import ReadingError, ReadProblem, locale_of, normalize, number, read_keyword
from core.reading_words import (
    CLOCK_HOURS,
    Keyword,
    after_words,
    before_words,
    from_words,
    hour_words,
    minute_words,
    until_words,
)

MAX_MINUTES = 60 * 24 * 366


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@cache
def _months(language: str) -> dict[str, int]:
    """Every month name of the language (abbreviated and wide, format and stand-alone), lower
    case, with and without a final dot, and the English ones."""
    names: dict[str, int] = {}
    for loc in {locale_of(language), locale_of("en")}:
        for context in ("format", "stand-alone"):
            for width in ("abbreviated", "wide"):
                for month, name in get_month_names(width, context, locale=loc).items():
                    name = normalize(name)
                    names[name] = month
                    names[name.rstrip(".")] = month
    if language == "vi":
        names |= {f"tháng {n}": n for n in range(1, 13)} | {f"thg {n}": n for n in range(1, 13)}
    return names


@cache
def _periods(language: str) -> dict[str, int]:
    """AM/PM words → 0 or 12 (the language's and English), without dots or spaces."""
    found = {"am": 0, "pm": 12, "a": 0, "p": 12}
    loc = locale_of(language)
    for width in ("abbreviated", "wide", "narrow"):
        table = loc.day_periods.get("format", {}).get(width, {})
        for key, offset in (("am", 0), ("pm", 12)):
            if key in table:
                found[_bare(table[key])] = offset
    return found


def _bare(text: str) -> str:
    return re.sub(r"[.\s]", "", normalize(text))


@cache
def _month_first(language: str) -> bool:
    pattern = get_date_format("short", locale=locale_of(language)).pattern.lower()
    return pattern.index("m") < pattern.index("d")


def _year(value: int, language: str) -> int:
    if language == "th" and value >= 2400:
        return value - 543  # พ.ศ. 2569 is 2026
    if value < 1000:
        raise ReadingError(ReadProblem.NOT_A_TIME)
    return value


def _take_date(text: str, language: str) -> tuple[tuple[int, int, int] | None, str]:
    """The date in the text (year, month, day) and the text without it."""
    iso = re.search(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?:t|(?!\d))", text)
    if iso:
        rest = text[: iso.start()] + " " + text[iso.end() :]
        return (int(iso.group(1)), int(iso.group(2)), int(iso.group(3))), rest
    numeric = re.search(r"(?<![\d.:])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)", text)
    if numeric:
        a, b, year = int(numeric.group(1)), int(numeric.group(2)), int(numeric.group(3))
        month, day = (a, b) if _month_first(language) else (b, a)
        rest = text[: numeric.start()] + " " + text[numeric.end() :]
        return (_year(year, language), month, day), rest
    months = _alternation(list(_months(language)))
    named = re.search(
        r"(?<!\d)(\d{1,2})\.?\s*(?:de\s+)?(" + months + r")\.?\s*(?:de\s+)?,?\s*(\d{4})(?!\d)", text
    )
    if named:
        month = _months(language)[named.group(2)]
        rest = text[: named.start()] + " " + text[named.end() :]
        return (_year(int(named.group(3)), language), month, int(named.group(1))), rest
    named_us = re.search(r"(" + months + r")\.?\s+(\d{1,2}),?\s+(\d{4})(?!\d)", text)
    if named_us:
        month = _months(language)[named_us.group(1)]
        rest = text[: named_us.start()] + " " + text[named_us.end() :]
        return (_year(int(named_us.group(3)), language), month, int(named_us.group(2))), rest
    return None, text


def _clock(text: str, language: str) -> tuple[int, int]:
    """A time of day (hour, minute) — the whole text must be one."""
    body = text.strip()
    for tail in ("น.", "น", "uhr", "hrs", "wib", "wita", "wit"):
        if body.endswith(" " + tail) or (tail == "น." and body.endswith(tail)):
            body = body[: -len(tail)].strip()
    hour_marks = _alternation([*CLOCK_HOURS.get(language, ()), "h"])
    found = re.fullmatch(
        r"(\d{1,2})(?:\s*(?:[:.]|" + hour_marks + r")\s*(\d{2})?)?\s*([^\d]*)", body
    )
    if found is None:
        raise ReadingError(ReadProblem.NOT_A_TIME)
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), _bare(found.group(3))
    separated = found.group(2) is not None or body[len(found.group(1)) :].strip()[:1] != ""
    if half:
        offset = _periods(language).get(half)
        if offset is None or not 1 <= hour <= 12:
            raise ReadingError(ReadProblem.NOT_A_TIME)
        hour = hour % 12 + offset
    elif not separated:
        raise ReadingError(ReadProblem.NOT_A_TIME)  # a bare `20` is no time
    if hour > 23 or minute > 59:
        raise ReadingError(ReadProblem.NOT_A_TIME)
    return hour, minute


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def read_instant(text: str, language: str, zone: str, now: datetime) -> datetime:
    """A date and a time (either order), or `now`/`sekarang`: the instant in the shop's zone."""
    body = normalize(text)
    if read_keyword(body, language) is Keyword.NOW:
        return now
    date, rest = _take_date(body, language)
    if date is None:
        raise ReadingError(ReadProblem.NOT_A_TIME)
    rest = re.sub(r"\([\w/+\-]+\)", " ", rest)  # `(Asia/Jakarta)` as the team chat writes it
    rest = " ".join(rest.replace(",", " ").split())
    rest = re.sub(r"^(?:at|pukul|jam|pkl\.?|lúc|a las|las|pada|เวลา)\s+", "", rest)
    hour, minute = _clock(rest, language)
    try:
        return datetime(*date, hour, minute, tzinfo=_zone(zone))
    except ValueError:
        raise ReadingError(ReadProblem.NOT_A_TIME) from None


def read_duration(text: str, language: str) -> timedelta:
    """`45` (minutes), `45 menit`, `1 jam`, `1 jam 30 menit`, `1,5 jam`, `2h30` → a duration in
    whole minutes; "from now" markers (`dalam`, `lagi`, `in`, `อีก`, `nữa`) are allowed."""
    body = _unmark(normalize(text), language)[0]
    minutes = _minutes(body, language, clock_units=True)
    if minutes is None:
        raise ReadingError(ReadProblem.NOT_A_DURATION)
    return timedelta(minutes=minutes)


def _unmark(body: str, language: str) -> tuple[str, bool]:
    """The text without a "from now" marker, and whether there was one."""
    marked = False
    for word in sorted(before_words(language), key=len, reverse=True):
        if body.startswith(word + " "):
            body, marked = body[len(word) :].strip(), True
            break
    for word in sorted(after_words(language), key=len, reverse=True):
        if body.endswith(" " + word) or (body.endswith(word) and body[: -len(word)][-1:].isalpha()):
            body, marked = body[: -len(word)].strip(), True
            break
    return body, marked


def _minutes(body: str, language: str, *, clock_units: bool) -> int | None:
    """Whole minutes of `1 jam 30 menit`-like text; None when it is not a duration."""
    hours = hour_words(language)
    if not clock_units:
        hours = tuple(w for w in hours if w not in CLOCK_HOURS.get(language, ()))
    units = _alternation(list(minute_words(language)) + list(hours))
    parts = re.findall(r"(\d[\d.,]*)\s*(" + units + r")?\.?(?=\s|\d|$)\s*", body)
    if not parts or "".join(re.findall(r"\S", body)) != "".join(
        re.findall(r"\S", "".join(f"{n}{u}" for n, u in parts))
    ):
        return None
    total = Decimal(0)
    for index, (typed, unit) in enumerate(parts):
        if not unit and not typed.isdigit():
            return None  # `20.00` is a time, not twenty minutes
        try:
            value = number(typed, language)
        except ReadingError:
            return None
        if not unit:
            # A bare number is minutes, or the minutes after hours (`2h30`).
            if index and parts[index - 1][1] not in hours:
                return None
            total += value
        elif unit in hours:
            total += value * 60
        else:
            total += value
    if total != total.to_integral_value() or not 0 <= total <= MAX_MINUTES:
        return None
    return int(total)


def read_when(text: str, language: str, zone: str, now: datetime) -> datetime:
    """`14:30`, `20.00`, `2:30pm`, `9 PTG` (the next such time in the shop's zone), a date and
    time, `sekarang`, `in 45 min`, `45 menit lagi`, `dalam 1 jam`, `45`, `2 h` → an instant;
    ReadingError otherwise. Range checks are the core's."""
    body = normalize(text)
    if read_keyword(body, language) is Keyword.NOW:
        return now
    unmarked, marked = _unmark(body, language)
    minutes = _minutes(unmarked, language, clock_units=marked)
    if minutes is not None:
        return now + timedelta(minutes=minutes)
    if marked:
        raise ReadingError(ReadProblem.NOT_A_DURATION)
    date, _rest = _take_date(body, language)
    if date is not None:
        return read_instant(body, language, zone, now).astimezone(now.tzinfo)
    hour, minute = _clock(body, language)
    local_now = now.astimezone(_zone(zone))
    at = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= local_now:
        at += timedelta(days=1)  # 00:30 typed at 23:50 means the coming night
    return at.astimezone(now.tzinfo)


def read_period(text: str, language: str, zone: str, now: datetime) -> tuple[datetime, datetime]:
    """`2026-12-07 20.00 sampai 2026-12-14 20.00`, `sekarang sampai 14/12/2026 20.00`,
    `7 Des 2026 20.00 - 14 Des 2026 20.00` (shop time; the start may be now)."""
    body = normalize(text)
    for word in sorted(from_words(language), key=len, reverse=True):
        if body.startswith(word + " "):
            body = body[len(word) :].strip()
            break
    separators = _alternation(until_words(language))
    pieces = re.split(r"\s+(?:" + separators + r")\s+", body)
    if len(pieces) != 2:
        raise ReadingError(ReadProblem.NOT_A_PERIOD)
    try:
        return (
            read_instant(pieces[0], language, zone, now),
            read_instant(pieces[1], language, zone, now),
        )
    except ReadingError:
        raise ReadingError(ReadProblem.NOT_A_PERIOD) from None
