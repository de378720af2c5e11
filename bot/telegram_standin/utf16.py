"""UTF-16 arithmetic: the Bot API measures entity offsets and lengths in UTF-16 code units."""

from __future__ import annotations


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_offsets(text: str) -> list[int]:
    """The UTF-16 offset of every character of ``text``, plus one for the end of the text."""
    offsets = [0]
    position = 0
    for char in text:
        position += 2 if ord(char) > 0xFFFF else 1
        offsets.append(position)
    return offsets


def char_index(offsets: list[int], utf16_offset: int) -> int:
    """The character index whose UTF-16 offset is ``utf16_offset`` (or the next one after it)."""
    low, high = 0, len(offsets) - 1
    while low < high:
        middle = (low + high) // 2
        if offsets[middle] < utf16_offset:
            low = middle + 1
        else:
            high = middle
    return low
