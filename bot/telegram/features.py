"""What every feature's `register(application, wiring)` gets from the composition root
(application.register_features), and the one way a feature registers a command: new messages
only, so an edited message never acts again (issue 25)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton
from telegram.ext import CommandHandler, MessageHandler, filters
from telegram.ext.filters import BaseFilter

from bot.config import Settings
from bot.telegram.commands import CommandInfo
from core.services import Services
from core.services.accounts import Membership
from core.views import VoucherView

if TYPE_CHECKING:
    from bot.telegram.language import Speaker
    from bot.telegram.live_panel import PanelRefresher

# A button under a voucher's details offered by a feature (its module's DETAIL_BUTTONS).
DetailButtons = Callable[[VoucherView, Membership], list[InlineKeyboardButton]]
NEW_MESSAGE = filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class Wiring:
    """Built once per Application by register_features."""

    services: Services
    settings: Settings
    catalog: list[CommandInfo]  # every feature's commands, in menu order
    speaker: Speaker
    detail_buttons: Sequence[DetailButtons] = ()  # every feature's DETAIL_BUTTONS
    panels: PanelRefresher | None = None  # the one live-panel refresher (R-live5)


def command(name: str, callback: Callable[..., Any]) -> CommandHandler[Any, Any]:
    """`/name`, in a new message only (an edit of it is not a new command)."""
    return CommandHandler(name, callback, filters=NEW_MESSAGE)


def new_messages(condition: BaseFilter, callback: Callable[..., Any]) -> MessageHandler[Any, Any]:
    """New messages matching `condition` (never edits)."""
    return MessageHandler(NEW_MESSAGE & condition, callback)
