"""The people and chats the stand-in knows, and who may write where.

Telegram refuses a bot's message to a user who never started it, who blocked it, or to a group
it is not in; the stand-in answers the same 403s so notification code meets them in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.telegram_standin.errors import bad_request, chat_upgraded, forbidden

SUPERGROUP_ID_LIMIT = -1_000_000_000_000  # supergroup ids look like -100xxxxxxxxxx
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


@dataclass
class TgUser:
    """A Telegram user (or the bot itself). ``started``: the user has opened the bot's chat."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    started: bool = False
    blocked_bot: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user


@dataclass
class TgChat:
    """A chat: a private chat (id = the user's id) or a group (negative id)."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: TgUser | None = None  # the other party of a private chat
    bot_status: str = "member"  # the bot's membership of a group
    members: dict[int, str] = field(default_factory=dict)  # user id -> status, for groups
    is_forum: bool = False  # a supergroup with topics
    migrated_to: int | None = None  # a group upgraded to this supergroup

    @property
    def is_private(self) -> bool:
        return self.type == "private"

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.display_name
        return self.title or str(self.id)

    def to_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            chat["first_name"] = self.user.first_name
            if self.user.last_name:
                chat["last_name"] = self.user.last_name
            if self.user.username:
                chat["username"] = self.user.username
        else:
            chat["title"] = self.title or ""
            if self.username:
                chat["username"] = self.username
            if self.is_forum:
                chat["is_forum"] = True
        return chat

    def full_info_json(self) -> dict[str, Any]:
        """A ChatFullInfo, as getChat answers (Bot API 7.3+ requires the extra fields)."""
        return {
            **self.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


def chat_member_json(user: TgUser, status: str) -> dict[str, Any]:
    """A ChatMember object with the fields its status requires."""
    member: dict[str, Any] = {"user": user.to_json(), "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                right: right != "can_be_edited"
                for right in (
                    "can_be_edited",
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_promote_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                )
            }
        )
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        status_fields = (
            "is_member",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_send_messages",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_manage_topics",
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_edit_tag",
        )
        member.update(dict.fromkeys(status_fields, True))
        member["until_date"] = 0
    return member


class Directory:
    """Users, chats and memberships."""

    def __init__(self, bot: TgUser) -> None:
        self.bot = bot
        self.users: dict[int, TgUser] = {bot.id: bot}
        self.chats: dict[int, TgChat] = {}

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
        started: bool | None = None,
    ) -> TgUser:
        """Get or create a user; given fields update an existing one."""
        if user_id <= 0:
            raise ValueError("user ids are positive; groups have negative ids")
        user = self.users.get(user_id)
        if user is None:
            user = TgUser(user_id, first_name or f"User {user_id}")
            self.users[user_id] = user
            self.chats[user_id] = TgChat(user_id, "private", user=user)
        if first_name is not None:
            user.first_name = first_name
        if username is not None:
            user.username = username
        if last_name is not None:
            user.last_name = last_name
        if language_code is not None:
            user.language_code = language_code
        if started is not None:
            user.started = started
        return user

    def group(
        self,
        group_id: int,
        title: str | None = None,
        *,
        username: str | None = None,
        supergroup: bool | None = None,
        bot_status: str | None = None,
    ) -> TgChat:
        """Get or create a group (negative id); ids below -10**12 are supergroups by default."""
        if group_id >= 0:
            raise ValueError("group ids are negative (e.g. -100123 or -1001234567890)")
        chat = self.chats.get(group_id)
        if chat is None:
            is_super = group_id <= SUPERGROUP_ID_LIMIT if supergroup is None else supergroup
            chat = TgChat(group_id, "supergroup" if is_super else "group", title=title)
            self.chats[group_id] = chat
        if title is not None:
            chat.title = title
        if username is not None:
            chat.username = username.lstrip("@")
        if bot_status is not None:
            chat.bot_status = bot_status
        return chat

    def chat(self, chat_id: int | str) -> TgChat:
        """A chat by id or ``@username``; 400 "chat not found" like Telegram otherwise."""
        if isinstance(chat_id, str):
            wanted = chat_id.lstrip("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == wanted and not chat.is_private:
                    return chat
            raise bad_request("chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def writable_chat(self, chat_id: int | str) -> TgChat:
        """A chat the bot may post to, with Telegram's 403 answers when it may not."""
        chat = self.chat(chat_id)
        if chat.user is not None:
            if chat.user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        if chat.migrated_to is not None:
            raise chat_upgraded(chat.migrated_to)
        kind = "supergroup" if chat.type == "supergroup" else "group"
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if chat.bot_status == "left":
            raise forbidden(f"bot is not a member of the {kind} chat")
        return chat

    def member_status(self, chat: TgChat, user: TgUser) -> str:
        if chat.user is not None:
            return "member" if user.id in (chat.user.id, self.bot.id) else "left"
        if user.id == self.bot.id:
            return chat.bot_status
        return chat.members.get(user.id, "left")
