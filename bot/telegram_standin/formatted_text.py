"""What a user sees of a text the bot sends: parse_mode applied, trimmed, and length-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.telegram_standin.errors import bad_request
from bot.telegram_standin.html_text import parse_html
from bot.telegram_standin.markdown_text import parse_markdown_legacy, parse_markdown_v2
from bot.telegram_standin.text_builder import Entity
from bot.telegram_standin.utf16 import utf16_len

MESSAGE_TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_PARSERS = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown_legacy,
}
_TRIMMED = " \t\r\n"


@dataclass(frozen=True)
class FormattedText:
    text: str
    entities: list[Entity] = field(default_factory=list)


def _trim(text: str, entities: list[Entity]) -> FormattedText:
    """Telegram strips leading and trailing whitespace and shifts the entities to match."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return FormattedText(text, entities)
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    total = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, kept)


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> FormattedText:
    """Apply ``parse_mode`` (or explicit ``entities``) the way Telegram does, without limits."""
    if parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise bad_request(f"unsupported parse_mode {parse_mode!r}")
        plain, parsed = parser(text)
        return _trim(plain, parsed)
    if entities is not None:
        if not isinstance(entities, list) or not all(
            isinstance(entity, dict) and {"type", "offset", "length"} <= entity.keys()
            for entity in entities
        ):
            raise bad_request("can't parse entities JSON object")
        return _trim(text, list(entities))
    return _trim(text, [])


def format_message_text(
    text: str | None, parse_mode: str | None, entities: Any = None
) -> FormattedText:
    """A message text: 1..4096 characters once formatting is applied."""
    if not text:
        raise bad_request("message text is empty")
    formatted = format_text(text, parse_mode, entities)
    if not formatted.text:
        raise bad_request("message text is empty")
    if len(formatted.text) > MESSAGE_TEXT_LIMIT:
        raise bad_request("message is too long")
    return formatted


def format_caption(
    text: str | None, parse_mode: str | None, entities: Any = None
) -> FormattedText | None:
    """A media caption: optional, at most 1024 characters once formatting is applied."""
    if not text:
        return None
    formatted = format_text(text, parse_mode, entities)
    if len(formatted.text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return formatted if formatted.text else None
