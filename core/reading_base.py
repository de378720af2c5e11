"""R-l10n4: what every reader shares — refusals, the person's locale, plain numbers, keywords.

core/reading.py is the public face; core/reading_time.py reads times. Both build on this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from babel import Locale
from babel.numbers import NumberFormatError, format_decimal, parse_decimal

from core.reading_words import LOCALES, THAI_DIGITS, Keyword, keyword_words

MAX_DIGITS = 13


class ReadProblem(StrEnum):
    """Why typed text was refused; the bot words each one."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NOT_WHOLE = "not_whole"  # `5,5` as a count, `12,5` as a percent
    GROUPING = "grouping"  # `10.00` as a count in Indonesian: 1.000 or 10?
    NEGATIVE = "negative"
    TOO_LARGE = "too_large"
    NOT_A_TIME = "not_a_time"
    NOT_A_PERIOD = "not_a_period"
    NOT_A_DURATION = "not_a_duration"
    UNKNOWN_WORD = "unknown_word"
    MINUTES_MISSING = "minutes_missing"


@dataclass(eq=False)
class ReadingError(ValueError):
    """Typed text refused (R-l10n4). `suggestion`, when set, is what the person probably meant,
    already written in their language (`1.000`); it is offered, never taken."""

    code: ReadProblem
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion}?)" if self.suggestion else ""
        return f"{self.code.value}{hint}"


def locale_of(language: str) -> Locale:
    return Locale.parse(LOCALES.get(language, LOCALES["en"]))


def normalize(text: str) -> str:
    """One space between words, Thai digits as digits, lower case, no-break spaces as spaces."""
    text = (text or "").translate(THAI_DIGITS).replace("\xa0", " ").replace("\u202f", " ")
    return " ".join(text.split()).lower()


def number(text: str, language: str) -> Decimal:
    """A plain number in the person's locale (no sign, no exponent), or a ReadingError."""
    body = normalize(text)
    if not body:
        raise ReadingError(ReadProblem.EMPTY)
    if body[0] in "-−–":
        raise ReadingError(ReadProblem.NEGATIVE)
    loc = locale_of(language)
    symbols = loc.number_symbols["latn"]
    group, decimal = symbols["group"], symbols["decimal"]
    if not re.fullmatch(r"\d[\d" + re.escape(group + decimal) + r"]*", body):
        raise ReadingError(ReadProblem.NOT_A_NUMBER)
    if sum(ch.isdigit() for ch in body) > MAX_DIGITS:
        raise ReadingError(ReadProblem.TOO_LARGE)
    try:
        return parse_decimal(body, locale=loc, strict=True)
    except NumberFormatError as exc:
        raise ReadingError(ReadProblem.GROUPING, _suggest(body, language, exc)) from None


def _suggest(body: str, language: str, exc: NumberFormatError) -> str | None:
    """Babel's suggestion when there is exactly one whole reading of a malformed number."""
    options = [s for s in (getattr(exc, "suggestions", None) or []) if s]
    wholes = {
        parse_decimal(s, locale=locale_of(language)) for s in options if _is_whole_text(s, language)
    }
    if len(wholes) == 1 and len(options) == 1:
        return format_decimal(wholes.pop(), locale=locale_of(language))
    return None


def _is_whole_text(text: str, language: str) -> bool:
    return locale_of(language).number_symbols["latn"]["decimal"] not in text


def read_keyword(text: str, language: str) -> Keyword | None:
    """`sekarang` → NOW, `tanpa` → NONE, `tonton` → WATCH, `ikuti` → FOLLOW (and the English
    words in every language); None when the text is no keyword."""
    body = normalize(text)
    for keyword in Keyword:
        if body in keyword_words(language, keyword):
            return keyword
    return None
