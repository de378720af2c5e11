"""The terminal chat with fake streams, and the transcript printer."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from telegram.ext import Application

from bot.telegram_standin import TelegramStandIn, format_transcript, run_terminal_chat
from tests.standin.tiny_bot import CSV_BYTES, tiny_png

App = Application  # type: ignore[type-arg]


async def test_terminal_chat_with_fake_streams(
    standin: TelegramStandIn, tiny_app: App, tmp_path: Path
) -> None:
    script = "\n".join(
        [
            "/start promo",
            "/press 2",  # "No"
            "hello bot",
            "/press 9",
            "/files",
            "/as 2002 Bob",
            "/start",
            "/press choice:yes",
            "/group -100555 Team",
            "/start@voucherbot_standin_bot",
            "/quit",
            "never read",
        ]
    )
    output = io.StringIO()
    await run_terminal_chat(
        standin,
        user_id=1001,
        first_name="Tess",
        input_stream=io.StringIO(script + "\n"),
        output=output,
        media_dir=tmp_path,
        show_help=False,
    )
    printed = output.getvalue()

    assert "Tess> /start promo" in printed
    assert "bot> Welcome Tess & co! payload=promo" in printed
    assert "     [1] Yes   [2] No" in printed
    assert "     [3] Docs <https://example.com/docs>" in printed
    assert 'Tess> [pressed "No"]' in printed
    assert "bot (edits message 2)> You chose no" in printed
    assert "bot (answer)> Got no" in printed
    assert "bot> You said: hello bot" in printed
    assert "* no message with buttons in this chat" in printed  # the only keyboard was edited away
    saved = tmp_path / "1001-7-vouchers.csv"
    assert f"[document: vouchers.csv, {len(CSV_BYTES)} bytes saved to {saved}] Export" in printed
    assert saved.read_bytes() == CSV_BYTES
    assert "* you are now Bob (2002) in your private chat" in printed
    assert "bot> Welcome Bob & co! payload=-" in printed
    assert "bot (edits message 2)> You chose yes" in printed
    assert "── Team · group -100555 ──" in printed
    assert "Bob> /start@voucherbot_standin_bot" in printed
    assert "never read" not in printed
    assert "\x1b[" not in printed  # no ANSI codes when the output is not a terminal


async def test_terminal_stops_on_stop_event_and_prints_unprompted_messages(
    standin: TelegramStandIn, tiny_app: App
) -> None:
    reader = asyncio.StreamReader()  # stays open: nothing typed
    output = io.StringIO()
    stop = asyncio.Event()
    chatting = asyncio.create_task(
        run_terminal_chat(
            standin, user_id=7, input_stream=reader, output=output, stop_event=stop, ansi=True
        )
    )
    await standin.wait_for(lambda: "Chatting with" in output.getvalue())
    await standin.send_text(7, "/start")  # as if another client of the same user
    await standin.wait_for(lambda: "[1] Yes" in output.getvalue(), describe="printed buttons")
    stop.set()
    await chatting
    assert "\x1b[1mYou\x1b[22m" in output.getvalue()  # <b> as ANSI bold


async def test_transcript_shows_conversations_in_order(
    standin: TelegramStandIn, tiny_app: App
) -> None:
    ann = standin.user(1, "Ann")
    team = standin.group(-100123, "Team", members=[ann])
    menu = await standin.ask(ann, "/start")
    press = await standin.press_button(ann, menu, "choice:yes")
    await press.answer()
    await standin.ask(ann, "/start", team)
    await standin.send_text(ann, "/files")
    await standin.wait_for_message(ann, "Export")

    assert format_transcript(standin) == "\n".join(
        [
            "── Ann · private chat 1 ──",
            "Ann> /start",
            "bot> Welcome Ann & co! payload=-",
            "     [1] Yes   [2] No",
            "     [3] Docs <https://example.com/docs>",
            'Ann> [pressed "Yes"]',
            "bot (edits message 2)> You chose yes",
            "bot (answer)> Got yes",
            "── Team · group -100123 ──",
            "Ann> /start",
            "bot> Welcome Ann & co! payload=-",
            "     [1] Yes   [2] No",
            "     [3] Docs <https://example.com/docs>",
            "── Ann · private chat 1 ──",
            "Ann> /files",
            f"bot> [photo: chart.png, {len(tiny_png())} bytes] Chart",
            f"bot> [document: vouchers.csv, {len(CSV_BYTES)} bytes] Export",
            "",
        ]
    )
    assert "Ann> /files" not in format_transcript(standin, chat_ids=[team.id])
