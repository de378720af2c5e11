"""Telegram's refusals, as PTB sees them (telegram.error.BadRequest / Forbidden)."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot.telegram_standin import TelegramStandIn


@pytest.fixture
def ann(standin: TelegramStandIn) -> int:
    return standin.user(1, "Ann", started=True).id


async def test_text_length_counts_after_html_parsing(
    standin: TelegramStandIn, raw_bot: Bot, ann: int
) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await raw_bot.send_message(ann, "x" * 4097)
    # 4096 visible characters pass even though the HTML source is much longer.
    message = await raw_bot.send_message(ann, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
    assert message.text == "<" * 4096
    assert standin.last_message(ann).plain_text == "<" * 4096  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Message text is empty"):
        await raw_bot.send_message(ann, "<b> </b>", parse_mode="HTML")
    assert standin.calls["sendMessage"] == 3
    assert [call.status for call in standin.call_log if call.method == "sendMessage"] == [
        400,
        200,
        400,
    ]


async def test_callback_data_over_64_bytes_is_refused(raw_bot: Bot, ann: int) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    await raw_bot.send_message(ann, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await raw_bot.send_message(ann, "too long", reply_markup=keyboard("é" * 32 + "x"))


async def test_bad_html_and_markdown_v2_are_refused(raw_bot: Bot, ann: int) -> None:
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "foo" at byte offset 4'):
        await raw_bot.send_message(ann, "Hi, <foo> & bar", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't find end tag corresponding to start tag"):
        await raw_bot.send_message(ann, "<b>bold", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await raw_bot.send_message(ann, "*Price* $5.00", parse_mode="MarkdownV2")
    sent = await raw_bot.send_message(ann, r"*Price* $5\.00", parse_mode="MarkdownV2")
    assert sent.text == "Price $5.00"
    assert sent.entities[0].type == "bold"


async def test_edit_rules(standin: TelegramStandIn, raw_bot: Bot, ann: int) -> None:
    sent = await raw_bot.send_message(ann, "same")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await raw_bot.edit_message_text("same", ann, sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await raw_bot.edit_message_text("new", ann, 999)
    assert await raw_bot.delete_message(ann, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await raw_bot.delete_message(ann, sent.message_id)
    assert standin.messages(ann) == []
    assert len(standin.messages(ann, include_deleted=True)) == 1


async def test_who_the_bot_may_write_to(standin: TelegramStandIn, raw_bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await raw_bot.send_message(424242, "hello?")
    stranger = standin.user(5, "Eve")
    with pytest.raises(Forbidden, match="bot can't initiate conversation"):
        await raw_bot.send_message(stranger.id, "hello?")
    await standin.send_text(stranger, "/start")
    await raw_bot.send_message(stranger.id, "hello!")
    await standin.block_bot(stranger)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await raw_bot.send_message(stranger.id, "still there?")
    gone = standin.group(-100777, "Old group", bot_status="kicked")
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await raw_bot.send_message(gone.id, "hi")


async def test_answering_a_query_twice_is_refused(
    standin: TelegramStandIn, raw_bot: Bot, ann: int
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await raw_bot.send_message(ann, "menu", reply_markup=markup)
    press = await standin.press_button(ann, sent.message_id, "go")
    assert await raw_bot.answer_callback_query(press.query_id, "ok", show_alert=True)
    assert (await press.answer()).show_alert is True
    with pytest.raises(BadRequest, match="Query is too old"):
        await raw_bot.answer_callback_query(press.query_id)
