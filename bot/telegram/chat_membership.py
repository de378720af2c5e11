"""What Telegram tells the bot about its chats (issue 25), turned into core calls:

- a group upgraded to a supergroup (`migrate_to_chat_id` / `migrate_from_chat_id` service
  messages): the shop's team chat and its pending notices move to the new id at once, and PTB's
  chat_data follows;
- `my_chat_member` in a group: the bot left or was removed → the team chat is paused and the
  seller told in private (core); the bot was added back to a paused team chat → it says in the
  group that /team resumes the notices;
- `my_chat_member` in a private chat: the person blocked the bot (their notices stop) or
  unblocked it.

The handlers run in their own handler group, so no other feature's handler can take these
updates first. `allowed_updates` is every update type (bot/telegram/application.py), which
includes `my_chat_member`, in polling and webhook modes.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.i18n import _
from bot.telegram.access import App, Ctx
from bot.telegram.commands import CommandInfo
from bot.telegram.features import Wiring
from bot.telegram.replies import say
from core.services import Services

LOGGER = logging.getLogger(__name__)
COMMANDS: list[CommandInfo] = []  # no command: it listens to Telegram itself
HANDLER_GROUP = -10  # before every feature's handlers, and independent of them
GONE = frozenset({ChatMember.LEFT, ChatMember.BANNED})
PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


class ChatMembershipHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def migrated(self, update: Update, context: Ctx) -> None:
        """Either of the two service messages of an upgrade moves the team chat (twice is
        harmless)."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old, new = message.migrate_from_chat_id, chat.id
        else:
            return
        moved = await self.services.team_chats.migrated(old, new)
        LOGGER.info("group %s became supergroup %s (%s team chat(s) moved)", old, new, moved)
        if old in context.application.chat_data:
            context.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)

    async def my_chat_member(self, update: Update, context: Ctx) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat, status = change.chat, change.new_chat_member.status
        was_there = change.old_chat_member.status in PRESENT
        if chat.type == ChatType.PRIVATE:
            if status in GONE:
                await self.services.team_chats.blocked(chat.id)
            elif status in PRESENT:
                await self.services.team_chats.unblocked(chat.id)
            return
        if status in GONE or (
            status == ChatMember.RESTRICTED
            and not getattr(change.new_chat_member, "is_member", True)
        ):
            paused = await self.services.team_chats.bot_removed(chat.id)
            LOGGER.info("the bot is out of chat %s (%s team chat(s) paused)", chat.id, paused)
        elif (
            status in PRESENT
            and not was_there
            and await self.services.team_chats.is_paused(chat.id)
        ):
            await say(
                update,
                _(
                    "👋 Thanks for adding me back. Send /team here and I'll deliver the team "
                    "notices kept while I was away."
                ),
            )


def register(application: App, wiring: Wiring) -> ChatMembershipHandlers:
    h = ChatMembershipHandlers(wiring.services)
    application.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, h.migrated), group=HANDLER_GROUP
    )
    application.add_handler(
        ChatMemberHandler(h.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        group=HANDLER_GROUP,
    )
    return h
