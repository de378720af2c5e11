"""parse_mode parsers and user-text entities, checked against Telegram's documented results."""

from __future__ import annotations

import pytest

from bot.telegram_standin.errors import ApiError
from bot.telegram_standin.formatted_text import format_message_text
from bot.telegram_standin.html_text import parse_html
from bot.telegram_standin.markdown_text import parse_markdown_legacy, parse_markdown_v2
from bot.telegram_standin.rendering import render_text
from bot.telegram_standin.user_text import detect_entities


def test_html_entities_links_and_utf16_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> &lt;3 &amp; &#x1F600; &nbsp; <a href="https://t.me/x">link</a>'
    )
    assert text == "😀 bold both <3 & 😀 &nbsp; link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},  # the emoji is two UTF-16 units
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 28, "length": 4, "url": "https://t.me/x"},
    ]


def test_html_pre_with_language_and_spoilers() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre> <span class="tg-spoiler">s</span>'
    )
    assert text == "x = 1 s"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 6, "length": 1},
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a <br> b", 'Unsupported start tag "br" at byte offset 2'),
        ("é <3", 'Unsupported start tag "3" at byte offset 3'),  # é is two bytes
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_html_refusals(source: str, error: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_html(source)
    assert raised.value.status == 400
    assert raised.value.description.startswith("Bad Request: can't parse entities: " + error)


def test_markdown_v2() -> None:
    text, entities = parse_markdown_v2(
        r"*bold _it_* __under__ ~s~ ||sp|| `c\`` [l\.ink](https://x.y/(a\)) 5\.00\!"
    )
    assert text == "bold it under s sp c` l.ink 5.00!"
    kinds = [(entity["type"], entity["offset"], entity["length"]) for entity in entities]
    assert kinds == [
        ("bold", 0, 7),
        ("italic", 5, 2),
        ("underline", 8, 5),
        ("strikethrough", 14, 1),
        ("spoiler", 16, 2),
        ("code", 19, 2),
        ("text_link", 22, 5),
    ]
    assert entities[-1]["url"] == "https://x.y/(a)"
    assert parse_markdown_v2("```python\nprint(1)\n```")[1] == [
        {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    ]
    assert parse_markdown_v2(">quoted\n>more\nafter") == (
        "quoted\nmore\nafter",
        [{"type": "blockquote", "offset": 0, "length": 11}],
    )


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Total: 5.00", "Character '.' is reserved"),
        ("1-2", "Character '-' is reserved"),
        ("*open", "Can't find end of Bold entity at byte offset 0"),
        ("*a _b* c_", "Can't find end of Italic entity at byte offset 3"),
        ("`code", "Can't find end of Code entity"),
    ],
)
def test_markdown_v2_refusals(source: str, error: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities: " + error.replace(".", r"\.")):
        parse_markdown_v2(source)


def test_legacy_markdown() -> None:
    assert parse_markdown_legacy("*b* _i_ `c` [t](http://u) 5.00") == (
        "b i c t 5.00",
        [
            {"type": "bold", "offset": 0, "length": 1},
            {"type": "italic", "offset": 2, "length": 1},
            {"type": "code", "offset": 4, "length": 1},
            {"type": "text_link", "offset": 6, "length": 1, "url": "http://u"},
        ],
    )
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 0"):
        parse_markdown_legacy("*open")


def test_message_text_is_trimmed_and_limited() -> None:
    formatted = format_message_text("\n  <b>hi</b> there \n", "HTML")
    assert formatted.text == "hi there"
    assert formatted.entities == [{"type": "bold", "offset": 0, "length": 2}]
    assert len(format_message_text("😀" * 4096, None).text) == 4096
    with pytest.raises(ApiError, match="message is too long"):
        format_message_text("😀" * 4097, None)
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_message_text("x", "BBCode")


def test_user_text_entities() -> None:
    text = "/issue@voucher_bot 12 watch 5 👀 @sally #live https://t.me/x#frag /stop"
    units = text.encode("utf-16-le")

    def covered(entity: dict[str, object]) -> str:
        start, length = int(entity["offset"]), int(entity["length"])  # type: ignore[call-overload]
        return units[start * 2 : (start + length) * 2].decode("utf-16-le")

    found = [(entity["type"], covered(entity)) for entity in detect_entities(text)]
    assert found == [
        ("bot_command", "/issue@voucher_bot"),
        ("mention", "@sally"),
        ("hashtag", "#live"),
        ("url", "https://t.me/x#frag"),
        ("bot_command", "/stop"),
    ]
    assert detect_entities("a/b and 1/2") == []


def test_render_text_ansi_and_links() -> None:
    text, entities = parse_html('<b>Hi</b> <a href="https://x.y">there</a>')
    assert render_text(text, entities, ansi=False) == "Hi there (https://x.y)"
    assert render_text(text, entities, ansi=True) == "\x1b[1mHi\x1b[22m there (https://x.y)"
