"""R-l10n4 properties: what the bot writes, read back, is what it wrote — in every language and
currency; and no typed number is read as a different number than a native reader would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import NumberFormatError, parse_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import LANGUAGES, LOCALES, duration, money, number, speaking, when
from core.money import MAX_MINOR, MoneyInputError
from core.reading import (
    ReadingError,
    read_amount,
    read_count,
    read_duration,
    read_instant,
    read_when,
)

ALL = list(LANGUAGES)
CURRENCIES = ["USD", "IDR", "THB", "VND", "MYR", "EUR", "JPY", "KWD", "MXN", "PHP", "SGD"]
ZONES = ["UTC", "Asia/Jakarta", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Europe/Madrid", "US/Eastern"]
FEW = settings(max_examples=60, deadline=None)


@FEW
@given(st.sampled_from(ALL), st.integers(min_value=0, max_value=10**12))
def test_r_l10n4_counts_read_back(language: str, n: int) -> None:
    with speaking(language):
        assert read_count(number(n), language) == n


@FEW
@given(
    st.sampled_from(ALL),
    st.sampled_from(CURRENCIES),
    st.integers(min_value=0, max_value=MAX_MINOR // 1000),
)
def test_r_l10n4_amounts_read_back(language: str, currency: str, minor: int) -> None:
    from core.money import minor_digits, shown_digits

    minor -= minor % 10 ** (minor_digits(currency) - shown_digits(currency))  # IDR shows no sen
    with speaking(language):
        assert read_amount(money(minor, currency), currency, language) == minor


@FEW
@given(
    st.sampled_from(ALL),
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)),
)
def test_r_l10n4_times_read_back(language: str, zone: str, naive: datetime) -> None:
    at = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    with speaking(language):
        shown = when(at, zone)
    read = read_instant(shown, language, zone, now)
    local = at.astimezone(ZoneInfo(zone))
    assert read.replace(tzinfo=None) == local.replace(tzinfo=None)  # the same wall clock
    if local.fold == 0:  # a time that happens twice (DST's end) is read as its first occurrence
        assert read == at


@FEW
@given(st.sampled_from(ALL), st.integers(min_value=1, max_value=60 * 24 * 30))
def test_r_l10n4_durations_read_back(language: str, minutes: int) -> None:
    with speaking(language):
        shown = duration(minutes)
    assert read_duration(shown, language) == timedelta(minutes=minutes)


def _native(text: str, language: str) -> Decimal | None:
    """How a native reader of the language reads a number: Babel's strict parse, or nothing."""
    try:
        return parse_decimal(text, locale=LOCALES.get(language, language), strict=True)
    except NumberFormatError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL), st.text(alphabet="0123456789.,", min_size=1, max_size=9))
def test_r_l10n4_no_count_is_read_as_another_number(language: str, typed: str) -> None:
    try:
        read = read_count(typed, language)
    except ReadingError:
        return
    assert _native(typed, language) == read


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ALL),
    st.sampled_from(CURRENCIES),
    st.text(alphabet="0123456789.,", min_size=1, max_size=9),
)
def test_r_l10n4_no_amount_is_read_as_another_number(
    language: str, currency: str, typed: str
) -> None:
    from core.money import currency_locale, minor_digits

    try:
        minor = read_amount(typed, currency, language)
    except MoneyInputError:
        return
    value = Decimal(minor).scaleb(-minor_digits(currency))
    readings = {_native(typed, language), _native(typed, str(currency_locale(currency)))}
    # The person's reading, or — for a currency without decimals whose home writes it so —
    # the home reading (`Rp10.000` typed in English); `5.50` where `.` cannot group.
    dotted = _native(typed.replace(".", ","), language) if "," not in typed else None
    assert value in readings | {dotted}


@pytest.mark.parametrize("language", ALL)
def test_r_l10n4_now_is_now_in_every_language(language: str) -> None:
    from core.reading import Keyword
    from core.reading_words import keyword_words

    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    for word in keyword_words(language, Keyword.NOW):
        assert read_when(word, language, "Asia/Jakarta", now) == now
