"""Messages as readable terminal text: entities as ANSI styles (or nothing), numbered buttons."""

from __future__ import annotations

from bot.telegram_standin.keyboards import Button
from bot.telegram_standin.text_builder import Entity
from bot.telegram_standin.utf16 import char_index, utf16_offsets

_ANSI_STYLES = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "code": ("\x1b[36m", "\x1b[39m"),
    "pre": ("\x1b[36m", "\x1b[39m"),
    "spoiler": ("\x1b[2m", "\x1b[22m"),
}


def render_text(text: str, entities: list[Entity] | tuple[Entity, ...], *, ansi: bool) -> str:
    """The plain text with styles as ANSI codes (when ``ansi``) and links as ``text (url)``."""
    offsets = utf16_offsets(text)
    inserts: dict[int, list[str]] = {}
    for entity in entities:
        start = char_index(offsets, entity["offset"])
        end = char_index(offsets, entity["offset"] + entity["length"])
        opening, closing = ("", "")
        if ansi and entity["type"] in _ANSI_STYLES:
            opening, closing = _ANSI_STYLES[entity["type"]]
        if entity["type"] == "text_link":
            closing += f" ({entity.get('url', '')})"
        if opening:
            inserts.setdefault(start, []).append(opening)
        if closing:
            # Closings go before openings at the same spot so adjacent styles do not bleed.
            inserts.setdefault(end, []).insert(0, closing)
    if not inserts:
        return text
    pieces: list[str] = []
    for index, char in enumerate(text):
        pieces.extend(inserts.get(index, ()))
        pieces.append(char)
    pieces.extend(inserts.get(len(text), ()))
    return "".join(pieces)


def render_buttons(rows: list[list[Button]]) -> list[str]:
    """Rows of ``[1] Label`` numbered across the whole keyboard, as ``/press <n>`` counts."""
    lines: list[str] = []
    number = 0
    for row in rows:
        cells: list[str] = []
        for button in row:
            number += 1
            cell = f"[{number}] {button.text}"
            if button.url is not None:
                cell += f" <{button.url}>"
            cells.append(cell)
        lines.append("   ".join(cells))
    return lines


def flat_buttons(rows: list[list[Button]]) -> list[Button]:
    return [button for row in rows for button in row]
