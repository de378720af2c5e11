"""`voucherbot demo` plays the whole tour offline and prints it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.demo import add_arguments, run_demo


async def test_demo_tour(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"])
    assert await run_demo(args) == 0
    out = capsys.readouterr().out
    for expected in (
        "Sally> /setup Acme Beauty",
        "Maximum Discount Per Order is Low",
        'Hank> [pressed "Watch 1 min"]',
        "refused: task_not_met",
        "80% claimed",  # the team chat got the quota notice through the outbox sender
        "Live session #1 ended",
        "Sally> /stats",  # the tour ends with analytics and its chart
        "[photo: stats.png",
        "Sally> /advice",
    ):
        assert expected in out, expected
