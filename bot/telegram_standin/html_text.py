"""parse_mode=HTML: Telegram's subset of HTML turned into plain text and entities.

Mirrors https://core.telegram.org/bots/api#html-style, including its refusals, so a bot that
forgets to escape a user-supplied ``<`` gets the same 400 it would get from Telegram.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from bot.telegram_standin.errors import cant_parse_entities
from bot.telegram_standin.text_builder import Entity, TextBuilder, byte_offset

TAG_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_NAME_CHARS = re.compile(r"[a-zA-Z0-9-]*")
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_UNQUOTED_VALUE = re.compile(r"[^\s>]*")


@dataclass
class _OpenTag:
    name: str
    start: int
    source_index: int
    attributes: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def _decode_entity(text: str, index: int) -> tuple[str, int] | None:
    match = _ENTITY.match(text, index)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code_point = int(body[2:], 16)
    elif body.startswith("#"):
        code_point = int(body[1:])
    elif body in NAMED_ENTITIES:
        return NAMED_ENTITIES[body], match.end()
    else:
        # Only four named entities are supported; Telegram keeps the others as typed.
        return None
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point), match.end()


def _read_attributes(text: str, index: int, tag: str, start: int) -> tuple[dict[str, str], int]:
    """Attributes of a start tag from ``index``; returns them and the index after ``>``."""
    attributes: dict[str, str] = {}
    length = len(text)
    while True:
        while index < length and text[index] in " \t\r\n/":
            index += 1
        if index >= length:
            raise cant_parse_entities(
                f"Unclosed start tag at byte offset {byte_offset(text, start)}"
            )
        if text[index] == ">":
            return attributes, index + 1
        name_match = _ATTRIBUTE_NAME.match(text, index)
        if name_match is None:
            raise cant_parse_entities(
                f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(text, start)}'
            )
        name = name_match.group(0).lower()
        index = name_match.end()
        while index < length and text[index] in " \t\r\n":
            index += 1
        if index >= length or text[index] != "=":
            attributes[name] = ""  # a bare attribute, like <blockquote expandable>
            continue
        index += 1
        while index < length and text[index] in " \t\r\n":
            index += 1
        if index < length and text[index] in "\"'":
            end = text.find(text[index], index + 1)
            if end == -1:
                raise cant_parse_entities(
                    f"Unclosed start tag at byte offset {byte_offset(text, start)}"
                )
            raw_value, index = text[index + 1 : end], end + 1
        else:
            value_match = _UNQUOTED_VALUE.match(text, index)
            assert value_match is not None
            raw_value, index = value_match.group(0), value_match.end()
        attributes[name] = html.unescape(raw_value)


def _open_tag(text: str, index: int, out: TextBuilder, stack: list[_OpenTag]) -> int:
    name_match = _NAME_CHARS.match(text, index + 1)
    assert name_match is not None
    name = name_match.group(0).lower()
    if name not in TAG_ENTITY_TYPES:
        raise cant_parse_entities(
            f'Unsupported start tag "{name}" at byte offset {byte_offset(text, index)}'
        )
    attributes, after = _read_attributes(text, name_match.end(), name, index)
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise cant_parse_entities(
            f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(text, index)}'
        )
    if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise cant_parse_entities(
            f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
            f"{byte_offset(text, index)}"
        )
    stack.append(_OpenTag(name, out.position, index, attributes))
    return after


def _close_tag(text: str, index: int, out: TextBuilder, stack: list[_OpenTag]) -> int:
    end = text.find(">", index)
    if end == -1:
        raise cant_parse_entities(f"Unclosed end tag at byte offset {byte_offset(text, index)}")
    name = text[index + 2 : end].strip().lower()
    if not stack:
        raise cant_parse_entities(f"Unexpected end tag at byte offset {byte_offset(text, index)}")
    tag = stack.pop()
    if name != tag.name:
        raise cant_parse_entities(
            f'Unmatched end tag at byte offset {byte_offset(text, index)}, expected "</{tag.name}>"'
            f', found "</{name}>"'
        )
    _emit_entity(tag, out, stack)
    return end + 1


def _emit_entity(tag: _OpenTag, out: TextBuilder, stack: list[_OpenTag]) -> None:
    kind = TAG_ENTITY_TYPES[tag.name]
    if kind == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        language = tag.attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
        return
    if kind == "text_link":
        url = tag.attributes.get("href", "")
        if url:
            out.add_entity(kind, tag.start, url=url)
        return
    if kind == "pre":
        if tag.language:
            out.add_entity(kind, tag.start, language=tag.language)
        else:
            out.add_entity(kind, tag.start)
        return
    if kind == "blockquote" and "expandable" in tag.attributes:
        out.add_entity("expandable_blockquote", tag.start)
        return
    if kind == "custom_emoji":
        out.add_entity(kind, tag.start, custom_emoji_id=tag.attributes["emoji-id"])
        return
    out.add_entity(kind, tag.start)


def parse_html(text: str) -> tuple[str, list[Entity]]:
    """Plain text and entities of an HTML-formatted text, or an ApiError like Telegram's."""
    out = TextBuilder()
    stack: list[_OpenTag] = []
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char == "&":
            decoded = _decode_entity(text, index)
            if decoded is None:
                out.add("&")
                index += 1
            else:
                out.add(decoded[0])
                index = decoded[1]
        elif char == "<":
            if index + 1 < length and text[index + 1] == "/":
                index = _close_tag(text, index, out, stack)
            else:
                index = _open_tag(text, index, out, stack)
        else:
            next_special = min(
                (found for found in (text.find("&", index), text.find("<", index)) if found != -1),
                default=length,
            )
            out.add(text[index:next_special])
            index = next_special
    if stack:
        raise cant_parse_entities(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"'
        )
    return out.result()
