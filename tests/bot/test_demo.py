"""`voucherbot demo` plays the whole tour offline and prints it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.demo import add_arguments, run_demo
from tests.bot.transcript_scan import problems_in


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
        "refused: the task isn't done yet",  # the narration words the API's code
        "80% claimed",  # the team chat got the quota notice through the outbox sender
        "Live session #1 ended",
        "Sally> /stats",  # the tour ends with analytics and its chart
        "[photo: stats.png",
        "Sally> /advice",
    ):
        assert expected in out, expected


def bot_lines(transcript: str) -> list[str]:
    """What the bot said in a printed transcript: `bot…> ` lines and their indented rest."""
    said: list[str] = []
    inside = False
    for line in transcript.splitlines():
        if line.startswith("bot"):
            inside = True
            said.append(line.split("> ", 1)[-1])
        elif inside and line.startswith(" "):
            said.append(line.strip())
        else:
            inside = False
    return said


async def test_r_b5_demo_transcript_is_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole tour, every chat: no rule id, field name, traceback or log line (R-b5)."""
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"])
    assert await run_demo(args) == 0
    said = bot_lines(capsys.readouterr().out)
    assert len(said) > 50
    leaks = [(line, problems_in(line)) for line in said if problems_in(line)]
    assert leaks == []
