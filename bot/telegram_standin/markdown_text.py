"""parse_mode=MarkdownV2 and the legacy parse_mode=Markdown, turned into plain text and entities.

MarkdownV2 is strict: every reserved character outside markup must be escaped, and Telegram
answers 400 otherwise. That is the mistake bots make most (an unescaped ``.`` or ``-`` in a
price or a date), so the stand-in refuses exactly where Telegram does.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.telegram_standin.errors import cant_parse_entities
from bot.telegram_standin.text_builder import Entity, TextBuilder, byte_offset

RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_TOGGLES = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
}


@dataclass
class _Open:
    kind: str
    start: int
    source_index: int


def _unclosed(text: str, kind: str, index: int) -> Exception:
    return cant_parse_entities(
        f"Can't find end of {_ENTITY_NAMES[kind]} entity at byte offset {byte_offset(text, index)}"
    )


def _read_code(text: str, index: int, closing: str) -> tuple[str, int] | None:
    """Code text from ``index`` up to ``closing``, where only ` and \\ are escaped."""
    chars: list[str] = []
    length = len(text)
    while index < length:
        if text.startswith(closing, index):
            return "".join(chars), index + len(closing)
        if text[index] == "\\" and index + 1 < length and text[index + 1] in "`\\":
            chars.append(text[index + 1])
            index += 2
            continue
        chars.append(text[index])
        index += 1
    return None


def _read_url(text: str, index: int) -> tuple[str, int] | None:
    """A link's URL after ``](``; inside it only ) and \\ are escaped."""
    chars: list[str] = []
    length = len(text)
    while index < length:
        char = text[index]
        if char == ")":
            return "".join(chars), index + 1
        if char == "\\" and index + 1 < length and text[index + 1] in ")\\":
            chars.append(text[index + 1])
            index += 2
            continue
        chars.append(char)
        index += 1
    return None


class _MarkdownV2Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = TextBuilder()
        self.stack: list[_Open] = []
        self.quote_start: int | None = None

    def parse(self) -> tuple[str, list[Entity]]:
        text, index = self.text, 0
        while index < len(text):
            index = self._step(index)
        if self.quote_start is not None:
            self.out.add_entity("blockquote", self.quote_start)
        if self.stack:
            unclosed = self.stack[-1]
            raise _unclosed(text, unclosed.kind, unclosed.source_index)
        return self.out.result()

    def _step(self, index: int) -> int:
        text, char = self.text, self.text[index]
        if char == "\\" and index + 1 < len(text) and 0 < ord(text[index + 1]) < 127:
            self.out.add(text[index + 1])
            return index + 2
        if char == "\n":
            self._end_quote_unless_continued(index)
            self.out.add(char)
            return index + 1
        if char == ">" and (index == 0 or text[index - 1] == "\n"):
            if self.quote_start is None:
                self.quote_start = self.out.position
            return index + 1
        if char not in RESERVED_V2:
            self.out.add(char)
            return index + 1
        if char == "`":
            return self._code(index)
        if char == "[":
            self.stack.append(_Open("text_link", self.out.position, index))
            return index + 1
        if char == "]" and self.stack and self.stack[-1].kind == "text_link":
            return self._link_end(index)
        marker = text[index : index + 2] if text.startswith(("__", "||"), index) else char
        if marker in _TOGGLES:
            return self._toggle(_TOGGLES[marker], index, len(marker))
        raise cant_parse_entities(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def _end_quote_unless_continued(self, index: int) -> None:
        if self.quote_start is not None and not self.text.startswith(">", index + 1):
            self.out.add_entity("blockquote", self.quote_start)
            self.quote_start = None

    def _code(self, index: int) -> int:
        text = self.text
        if text.startswith("```", index):
            body = _read_code(text, index + 3, "```")
            if body is None:
                raise _unclosed(text, "pre", index)
            content, after = body
            language, newline, rest = content.partition("\n")
            if not newline or not language or " " in language:
                language, rest = "", content
            start = self.out.position
            self.out.add(rest)
            if language:
                self.out.add_entity("pre", start, language=language)
            else:
                self.out.add_entity("pre", start)
            return after
        body = _read_code(text, index + 1, "`")
        if body is None:
            raise _unclosed(text, "code", index)
        start = self.out.position
        self.out.add(body[0])
        self.out.add_entity("code", start)
        return body[1]

    def _link_end(self, index: int) -> int:
        opened = self.stack.pop()
        if not self.text.startswith("(", index + 1):
            return index + 1  # [text] without a URL stays plain text
        url = _read_url(self.text, index + 2)
        if url is None:
            raise _unclosed(self.text, "text_link", opened.source_index)
        if url[0]:
            self.out.add_entity("text_link", opened.start, url=url[0])
        return url[1]

    def _toggle(self, kind: str, index: int, width: int) -> int:
        if self.stack and self.stack[-1].kind == kind:
            self.out.add_entity(kind, self.stack.pop().start)
        elif any(opened.kind == kind for opened in self.stack):
            # Entities may nest but not overlap: the inner one has to end first.
            inner = self.stack[-1]
            raise _unclosed(self.text, inner.kind, inner.source_index)
        else:
            self.stack.append(_Open(kind, self.out.position, index))
        return index + width


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of a MarkdownV2 text, or an ApiError like Telegram's."""
    return _MarkdownV2Parser(text).parse()


_LEGACY_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown_legacy(text: str) -> tuple[str, list[Entity]]:
    """The legacy Markdown: no nesting, and markers only escape themselves."""
    out = TextBuilder()
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in "_*`[":
            out.add(text[index + 1])
            index += 2
            continue
        if char not in "_*`[":
            out.add(char)
            index += 1
            continue
        unclosed = cant_parse_entities(
            f"Can't find end of the entity starting at byte offset {byte_offset(text, index)}"
        )
        start = out.position
        if text.startswith("```", index):
            end = text.find("```", index + 3)
            if end == -1:
                raise unclosed
            out.add(text[index + 3 : end])
            out.add_entity("pre", start)
            index = end + 3
        elif char == "[":
            middle = text.find("](", index)
            end = text.find(")", middle + 2) if middle != -1 else -1
            if end == -1:
                raise unclosed
            out.add(text[index + 1 : middle])
            out.add_entity("text_link", start, url=text[middle + 2 : end])
            index = end + 1
        else:
            end = text.find(char, index + 1)
            if end == -1:
                raise unclosed
            out.add(text[index + 1 : end])
            out.add_entity(_LEGACY_MARKERS[char], start)
            index = end + 1
    return out.result()
