"""R-l10n1: no user-facing string bypasses the catalogs.

The whole demo tour (every chat: the seller's, the host's, the team group's; messages, edits
and button labels) runs with the English catalog replaced by a pseudo-locale that wraps every
message in ⟦…⟧. Whatever the bot says outside the markers must be data: names, amounts, ids,
dates, commands and the like. An English sentence there came from outside the catalogs."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import i18n
from bot.demo import add_arguments, run_demo
from bot.i18n_catalogs import PSEUDO_CLOSE, PSEUDO_OPEN, pseudo

INNERMOST = re.compile(f"{PSEUDO_OPEN}[^{PSEUDO_OPEN}{PSEUDO_CLOSE}]*{PSEUDO_CLOSE}")
# Data the tour itself puts in messages (names, products, handles, codes a person types),
# and what Babel's formatting and the stand-in's transcript add (months, currency, zones).
DATA_WORDS = {
    "acme",
    "beauty",
    "sally",
    "hank",
    "velvet",
    "lipstick",
    "volume",
    "mascara",
    "travel",
    "kettle",
    "home",
    "live",
    "utc",
    "usd",
    "idr",
    "vnd",
    "thb",
    "myr",
    "php",
    "sgd",
    "eur",
    "gbp",
    "jakarta",
    "chi",
    "minh",
    "bangkok",
    "kuala",
    "lumpur",
    "manila",
    "singapore",
    "london",
    "new",
    "york",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "roi",
    "photo",
    "png",
    "bytes",
    "stats",
    "edits",
    "message",
    "bot",
    "pressed",
    "team",
    "group",
    "private",
    "chat",
    "five",
    "off",
    "over",
    "twenty",
    "viewer",
    "order",
    "voucher",
    "claim",
    "http",
    "https",
    "standin",
    "start",
    "lip",
    "msc",
    "ktl",
}


def bot_messages(transcript: str) -> list[str]:
    """Each message (or edit) the bot sent in a printed transcript, its lines joined."""
    said: list[str] = []
    inside = False
    for line in transcript.splitlines():
        if line.startswith("bot"):
            inside = True
            said.append(line.split("> ", 1)[-1])
        elif inside and line.startswith(" "):
            said[-1] += "\n" + line.strip()
        else:
            inside = False
    return said


def outside_markers(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, INNERMOST.sub(" ", text)
    return text


def stray_words(line: str) -> list[str]:
    rest = outside_markers(line)
    rest = re.sub(r"https?://\S+|/\w+|@\w+|#\d+|\b[\w.-]+_\w+\b", " ", rest)
    words = re.findall(r"[A-Za-z]{3,}", rest)
    return [w for w in words if w.lower() not in DATA_WORDS]


@pytest.fixture
def pseudo_english() -> Iterator[None]:
    i18n.register("en", pseudo())
    try:
        yield
    finally:
        i18n.unregister("en")


def test_the_scan_finds_an_english_sentence() -> None:
    assert stray_words("⟦Claim period: ⟦7 days⟧⟧ 8 Jun 2026 (UTC)") == []
    assert stray_words("⟦Saved.⟧ Currency changed") == ["Currency", "changed"]


async def test_r_l10n1_every_reply_of_the_tour_comes_from_the_catalogs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pseudo_english: None
) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--database-url", f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"])
    assert await run_demo(args) == 0
    said = bot_messages(capsys.readouterr().out)
    assert len(said) > 40
    assert sum(PSEUDO_OPEN in line for line in said) > 40
    leaks = [(line, stray_words(line)) for line in said if stray_words(line)]
    assert leaks == []
