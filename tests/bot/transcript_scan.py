"""R-b5 for the whole suite: every message, edit, button label and button answer the bot sent
through the stand-in is scanned for words that must never reach a chat (rule ids, snake_case
field names, dotted API field paths, tracebacks, log levels). The `standin` fixture runs it after
every bot test, so any journey that leaks one fails."""

from __future__ import annotations

import re
from html import unescape

from bot.telegram_standin import TelegramStandIn
from bot.telegram_standin.conversation_log import BOT_EDIT, BOT_MESSAGE, CALLBACK_ANSWER

RULE_ID = re.compile(r"\bR-[a-z]+\d+\b")
# A snake_case word (`starts_at`, `total_quantity`): what API field names look like.
SNAKE = re.compile(r"(?<![\w@/.-])[a-z]+(?:_[a-z]+)+(?![\w.-])")
DOTTED = re.compile(
    r"\b(?:discount|scope|lines|task|drop|draw)\.[a-z_]+\b"
)  # `discount.percent`, `scope.product_ids`: the API's dotted paths
LOG_WORDS = re.compile(r"\bTraceback\b|\b(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b|Exception:|Error:")
# What a person may legitimately be shown verbatim: links, code the user copies (API keys,
# example commands) and the text the user typed, which the bot may echo back.
_KEEP_OUT = re.compile(r"<(code|pre)>.*?</\1>|<a [^>]*>|https?://\S+", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def visible_words(html_text: str) -> str:
    """The text a person reads, minus code spans, links and URLs."""
    return unescape(_TAG.sub("", _KEEP_OUT.sub(" ", html_text)))


def problems_in(text: str, echoed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    found: list[str] = []
    for pattern in (RULE_ID, SNAKE, DOTTED, LOG_WORDS):
        for match in pattern.finditer(text):
            word = match.group(0)
            if any(word in e for e in echoed):
                continue
            found.append(word)
    return found


def scan(standin: TelegramStandIn) -> list[str]:
    """`"<what the bot sent>" contains <word>` for every leak in the stand-in's history."""
    echoed: set[str] = set()
    leaks: list[str] = []
    for event in standin.events:
        if event.kind == "user_message" and event.content is not None:
            echoed.add(event.content.plain_text or "")
            continue
        texts: list[str] = []
        if event.kind in (BOT_MESSAGE, BOT_EDIT) and event.content is not None:
            c = event.content
            body = c.text or ""
            texts.append(visible_words(body) if c.parse_mode else body)
            texts += [b.text or "" for row in c.buttons for b in row]
        elif event.kind == CALLBACK_ANSWER and event.answer is not None:
            texts.append(event.answer.text or "")
        for text in texts:
            for word in problems_in(text, echoed):
                leaks.append(f"{text[:160]!r} contains {word!r}")
    return leaks
