"""R-l10n4: what was read is echoed in the person's words before it is saved, and a refused
reading says what was probably meant (bot/telegram/read_back.py, for the flows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.i18n import speaking
from bot.telegram.read_back import read_back, reading_refusal
from core.reading import read_amount, read_count, read_period, read_task, read_when
from core.rules.live import Task, TaskType

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def test_r_l10n4_amount_typed_the_indonesian_way_is_echoed() -> None:
    with speaking("id"):
        assert read_back(read_amount("10rb", "IDR", "id"), currency="IDR") == (
            "✏️ Terbaca: Rp10.000"
        )
        assert "1.000" in read_back(read_count("1.000", "id"))
        assert "20%" in read_back(20, as_percent=True)


def test_r_l10n4_times_periods_durations_and_tasks_are_echoed() -> None:
    with speaking("id"):
        at = read_when("20.00", "id", "Asia/Jakarta", NOW)
        assert "20.00" in read_back(at, zone="Asia/Jakarta")
        period = read_period("7/12/2026 20.00 - 14/12/2026 20.00", "id", "Asia/Jakarta", NOW)
        shown = read_back(period, zone="Asia/Jakarta")
        assert "7 Des 2026 20.00" in shown and "sampai" in shown
        assert "1 jam 30 menit" in read_back(timedelta(minutes=90))
        task_type, minutes = read_task("tonton 5", "id")
        assert "5" in read_back(Task(TaskType(task_type), minutes))
    with speaking("th"):
        assert "฿2,000.00" in read_back(read_amount("2,000 บาท", "THB", "th"), currency="THB")


@pytest.mark.parametrize(
    ("typed", "language", "says"),
    [
        ("1,000", "id", "Maksud Anda 1.000?"),
        ("5,5", "id", "5,5 bukan bilangan bulat."),
        ("10.00", "id", "tidak yakin angka berapa"),
        ("5,5", "th", "ไม่แน่ใจว่า 5,5"),
    ],
)
def test_r_l10n4_refusals_say_what_was_probably_meant(typed: str, language: str, says: str) -> None:
    with speaking(language):
        with pytest.raises(ValueError) as caught:
            read_count(typed, language)
        worded = reading_refusal(caught.value, typed)
    assert worded is not None and says in worded


def test_a_plain_value_error_leaves_the_flows_own_hint() -> None:
    assert reading_refusal(ValueError("x"), "x") is None
