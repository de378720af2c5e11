"""R-l10n4: what a person types, read in their language — one reader per kind of input.

Every adapter (the bot's flows, the Mini App's forms) reads typed text through these functions
and nothing else, so a language's conventions live in one place. Each reader takes the person's
language (`en`, `id`, `th`, `vi`, `ms`, `es`). Numbers are read with Babel's locale data
(`parse_decimal(strict=True)` in the person's locale: in Indonesian `1.000` is one thousand and
`5,5` five and a half), words with the small vocabulary of core/reading_words.py. A refusal is a
`ReadingError` (a `ValueError` with a `code` and, where one is likely, a `suggestion` written in
the person's language), or for amounts `core.money.MoneyInputError`. Nothing is reinterpreted:
`5,5` as a count is refused as not whole, never read as 55.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_decimal

from core.money import parse_money
from core.reading_base import (
    ReadingError,
    ReadProblem,
    locale_of,
    normalize,
    number,
    read_keyword,
)
from core.reading_time import read_duration, read_instant, read_period, read_when
from core.reading_words import Keyword, keyword_words, multipliers, percent_words

__all__ = [
    "DATE_FORMAT",
    "Keyword",
    "ReadProblem",
    "ReadingError",
    "read_amount",
    "read_count",
    "read_duration",
    "read_instant",
    "read_keyword",
    "read_percent",
    "read_period",
    "read_task",
    "read_when",
]

DATE_FORMAT = "%Y-%m-%d %H:%M"


def _whole(value: Decimal, body: str, language: str) -> int:
    """A whole number, or NOT_WHOLE: any decimal separator typed refuses (`5,0` too)."""
    decimal = locale_of(language).number_symbols["latn"]["decimal"]
    if decimal in body or value != value.to_integral_value():
        suggestion = None
        head, _sep, tail = body.partition(decimal)
        if re.fullmatch(r"\d{1,3}", head) and re.fullmatch(r"\d{3}", tail):
            # `1,000` in Indonesian: the English thousand, offered in the person's writing.
            suggestion = format_decimal(int(head + tail), locale=locale_of(language))
        raise ReadingError(ReadProblem.NOT_WHOLE, suggestion)
    return int(value)


def read_count(text: str, language: str) -> int:
    """A whole number (quantities, ids, minutes, winners) in the person's writing: `1.000` in
    Indonesian and Spanish, `1,000` in English and Thai; `5,5` is refused as not whole."""
    body = normalize(text).removesuffix("%").strip()
    return _whole(number(body, language), body, language)


def without_plus(text: str) -> str:
    """An amount to add, as the raise buttons write it (`+50`, `+Rp50.000`): one leading `+`
    is the person saying "more", not a sign to refuse; a second one, or a `-`, stays and is
    refused by the reader as before."""
    body = normalize(text)
    return body[1:].lstrip() if body.startswith("+") else text


def read_percent(text: str, language: str) -> int:
    """A whole percentage (`20`, `20%`, `20 %`, `20 persen`); `12,5` is refused, never 125."""
    body = normalize(text)
    for mark in ("%", *percent_words(language)):
        if body.endswith(mark):
            body = body[: -len(mark)].strip()
            break
    return _whole(number(body, language), body, language)


def read_amount(text: str, currency: str, language: str, *, allow_zero: bool = True) -> int:
    """Money in minor units of `currency` (R-money-in, R-l10n4), read in the person's locale:
    `Rp. 10.000`, `Rp 25.000,00`, `10rb`, `10 ribu`, `1,5jt`, `10k`, `2,000 บาท`; `tanpa` / `none`
    is zero (no minimum spend). Refusals are
    `core.money.MoneyInputError` (signs, exponents, malformed grouping, too many decimals)."""
    body = normalize(text)
    if read_keyword(body, language) is Keyword.NONE:
        # `tanpa` (no minimum spend) is zero: accepted where zero is, refused as zero elsewhere.
        return parse_money("0", currency, allow_zero=allow_zero, locale=locale_of(language))
    times = 1
    words = multipliers(language)
    pattern = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    found = re.fullmatch(r"(.*\d)\s*(" + pattern + r")(?![^\W\d_])\.?(\s*\D*)", body)
    if found and not re.search(r"\d", found.group(3)):
        body, times = (found.group(1) + found.group(3)).strip(), words[found.group(2)]
    return parse_money(
        body, currency, allow_zero=allow_zero, locale=locale_of(language), times=times
    )


def read_task(text: str, language: str) -> tuple[str, int | None]:
    """`watch 5`, `w5`, `tonton 5`, `ดู 5 นาที`, `follow`, `ikuti`, `none`, `tanpa` →
    (task type, minutes); ReadingError otherwise."""
    body = normalize(text)
    keyword = read_keyword(body, language)
    if keyword in {Keyword.FOLLOW, Keyword.NONE}:
        return keyword.value, None
    for word in sorted(keyword_words(language, Keyword.WATCH), key=len, reverse=True):
        if body == word:
            raise ReadingError(ReadProblem.MINUTES_MISSING)
        if body.startswith(word) and (body[len(word)] == " " or body[len(word)].isdigit()):
            rest = body[len(word) :].strip()
            minutes = read_duration(rest, language)
            whole = int(minutes.total_seconds() // 60)
            if minutes.total_seconds() % 60:
                raise ReadingError(ReadProblem.NOT_WHOLE)
            return "watch", whole
    raise ReadingError(ReadProblem.UNKNOWN_WORD)
