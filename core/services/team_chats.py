"""What Telegram tells the bot about its chats (issue 25): a group upgraded to a supergroup,
the bot removed from or added back to a group, a person blocking or unblocking the bot. These
are facts reported by Telegram, not requests of a person, so no actor is checked."""

from __future__ import annotations

from core import team_chat
from core.services.base import Service
from storage import team_chats


class TeamChatService(Service):
    async def migrated(self, old_chat_id: int, new_chat_id: int) -> int:
        async with self.db.write() as session:
            return await team_chat.chat_migrated(session, old_chat_id, new_chat_id)

    async def bot_removed(self, chat_id: int) -> int:
        """The bot left or was removed from a group; returns how many team chats paused."""
        async with self.db.write() as session:
            return await team_chat.bot_out_of_chat(session, chat_id, self.clock.now())

    async def is_paused(self, chat_id: int) -> bool:
        async with self.db.read() as session:
            return await team_chats.is_paused_team_chat(session, chat_id)

    async def blocked(self, user_id: int) -> int:
        async with self.db.write() as session:
            return await team_chat.person_blocked(session, user_id, self.clock.now())

    async def unblocked(self, user_id: int) -> None:
        async with self.db.write() as session:
            await team_chat.person_unblocked(session, user_id)
