"""Sending and editing the bot's messages (HTML is the default parse mode)."""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.i18n import _
from bot.telegram.render import clip


def stale_text() -> str:
    return _("This button is from an older message and no longer applies.")


async def say(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """A new message in the chat the update came from, in its forum topic if it came from one."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return await chat.send_message(clip(text), reply_markup=keyboard, message_thread_id=thread)


async def show(
    update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    """After a button press, replace the pressed message; otherwise send a new one."""
    query = update.callback_query
    if query is None or query.message is None:
        return await say(update, text, keyboard)
    try:
        edited = await query.edit_message_text(clip(text), reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return None
        return await say(update, text, keyboard)
    return edited if isinstance(edited, Message) else None


def button_data(update: Update) -> str:
    """The data of the pressed button ("" for an update that is no button press)."""
    query = update.callback_query
    return (query.data or "") if query is not None else ""


async def ack(update: Update, text: str | None = None) -> None:
    """Answers a button press (Telegram shows a spinner until it is answered)."""
    if update.callback_query is not None:
        # A query too old to answer is refused by Telegram; there is nothing else to do.
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer(text[:200] if text else None)


async def notice(update: Update, text: str) -> None:
    """A short answer: a toast plus a message for a button press, a message for a command."""
    if update.callback_query is not None:
        await ack(update, _plain(text))
    await say(update, text)


async def stale(update: Update, text: str | None = None) -> None:
    await ack(update, text or stale_text())


def _plain(html_text: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html_text))
