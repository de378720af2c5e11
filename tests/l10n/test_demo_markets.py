"""R-l10n5 and R-l10n4 in the demo: `voucherbot demo --lang id` (`make demo LANG=id`) runs in
the language's market — rupiah, Jakarta — types amounts as Indonesians write them, and its
narration has no API code."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.demo import add_arguments, run_demo
from bot.i18n import activate


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", ("Sally> 5rb", "Sally> 1rb", "Rp5.000", "tugas belum selesai", "Asia/Jakarta")),
        ("th", ("Sally> 600 บาท", "฿150.00", "ยังทำภารกิจไม่ครบ", "Asia/Bangkok")),
    ],
)
async def test_r_l10n5_demo_in_the_languages_market(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str, expected: tuple[str, ...]
) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", "--lang", language]
    )
    try:
        assert await run_demo(args) == 0
    finally:
        activate(None)
    out = capsys.readouterr().out
    for text in expected:
        assert text in out, text
    assert "task_not_met" not in out and "$" not in out
