"""The smaller items of issue 20, each with its rule: times written one way, …"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import DATE_FORMATS, LANGUAGES, clock, speaking, when

AT = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_r_l10n1_a_time_is_written_one_way_per_language(language: str) -> None:
    """The team chat's dates (`when`) and the panel's and drops' times (`clock`) agree."""
    with speaking(language):
        assert clock(AT, "Asia/Jakarta") in when(AT, "Asia/Jakarta")
        local = AT.astimezone(ZoneInfo("Asia/Jakarta"))
        assert clock(local) == clock(AT, "Asia/Jakarta")  # a local instant keeps its clock
    assert DATE_FORMATS[language]


def test_r_l10n1_indonesian_times_use_a_dot() -> None:
    with speaking("id"):
        assert clock(AT, "Asia/Jakarta") == "10.00"
    with speaking("th"):
        assert clock(AT, "Asia/Bangkok") == "10:00"


def test_labels_are_cut_at_a_word_with_an_ellipsis() -> None:
    from bot.telegram.keyboards import fit

    assert fit("Diskon 20% min. belanja Rp200.000", 28) == "Diskon 20% min. belanja…"
    assert fit("Promo", 28) == "Promo"
    assert len(fit("x" * 50, 28)) == 28 and fit("x" * 50, 28).endswith("…")


def test_indonesian_names_start_with_a_capital_and_say_discount_once() -> None:
    from bot.i18n import _
    from bot.telegram.voucher_draft import auto_name

    with speaking("id"):
        name = auto_name({"dtype": "percent", "percent": 20, "min": 20_000_000}, "IDR")
        assert name[0].isupper() and "Rp200.000" in name
        line = _("Discount: {discount}").format(
            discount=_("{percent}% off, max {cap} per order").format(percent=20, cap="Rp5.000")
        )
        assert line.lower().count("diskon") == 1
        assert "kurang dari semenit" in _("sells out in under a minute")
        assert "sekitar" not in _("sells out in under a minute")
