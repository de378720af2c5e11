"""A tiny PTB bot that exercises what the stand-in must support."""

from __future__ import annotations

import struct
import zlib

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.telegram_standin import TelegramStandIn

CSV_BYTES = b"id,name\n1,Spring sale\n2,Live drop\n"
COMMANDS = [("start", "Welcome"), ("files", "A chart and a CSV"), ("commands", "Set commands")]


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG, so the stand-in's image check accepts it and reads its size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="choice:yes"),
            InlineKeyboardButton("No", callback_data="choice:no"),
        ],
        [InlineKeyboardButton("Docs", url="https://example.com/docs")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_user is not None and update.effective_message is not None
    payload = " ".join(context.args or []) or "-"
    await update.effective_message.reply_text(
        f"Welcome <b>{update.effective_user.first_name}</b> &amp; co! payload={payload}",
        parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD,
    )


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    choice = query.data.split(":", 1)[1]
    await query.edit_message_text(f"You chose <i>{choice}</i>", parse_mode=ParseMode.HTML)
    await query.answer(f"Got {choice}")


async def files(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await message.chat.send_action("upload_photo")
    await message.reply_photo(
        tiny_png(), caption="<b>Chart</b>", parse_mode=ParseMode.HTML, filename="chart.png"
    )
    await message.reply_document(CSV_BYTES, filename="vouchers.csv", caption="Export")


async def commands(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    await context.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    await context.bot.set_my_commands(
        [BotCommand("team", "Make this the team chat")], scope=BotCommandScopeChat(message.chat_id)
    )
    await message.reply_text("Commands set")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(f"You said: {message.text}")


async def receive_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    stored = await message.document.get_file()
    data = await stored.download_as_bytearray()
    await message.reply_text(f"Got {message.document.file_name}: {bytes(data).decode()}")


async def added_to_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    assert change is not None
    if change.new_chat_member.status == "member":
        await context.bot.send_message(change.chat.id, f"Hello {change.chat.title}!")


def build_tiny_bot(standin: TelegramStandIn) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(standin.token)
        .base_url(standin.base_url)
        .base_file_url(standin.base_file_url)
        .get_updates_read_timeout(5)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("files", files))
    app.add_handler(CommandHandler("commands", commands))
    app.add_handler(CallbackQueryHandler(choose, pattern=r"^choice:"))
    app.add_handler(MessageHandler(filters.Document.ALL, receive_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER))
    return app
