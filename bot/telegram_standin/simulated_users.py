"""Simulated Telegram users and chats: who exists, and what they do (write, press, join)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from bot.telegram_standin.conversation_log import (
    BUTTON_PRESS,
    MEMBERSHIP,
    USER_MESSAGE,
    CallbackAnswer,
)
from bot.telegram_standin.directory import TgChat, TgUser, chat_member_json
from bot.telegram_standin.messages import MessageContent, RecordedMessage
from bot.telegram_standin.state import OpenQuery, StandInState
from bot.telegram_standin.user_actions import ButtonPress, UserUpdate
from bot.telegram_standin.user_text import command_of, detect_entities

UserRef = TgUser | int
ChatRef = TgChat | TgUser | int


class SimulatedUsers:
    """The user side of TelegramStandIn: people, groups, and their messages and presses.

    Every action is recorded as an event and, when Telegram would deliver it, queued as an
    Update for the bot.
    """

    _state: StandInState
    _query_ids: itertools.count[int]

    @property
    def bot(self) -> TgUser:
        return self._state.bot

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
        """Get or create a user; their private chat has the same id."""
        return self._state.directory.user(
            user_id,
            first_name,
            username,
            last_name=last_name,
            language_code=language_code,
            started=started,
        )

    def group(
        self,
        group_id: int,
        title: str | None = None,
        *,
        username: str | None = None,
        supergroup: bool | None = None,
        members: Iterable[UserRef] = (),
        admins: Iterable[UserRef] = (),
        creator: UserRef | None = None,
        bot_status: str | None = None,
        forum: bool | None = None,
    ) -> TgChat:
        """Get or create a group (negative id) with the bot in it (``bot_status="member"``);
        ``forum=True``: a supergroup with topics."""
        chat = self._state.directory.group(
            group_id, title, username=username, supergroup=supergroup, bot_status=bot_status
        )
        if forum is not None:
            chat.is_forum = forum
        for member in members:
            chat.members[self._user(member).id] = "member"
        for admin in admins:
            chat.members[self._user(admin).id] = "administrator"
        if creator is not None:
            chat.members[self._user(creator).id] = "creator"
        return chat

    def set_member(self, group: ChatRef, user: UserRef, status: str = "member") -> None:
        """Change a user's (or the bot's) membership of a group, silently: creator,
        administrator, member, left, kicked. The bot as administrator sees every message."""
        chat, person = self._chat(group), self._user(user)
        if person.id == self.bot.id:
            chat.bot_status = status
        else:
            chat.members[person.id] = status

    async def add_bot_to_group(
        self, group: ChatRef, by: UserRef, *, as_admin: bool = False
    ) -> UserUpdate:
        """``by`` adds the bot: a my_chat_member update, then the new_chat_members message."""
        chat, actor = self._chat(group), self._user(by)
        chat.members.setdefault(actor.id, "member")
        await self._bot_membership_changed(chat, actor, "administrator" if as_admin else "member")
        service = {"new_chat_members": [self.bot.to_json()]}
        return await self._user_message(actor, chat, MessageContent(), service=service)

    async def remove_bot_from_group(self, group: ChatRef, by: UserRef) -> None:
        """``by`` removes the bot: a my_chat_member update; the bot may no longer post there."""
        await self._bot_membership_changed(self._chat(group), self._user(by), "kicked")

    async def upgrade_to_supergroup(
        self, group: ChatRef, new_id: int, by: UserRef, *, forum: bool = False
    ) -> TgChat:
        """The group becomes a supergroup with ``new_id``, as Telegram does it: sends to the old
        id answer 400 "group chat was upgraded to a supergroup chat" with
        ``parameters.migrate_to_chat_id``, and the bot receives the two service messages
        (``migrate_to_chat_id`` in the old chat, ``migrate_from_chat_id`` in the new one)."""
        old, actor = self._chat(group), self._user(by)
        new = self._state.directory.group(
            new_id, old.title, supergroup=True, bot_status=old.bot_status
        )
        new.members.update(old.members)
        new.is_forum = forum
        await self._user_message(
            actor, old, MessageContent(), service={"migrate_to_chat_id": new_id}
        )
        old.migrated_to = new_id
        await self._user_message(
            actor, new, MessageContent(), service={"migrate_from_chat_id": old.id}
        )
        return new

    async def block_bot(self, user: UserRef, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: later sends to them answer 403."""
        person = self._user(user)
        person.blocked_bot = blocked
        if not blocked:
            person.started = True
        chat = self._state.directory.chats[person.id]
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        payload = {
            "chat": chat.to_json(),
            "from": person.to_json(),
            "date": self._state.now(),
            "old_chat_member": chat_member_json(self.bot, old),
            "new_chat_member": chat_member_json(self.bot, new),
        }
        await self._state.log.add_event(MEMBERSHIP, chat, user=person, detail=f"bot {new}")
        await self._state.updates.put("my_chat_member", payload)

    async def send_text(
        self,
        user: UserRef,
        text: str,
        chat: ChatRef | None = None,
        *,
        reply_to: RecordedMessage | int | None = None,
        thread_id: int | None = None,
    ) -> UserUpdate:
        """``user`` writes ``text`` in ``chat`` (default: their private chat with the bot);
        ``thread_id``: in that forum topic."""
        person = self._user(user)
        target = self._chat(chat) if chat is not None else self._private_chat(person)
        content = MessageContent(text=text, plain_text=text, entities=tuple(detect_entities(text)))
        return await self._user_message(
            person, target, content, reply_to=reply_to, thread_id=thread_id
        )

    async def send_document(
        self,
        user: UserRef,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        chat: ChatRef | None = None,
        mime_type: str | None = None,
    ) -> UserUpdate:
        """``user`` sends a file; the bot can download it with getFile."""
        return await self._user_file(user, "document", data, filename, caption, chat, mime_type)

    async def send_photo(
        self,
        user: UserRef,
        data: bytes,
        filename: str = "photo.jpg",
        *,
        caption: str | None = None,
        chat: ChatRef | None = None,
    ) -> UserUpdate:
        return await self._user_file(user, "photo", data, filename, caption, chat, None)

    async def press_button(
        self,
        user: UserRef,
        message: RecordedMessage | int,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        chat: ChatRef | None = None,
        check: bool = True,
    ) -> ButtonPress:
        """``user`` presses the inline button with ``callback_data`` (or labelled ``text``).

        ``check=False`` sends ``callback_data`` even if no such button is on the message, like
        a stale client would.
        """
        person = self._user(user)
        target = self._message(message, chat if chat is not None else person)
        if callback_data is None and text is None:
            raise ValueError("give the button's callback_data or its text")
        data = callback_data
        if check:
            if target.deleted:
                raise LookupError(f"message {target.message_id} was deleted")
            button = target.button(text if text is not None else str(callback_data))
            if button.callback_data is None:
                raise ValueError(f"button {button.text!r} sends nothing to the bot ({button.url})")
            data = button.callback_data
        if target.chat.is_private:
            person.started = True
        query_id = str(4_000_000_000_000_000_000 + next(self._query_ids))
        payload = {
            "id": query_id,
            "from": person.to_json(),
            "message": target.to_json(),
            "chat_instance": str(1_000_000_000_000 + abs(target.chat_id)),
            "data": data,
        }
        self._state.open_queries[query_id] = OpenQuery(target.chat, target.message_id, data)
        event = await self._state.log.add_event(
            BUTTON_PRESS, target.chat, user=person, message=target, detail=data
        )
        update = await self._state.updates.put("callback_query", payload)
        return ButtonPress(
            update, target, event.seq, query_id=query_id, data=data, _wait_answer=self._answer
        )

    def _user(self, user: UserRef) -> TgUser:
        if isinstance(user, TgUser):
            return user
        return self._state.directory.user(user)

    def _private_chat(self, user: TgUser) -> TgChat:
        return self._state.directory.chats[user.id]

    def _chat(self, chat: ChatRef) -> TgChat:
        if isinstance(chat, TgChat):
            return chat
        if isinstance(chat, TgUser):
            return self._private_chat(chat)
        found = self._state.directory.chats.get(chat)
        if found is None:
            if chat > 0:
                return self._private_chat(self._state.directory.user(chat))
            raise LookupError(f"no chat {chat}: create it with group() first")
        return found

    def _chat_id(self, chat: ChatRef) -> int:
        if isinstance(chat, TgChat | TgUser):
            return chat.id
        return chat

    def _message(self, message: RecordedMessage | int, chat: ChatRef) -> RecordedMessage:
        if isinstance(message, RecordedMessage):
            return message
        found = self._state.log.message(self._chat_id(chat), message)
        if found is None:
            raise LookupError(f"no message {message} in chat {self._chat_id(chat)}")
        return found

    def _bot_sees(self, chat: TgChat, message: RecordedMessage) -> bool:
        """Whether Telegram would deliver this message to the bot (privacy mode in groups)."""
        if chat.is_private:
            return True
        if chat.bot_status in ("left", "kicked"):
            return False
        if message.service or not self._state.privacy_mode:
            return True
        if chat.bot_status == "administrator":
            return True
        text = message.text or ""
        command = command_of(text)
        if command is not None:
            mention = command[1]
            return mention is None or mention.lower() == (self.bot.username or "").lower()
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        return f"@{self.bot.username}".lower() in text.lower()

    async def _user_message(
        self,
        person: TgUser,
        chat: TgChat,
        content: MessageContent,
        *,
        reply_to: RecordedMessage | int | None = None,
        service: dict[str, Any] | None = None,
        thread_id: int | None = None,
    ) -> UserUpdate:
        if chat.is_private:
            if chat.id != person.id:
                raise ValueError("in a private chat only its own user writes to the bot")
            person.started = True
            person.blocked_bot = False
        elif chat.members.get(person.id) in (None, "left"):
            chat.members[person.id] = "member"
        message = RecordedMessage(
            chat=chat,
            message_id=self._state.log.next_message_id(chat.id),
            sender=person,
            date=self._state.now(),
            content=content,
            method="user",
            reply_to=self._message(reply_to, chat) if reply_to is not None else None,
            service=service or {},
            thread_id=thread_id,
        )
        self._state.log.store(message)
        event = await self._state.log.add_event(USER_MESSAGE, chat, user=person, message=message)
        update = None
        if self._bot_sees(chat, message):
            update = await self._state.updates.put("message", message.to_json())
        return UserUpdate(update, message, event.seq)

    async def _user_file(
        self,
        user: UserRef,
        kind: str,
        data: bytes,
        filename: str,
        caption: str | None,
        chat: ChatRef | None,
        mime_type: str | None,
    ) -> UserUpdate:
        person = self._user(user)
        target = self._chat(chat) if chat is not None else self._private_chat(person)
        stored = self._state.files.add(kind, data, filename, mime_type)
        content = MessageContent(
            text=caption,
            plain_text=caption,
            entities=tuple(detect_entities(caption)) if caption else (),
            file=stored,
        )
        return await self._user_message(person, target, content)

    async def _bot_membership_changed(self, chat: TgChat, actor: TgUser, status: str) -> None:
        old, chat.bot_status = chat.bot_status, status
        payload = {
            "chat": chat.to_json(),
            "from": actor.to_json(),
            "date": self._state.now(),
            "old_chat_member": chat_member_json(self.bot, old),
            "new_chat_member": chat_member_json(self.bot, status),
        }
        await self._state.log.add_event(MEMBERSHIP, chat, user=actor, detail=f"bot {status}")
        await self._state.updates.put("my_chat_member", payload)

    async def _answer(self, query_id: str, seconds: float) -> CallbackAnswer:
        def find() -> CallbackAnswer | None:
            answers = self._state.log.callback_answers
            return next((answer for answer in answers if answer.query_id == query_id), None)

        what = f"answerCallbackQuery {query_id}"
        answer = await self._state.log.wait_for(find, seconds, what)
        assert answer is not None
        return answer
