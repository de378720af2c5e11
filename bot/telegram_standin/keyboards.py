"""reply_markup: validated like Telegram does, and kept as buttons tests can read and press."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.telegram_standin.errors import bad_request

CALLBACK_DATA_MAX_BYTES = 64
INLINE_BUTTONS_MAX = 100
# Exactly one of these makes an inline button do something; Telegram refuses buttons with none.
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


@dataclass(frozen=True)
class Button:
    """One inline button: its label and what it does (callback data, a URL, or another action)."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    action: str = "callback_data"

    @property
    def value(self) -> str | None:
        """The callback data, or the URL for a link button."""
        return self.callback_data if self.callback_data is not None else self.url

    def as_tuple(self) -> tuple[str, str | None]:
        return (self.text, self.value)

    def to_json(self) -> dict[str, Any]:
        button: dict[str, Any] = {"text": self.text}
        if self.callback_data is not None:
            button["callback_data"] = self.callback_data
        elif self.url is not None:
            button["url"] = self.url
        else:
            button[self.action] = ""
        return button


ButtonRows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class ReplyMarkup:
    """A parsed reply_markup: an inline keyboard, a reply keyboard, its removal or a ForceReply."""

    inline: ButtonRows = ()
    keyboard: tuple[tuple[str, ...], ...] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False

    def inline_json(self) -> dict[str, Any] | None:
        """What Telegram echoes in the sent Message: only inline keyboards come back."""
        if not self.inline:
            return None
        return {"inline_keyboard": [[button.to_json() for button in row] for row in self.inline]}


def _inline_button(raw: Any) -> Button:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise bad_request('can\'t find field "text"')
    actions = [name for name in INLINE_ACTIONS if name in raw]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    action = actions[0]
    if action == "callback_data":
        data = raw["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
        return Button(raw["text"], callback_data=data)
    if action == "url":
        url = raw["url"]
        if not isinstance(url, str) or not url.strip() or any(c.isspace() for c in url):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
        return Button(raw["text"], url=url, action="url")
    return Button(raw["text"], action=action)


def _inline_keyboard(rows: Any) -> ButtonRows:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    parsed = tuple(tuple(_inline_button(raw) for raw in row) for row in rows)
    if sum(len(row) for row in parsed) > INLINE_BUTTONS_MAX:
        raise bad_request("reply markup is too long")
    return tuple(row for row in parsed if row)


def _reply_keyboard(rows: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    labels: list[tuple[str, ...]] = []
    for row in rows:
        # Reply keyboard buttons may be plain strings or KeyboardButton objects.
        labels.append(
            tuple(
                button if isinstance(button, str) else str(button.get("text", "")) for button in row
            )
        )
    return tuple(labels)


def parse_reply_markup(raw: Any) -> ReplyMarkup | None:
    """Validate a decoded reply_markup object; None when the request had none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return ReplyMarkup(inline=_inline_keyboard(raw["inline_keyboard"]))
    if "keyboard" in raw:
        return ReplyMarkup(keyboard=_reply_keyboard(raw["keyboard"]))
    if raw.get("remove_keyboard"):
        return ReplyMarkup(remove_keyboard=True)
    if raw.get("force_reply"):
        return ReplyMarkup(force_reply=True)
    raise bad_request("can't parse reply keyboard markup JSON object")
