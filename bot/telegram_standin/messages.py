"""Messages as the stand-in keeps them: what was sent, what the user sees, and the Bot API JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.telegram_standin.directory import TgChat, TgUser
from bot.telegram_standin.files import StoredFile
from bot.telegram_standin.keyboards import Button, ReplyMarkup
from bot.telegram_standin.text_builder import Entity


@dataclass(frozen=True)
class MessageContent:
    """One version of a message. ``text`` is what the bot sent (markup included, or the caption
    of a photo/document); ``plain_text`` is what a user reads once parse_mode is applied."""

    text: str | None = None
    parse_mode: str | None = None
    plain_text: str | None = None
    entities: tuple[Entity, ...] = ()
    markup: ReplyMarkup | None = None
    file: StoredFile | None = None

    @property
    def buttons(self) -> list[list[Button]]:
        return [list(row) for row in self.markup.inline] if self.markup else []

    def contains(self, fragment: str) -> bool:
        """True when the visible text (or the text as sent, with markup) holds ``fragment``."""
        return any(fragment in value for value in (self.plain_text, self.text) if value)

    def same_as(self, other: MessageContent) -> bool:
        """Telegram's "message is not modified" test: same visible text, entities and keyboard."""
        return (
            self.plain_text == other.plain_text
            and list(self.entities) == list(other.entities)
            and self.buttons == other.buttons
        )


@dataclass
class RecordedMessage:
    """A message in a chat, sent by the bot or by a user of the stand-in.

    ``buttons`` are the inline keyboard rows; ``button_rows`` the same as
    ``(text, callback_data or url)`` tuples; ``file`` the photo or document with its bytes.
    """

    chat: TgChat
    message_id: int
    sender: TgUser
    date: int
    content: MessageContent
    method: str  # the Bot API method that made it, or "user"
    reply_to: RecordedMessage | None = None
    history: list[MessageContent] = field(default_factory=list)  # earlier versions
    edit_date: int | None = None
    deleted: bool = False
    service: dict[str, Any] = field(default_factory=dict)  # new_chat_members and the like
    thread_id: int | None = None  # the forum topic it is in (None: General, or no forum)

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def text(self) -> str | None:
        return self.content.text

    @property
    def plain_text(self) -> str | None:
        return self.content.plain_text

    @property
    def parse_mode(self) -> str | None:
        return self.content.parse_mode

    @property
    def entities(self) -> list[Entity]:
        return list(self.content.entities)

    @property
    def buttons(self) -> list[list[Button]]:
        return self.content.buttons

    @property
    def button_rows(self) -> list[list[tuple[str, str | None]]]:
        return [[button.as_tuple() for button in row] for row in self.content.buttons]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        markup = self.content.markup
        return [list(row) for row in markup.keyboard] if markup and markup.keyboard else None

    @property
    def file(self) -> StoredFile | None:
        return self.content.file

    @property
    def kind(self) -> str:
        return self.content.file.kind if self.content.file else "text"

    def contains(self, fragment: str) -> bool:
        """True when the visible text (or the text as sent, with its markup) holds ``fragment``."""
        return self.content.contains(fragment)

    def button(self, label_or_data: str) -> Button:
        """The button whose callback data, URL or label is ``label_or_data``."""
        for row in self.buttons:
            for button in row:
                if label_or_data in (button.callback_data, button.url, button.text):
                    return button
        raise LookupError(f"message {self.message_id} has no button {label_or_data!r}")

    def to_json(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API Message object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_json(),
            "chat": self.chat.to_json(),
            "date": self.date,
        }
        content = self.content
        text_key, entities_key = (
            ("caption", "caption_entities")
            if content.file
            else (
                "text",
                "entities",
            )
        )
        if content.plain_text is not None:
            message[text_key] = content.plain_text
            if content.entities:
                message[entities_key] = list(content.entities)
        if content.file is not None:
            if content.file.kind == "photo":
                message["photo"] = [content.file.to_json()]
            else:
                message["document"] = content.file.to_json()
        inline = content.markup.inline_json() if content.markup else None
        if inline is not None:
            message["reply_markup"] = inline
        if self.reply_to is not None and with_reply:
            # Telegram nests only one level of replies.
            message["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.thread_id is not None and self.chat.is_forum:
            message["message_thread_id"] = self.thread_id
            message["is_topic_message"] = True
        message.update(self.service)
        return message
