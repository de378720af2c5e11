"""A local stand-in for the Telegram Bot API, to run the real python-telegram-bot Application
with no network: in tests, in ``voucherbot demo``, and for chatting with the bot in a terminal.

Start it and point PTB at it::

    from telegram.ext import ApplicationBuilder
    from bot.telegram_standin import TelegramStandIn

    async with TelegramStandIn() as standin:          # 127.0.0.1, ephemeral port
        app = (
            ApplicationBuilder()
            .token(standin.token)
            .base_url(standin.base_url)               # http://127.0.0.1:<port>/bot
            .base_file_url(standin.base_file_url)     # http://127.0.0.1:<port>/file/bot
            .build()
        )
        await app.initialize()
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        ...
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

Act as Telegram users and check what the bot did::

    ann = standin.user(1, "Ann", "ann")               # private chat id = user id
    team = standin.group(-100123, "Team", members=[ann])
    sent = await standin.send_text(ann, "/start abc")  # bot_command entity, like Telegram
    reply = await standin.next_reply(ann, since=sent)  # or: await standin.ask(ann, "/start")
    reply.plain_text, reply.text, reply.parse_mode, reply.button_rows   # [[("Go", "go:1")]]
    press = await standin.press_button(ann, reply, "go:1")   # or text="Go"
    answer = await press.answer()                      # the bot's answerCallbackQuery
    edited = await standin.wait_for_message(ann, contains="Done")
    standin.messages(team), standin.last_message(ann), standin.events
    standin.calls["sendMessage"], standin.commands_calls, standin.call_log
    await standin.wait_for(lambda: standin.calls["setMyCommands"] >= 1)

Every wait sleeps on an asyncio.Condition that each change notifies (no polling) and raises
TimeoutError naming the latest events. Messages keep the text as sent (``text``, with markup)
and as shown (``plain_text``, after HTML/MarkdownV2 parsing); photos and documents keep their
bytes (``message.file.data``).

Telegram's rules the stand-in enforces (answering Telegram's own 400/403/409 descriptions):
text 1..4096 characters after entity parsing, captions up to 1024, callback_data 1..64 bytes,
well-formed HTML/MarkdownV2, "message is not modified", edits of missing messages, answering a
callback query twice; the bot may write to a user only after the user wrote to it (or was
created with ``started=True``) and not after ``block_bot``; groups are created with the bot
in them (``add_bot_to_group`` / ``remove_bot_from_group`` send my_chat_member updates); with
``privacy_mode=True`` (Telegram's default) the bot only sees commands, replies to it and
mentions in groups unless it is an administrator there. getUpdates is real long polling;
a newer getUpdates ends an older one with 409, and so does an active webhook. ``setWebhook``
makes the stand-in POST updates to the URL (plain HTTP allowed on loopback only) with the
``X-Telegram-Bot-Api-Secret-Token`` header, retrying until the receiver answers 2xx.

Failure injection, for retry tests::

    standin.fail_next("sendMessage", 429, retry_after=1)   # PTB raises RetryAfter
    standin.fail_next("sendMessage", 500, times=2)         # PTB raises NetworkError
    standin.fail_next("sendMessage", 502)                  # an HTML page, like Telegram's nginx
    standin.hang_next("sendMessage", 2.0)                  # answers late: PTB raises TimedOut
    standin.hang_next("sendMessage", 2.0, apply_first=True)  # delivered, but the answer is late

A terminal chat (``terminal.run_terminal_chat``) and a transcript printer
(``transcript.format_transcript``) sit on top. Timeout parameters are named ``timeout`` on
purpose (the tests' vocabulary), hence the ``noqa: ASYNC109`` markers.
"""

from bot.telegram_standin.conversation_log import CallbackAnswer, Event
from bot.telegram_standin.directory import TgChat, TgUser
from bot.telegram_standin.files import StoredFile
from bot.telegram_standin.keyboards import Button
from bot.telegram_standin.messages import MessageContent, RecordedMessage
from bot.telegram_standin.standin import DEFAULT_TOKEN, StandIn, TelegramStandIn
from bot.telegram_standin.terminal import run_terminal_chat
from bot.telegram_standin.transcript import format_transcript
from bot.telegram_standin.user_actions import ButtonPress, UserUpdate

__all__ = [
    "DEFAULT_TOKEN",
    "Button",
    "ButtonPress",
    "CallbackAnswer",
    "Event",
    "MessageContent",
    "RecordedMessage",
    "StandIn",
    "StoredFile",
    "TelegramStandIn",
    "TgChat",
    "TgUser",
    "UserUpdate",
    "format_transcript",
    "run_terminal_chat",
]
