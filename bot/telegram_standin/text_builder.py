"""Shared pieces of the parse_mode parsers: the growing plain text and its entities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.telegram_standin.utf16 import utf16_len

Entity = dict[str, Any]


def byte_offset(text: str, index: int) -> int:
    # Telegram's parse errors point at UTF-8 byte offsets of the source text.
    return len(text[:index].encode("utf-8"))


@dataclass
class TextBuilder:
    parts: list[str] = field(default_factory=list)
    position: int = 0  # in UTF-16 code units, the unit of entity offsets
    entities: list[Entity] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.position += utf16_len(text)

    def add_entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.position - start
        if length > 0:  # Telegram drops empty entities silently
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[Entity]]:
        # Telegram lists entities by offset, outer ones first.
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ordered
