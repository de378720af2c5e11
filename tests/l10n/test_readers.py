"""R-l10n4, R-money-in: an Indonesian and a Thai seller type the way they write; every answer of
the flows goes through these readers (core/reading.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.money import MoneyInputError
from core.reading import (
    Keyword,
    ReadingError,
    ReadProblem,
    read_amount,
    read_count,
    read_duration,
    read_keyword,
    read_percent,
    read_period,
    read_task,
    read_when,
)

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta and Bangkok
JKT = ZoneInfo("Asia/Jakarta")


@pytest.mark.parametrize(
    ("text", "language", "n"),
    [
        ("1.000", "id", 1000),
        ("1.000.000", "id", 1_000_000),
        ("25", "id", 25),
        ("1,000", "th", 1000),
        ("๑๐๐", "th", 100),
        ("1.000", "vi", 1000),
        ("1,000", "ms", 1000),
        ("10.000", "es", 10_000),
        ("1,000", "en", 1000),
    ],
)
def test_r_l10n4_counts_as_written(text: str, language: str, n: int) -> None:
    assert read_count(text, language) == n


@pytest.mark.parametrize(
    ("text", "language", "code", "suggestion"),
    [
        ("5,5", "id", ReadProblem.NOT_WHOLE, None),  # five and a half, never 55
        ("5,5", "th", ReadProblem.GROUPING, None),  # never 55 either
        ("5.5", "th", ReadProblem.NOT_WHOLE, None),
        ("1,000", "id", ReadProblem.NOT_WHOLE, "1.000"),  # offered, not taken
        ("10.00", "id", ReadProblem.GROUPING, None),  # 1.000 or 10? asked, not guessed
        ("-3", "id", ReadProblem.NEGATIVE, None),
        ("lima", "id", ReadProblem.NOT_A_NUMBER, None),
        ("", "th", ReadProblem.EMPTY, None),
    ],
)
def test_r_l10n4_counts_refused_never_reinterpreted(
    text: str, language: str, code: ReadProblem, suggestion: str | None
) -> None:
    with pytest.raises(ReadingError) as caught:
        read_count(text, language)
    assert caught.value.code is code
    assert caught.value.suggestion == suggestion
    assert isinstance(caught.value, ValueError)  # the flows' `except ValueError` still catches


def test_r_l10n4_percent_12_5_is_not_125() -> None:
    for language in ("id", "vi", "es"):
        with pytest.raises(ReadingError) as caught:
            read_percent("12,5", language)
        assert caught.value.code is ReadProblem.NOT_WHOLE
    assert read_percent("20%", "id") == 20
    assert read_percent("20 persen", "id") == 20
    assert read_percent("20 %", "es") == 20
    assert read_percent("๒๐%", "th") == 20


@pytest.mark.parametrize(
    ("text", "currency", "language", "minor"),
    [
        ("Rp. 10.000", "IDR", "id", 1_000_000),
        ("Rp 25.000,00", "IDR", "id", 2_500_000),
        ("10rb", "IDR", "id", 1_000_000),
        ("10 ribu", "IDR", "id", 1_000_000),
        ("1,5jt", "IDR", "id", 150_000_000),
        ("10k", "IDR", "id", 1_000_000),
        ("Rp10.000", "IDR", "en", 1_000_000),  # the home writing of a whole-number currency
        ("5,50", "USD", "id", 550),  # US$5,50 is how an Indonesian writes it
        ("2,000 บาท", "THB", "th", 200_000),
        ("฿2,000", "THB", "th", 200_000),
        ("2 พัน", "THB", "th", 200_000),
        ("50k", "VND", "vi", 50_000),
        ("1,5tr", "VND", "vi", 1_500_000),
        ("10 mil", "EUR", "es", 1_000_000),
        ("RM10", "MYR", "ms", 1_000),
    ],
)
def test_r_l10n4_everyday_amounts(text: str, currency: str, language: str, minor: int) -> None:
    assert read_amount(text, currency, language) == minor


@pytest.mark.parametrize(
    ("text", "currency", "language", "code"),
    [
        ("5,5", "IDR", "id", "too_many_decimals"),
        ("10.00", "IDR", "id", "too_many_decimals"),
        ("Rp 25.000,50", "IDR", "id", "too_many_decimals"),
        ("-10rb", "IDR", "id", "negative"),
        ("1e3", "IDR", "id", "exponent"),
        ("1,2345678jt", "IDR", "id", "too_many_decimals"),
        ("5,50", "USD", "en", "grouping"),
        ("5,5", "THB", "th", "grouping"),
    ],
)
def test_r_money_in_still_refuses(text: str, currency: str, language: str, code: str) -> None:
    with pytest.raises(MoneyInputError) as caught:
        read_amount(text, currency, language)
    assert caught.value.code == code


def test_r_money_in_suggestion_is_in_the_persons_writing() -> None:
    with pytest.raises(MoneyInputError) as caught:
        read_amount("5,50", "USD", "en")
    assert caught.value.suggestion == "$5.50"
    with pytest.raises(MoneyInputError) as caught:
        read_amount("-5", "USD", "id")
    assert caught.value.example == "US$5,00"


@pytest.mark.parametrize(
    ("text", "language", "local"),
    [
        ("sekarang", "id", datetime(2026, 12, 6, 10, 0)),
        ("45 menit lagi", "id", datetime(2026, 12, 6, 10, 45)),
        ("dalam 45 menit", "id", datetime(2026, 12, 6, 10, 45)),
        ("1 jam", "id", datetime(2026, 12, 6, 11, 0)),
        ("dalam 1 jam 30 menit", "id", datetime(2026, 12, 6, 11, 30)),
        ("20.00", "id", datetime(2026, 12, 6, 20, 0)),
        ("10.00", "id", datetime(2026, 12, 7, 10, 0)),  # 10.00 has just passed: tomorrow
        ("7/12/2026 20.00", "id", datetime(2026, 12, 7, 20, 0)),
        ("7 Des 2026 20.00", "id", datetime(2026, 12, 7, 20, 0)),
        ("ตอนนี้", "th", datetime(2026, 12, 6, 10, 0)),
        ("อีก 45 นาที", "th", datetime(2026, 12, 6, 10, 45)),
        ("20:00", "th", datetime(2026, 12, 6, 20, 0)),
        ("20.00 น.", "th", datetime(2026, 12, 6, 20, 0)),
        ("8 ธ.ค. 2569 20:00", "th", datetime(2026, 12, 8, 20, 0)),
        ("20 giờ", "vi", datetime(2026, 12, 6, 20, 0)),
        ("45 phút nữa", "vi", datetime(2026, 12, 6, 10, 45)),
        ("8:00 PTG", "ms", datetime(2026, 12, 6, 20, 0)),
        ("en 45 min", "es", datetime(2026, 12, 6, 10, 45)),
        ("in 45 min", "id", datetime(2026, 12, 6, 10, 45)),  # English words work everywhere
    ],
)
def test_r_l10n4_times(text: str, language: str, local: datetime) -> None:
    assert read_when(text, language, "Asia/Jakarta", NOW) == local.replace(tzinfo=JKT)


@pytest.mark.parametrize(
    ("text", "language"), [("25.00", "id"), ("besok", "id"), ("dalam x", "id"), ("20 abc", "th")]
)
def test_r_l10n4_times_refused(text: str, language: str) -> None:
    with pytest.raises(ReadingError):
        read_when(text, language, "Asia/Jakarta", NOW)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("2026-12-07 20.00 sampai 2026-12-14 20.00", "id"),
        ("7/12/2026 20.00 - 14/12/2026 20.00", "id"),
        ("7 Des 2026 20.00 s/d 14 Des 2026 20.00", "id"),
        ("7 ธ.ค. 2026 20:00 ถึง 14 ธ.ค. 2026 20:00", "th"),
        ("20:00 07/12/2026 đến 20:00 14/12/2026", "vi"),
        ("7 dic 2026 20:00 a 14 dic 2026 20:00", "es"),
        ("2026-12-07 20:00 to 2026-12-14 20:00", "en"),
    ],
)
def test_r_l10n4_periods(text: str, language: str) -> None:
    starts, ends = read_period(text, language, "Asia/Jakarta", NOW)
    assert starts == datetime(2026, 12, 7, 20, 0, tzinfo=JKT)
    assert ends == starts + timedelta(days=7)


def test_r_l10n4_period_from_now() -> None:
    starts, ends = read_period("sekarang sampai 14/12/2026 20.00", "id", "Asia/Jakarta", NOW)
    assert starts == NOW and ends == datetime(2026, 12, 14, 20, 0, tzinfo=JKT)


def test_r_l10n4_numeric_dates_follow_the_locale() -> None:
    # 7/12 is the 7th of December in Indonesian, July 12th in English.
    assert read_period("now to 7/12/2026 20:00", "en", "UTC", NOW)[1].month == 7
    assert read_period("sekarang sampai 7/12/2026 20.00", "id", "UTC", NOW)[1].month == 12


@pytest.mark.parametrize(
    ("text", "language", "task"),
    [
        ("tonton 5", "id", ("watch", 5)),
        ("tonton 5 menit", "id", ("watch", 5)),
        ("ikuti", "id", ("follow", None)),
        ("tanpa", "id", ("none", None)),
        ("ดู 5 นาที", "th", ("watch", 5)),
        ("ติดตาม", "th", ("follow", None)),
        ("ไม่มี", "th", ("none", None)),
        ("watch 5", "id", ("watch", 5)),
        ("w5", "en", ("watch", 5)),
        ("xem 3", "vi", ("watch", 3)),
        ("ver 5", "es", ("watch", 5)),
    ],
)
def test_r_l10n4_tasks(text: str, language: str, task: tuple[str, int | None]) -> None:
    assert read_task(text, language) == task


def test_r_l10n4_task_without_minutes_is_asked_for() -> None:
    with pytest.raises(ReadingError) as caught:
        read_task("tonton", "id")
    assert caught.value.code is ReadProblem.MINUTES_MISSING


def test_r_l10n4_keywords_and_durations() -> None:
    assert read_keyword("Sekarang", "id") is Keyword.NOW
    assert read_keyword("tanpa", "id") is Keyword.NONE
    assert read_keyword("tanpa", "th") is None  # Indonesian words are not Thai
    assert read_duration("1 jam 30 menit", "id") == timedelta(minutes=90)
    assert read_duration("1,5 jam", "id") == timedelta(minutes=90)
    assert read_duration("2 ชั่วโมง", "th") == timedelta(hours=2)
    with pytest.raises(ReadingError):
        read_duration("20.00", "en")  # a time, not twenty minutes


def test_r_l10n4_no_minimum_in_words() -> None:
    assert read_amount("tanpa", "IDR", "id") == 0
    assert read_amount("ไม่มี", "THB", "th") == 0
    with pytest.raises(MoneyInputError) as caught:
        read_amount("tanpa", "IDR", "id", allow_zero=False)
    assert caught.value.code == "zero"


def test_r_l10n4_a_time_copied_from_the_team_chat_is_read() -> None:
    at = read_when("7 Des 2026 20.00 (Asia/Jakarta)", "id", "Asia/Jakarta", NOW)
    assert at == datetime(2026, 12, 7, 20, 0, tzinfo=JKT)
