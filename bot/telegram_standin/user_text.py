"""Entities Telegram detects in what users type: commands, mentions, hashtags and links.

PTB's CommandHandler only fires on a ``bot_command`` entity at offset 0, so user messages
need these to look like Telegram's.
"""

from __future__ import annotations

import re

from bot.telegram_standin.text_builder import Entity
from bot.telegram_standin.utf16 import utf16_len

_URL = re.compile(r"\bhttps?://[^\s<>\"]+")
_PATTERNS = (
    ("bot_command", re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
)


def detect_entities(text: str) -> list[Entity]:
    spans: list[tuple[int, int, str]] = [(m.start(), m.end(), "url") for m in _URL.finditer(text)]
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            # Inside a link, "#frag" or "/path" is part of the link, not an entity of its own.
            if not any(start < match.end() and match.start() < end for start, end, _ in spans):
                spans.append((match.start(), match.end(), kind))
    spans.sort()
    return [
        {
            "type": kind,
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
        }
        for start, end, kind in spans
    ]


def command_of(text: str) -> tuple[str, str | None] | None:
    """("/name", "botname" or None) when the text starts with a command."""
    match = _PATTERNS[0][1].match(text)
    if match is None:
        return None
    name, _, mention = match.group(0).partition("@")
    return name, mention or None
