"""The last feature in line: /cancel outside a flow, ✖ Cancel under a picker, old buttons, an
unknown command and stray private text (R-b3, R-b5). Registered after every other feature, so
these only see what no feature took."""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, filters

from bot.telegram.access import App
from bot.telegram.callbacks import Button
from bot.telegram.commands import CommandInfo
from bot.telegram.features import Wiring, command, new_messages
from bot.telegram.start import StartHandlers

COMMANDS: list[CommandInfo] = []  # /cancel is listed by `start`


def register(application: App, wiring: Wiring) -> None:
    h = StartHandlers(wiring)
    application.add_handler(command("cancel", h.cancel))
    application.add_handler(
        CallbackQueryHandler(h.picker_cancel, pattern=rf"^{Button.PICKER_CANCEL}$")
    )
    application.add_handler(CallbackQueryHandler(h.old_button))
    application.add_handler(new_messages(filters.COMMAND, h.unknown_command))
    application.add_handler(
        new_messages(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, h.unknown_text)
    )
