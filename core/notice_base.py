"""R-n1 team notifications: what each event says, written to the outbox in the caller's
transaction (R-n2) so a notification exists exactly when its change committed.

Languages (R-l10n1): a notice is composed as a *message*: a gettext message id with its
parameters (`msg`, `msg_n` for counts), which may hold money (`money`), instants (`when`), a
task, a role or other messages. The outbox row keeps the English rendering (what logs and
engineers read) followed by the message itself after `MARK`; the sender renders it at send
time in the language of the chat it goes to: the shop's language for the team chat, the
person's for a private chat (bot/telegram/outbox_sender.py). Core decides what is said; the
bot's catalogs (bot/locales/) say it in each language. A plain string is sent as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.ids import row_id
from core.money import format_money
from core.rules.live import Task, TaskType
from storage import repositories as repo
from storage import team_chats
from storage.models import Account, Shop, Voucher

Message = dict[str, Any]
# Between the English text and the message (a word joiner: invisible if ever shown).
MARK = "\n\u2060voucherbot-message:"


# --- composing -------------------------------------------------------------------------------


def msg(message_id: str, **params: Any) -> Message:
    """A sentence: its gettext id (English, with `{name}` placeholders) and parameters. A
    `str` parameter is data (escaped when shown), an `int` a number (grouped per language), a
    dict another message or a value below."""
    return {"m": message_id, "p": params}


def msg_n(singular: str, plural: str, n: int, **params: Any) -> Message:
    """A sentence whose form depends on the count `n` (also available as `{n}`)."""
    return {"m": singular, "pl": plural, "n": n, "p": params}


def seq(*parts: Message | str, sep: str = "") -> Message:
    """Messages (or markup) one after another."""
    return {"j": [html(p) if isinstance(p, str) else p for p in parts], "sep": sep}


def html(markup: str) -> Message:
    """Markup already escaped (a voucher's label)."""
    return {"h": markup}


def money(minor: int, currency: str) -> Message:
    return {"$": [minor, currency]}


def when(at: datetime, timezone: str) -> Message:
    return {"at": [at.isoformat(), timezone]}


def tenths(value: int) -> Message:
    """A number with one decimal (`25` → 2.5 in English, 2,5 in Indonesian), R-l10n1."""
    return {"#": [value, 1]}


def label(text: str) -> str:
    """A button label (a gettext id too: the sender translates it)."""
    return text


def role_words(role: str) -> Message:
    if role == "seller":
        return msg("seller")
    if role == "official":
        return msg("official")
    if role == "marketing":
        return msg("marketing")
    return html(escape(role))


def task_words(task: Task) -> Message:
    if task.type == TaskType.WATCH:
        return msg("watch {minutes} min", minutes=task.minutes or 0)
    if task.type == TaskType.FOLLOW:
        return msg("follow the host")
    return msg("no task")


def voucher_label(v: Voucher) -> str:
    return named_voucher(v.name, row_id(v))


def named_voucher(name: str, voucher_id: int) -> str:
    return f"<b>{escape(name)}</b> (#{voucher_id})"


def account_label(a: Account | None) -> Message:
    if a is None:
        return msg("the platform")
    name = a.display_name or (f"@{a.platform_handle}" if a.platform_handle else f"#{a.id}")
    return msg("{name} ({role}, account #{id})", name=name, role=role_words(a.role), id=str(a.id))


# --- rendering -------------------------------------------------------------------------------


def _english_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


@dataclass(frozen=True)
class Words:
    """Renders a message: in English by default; the bot passes a language's catalog, its
    Babel locale and its date pattern."""

    gettext: Callable[[str], str] = str
    ngettext: Callable[[str, str, int], str] = _english_plural
    locale: str | None = None  # None: each currency's own conventions, English dates
    date_pattern: str | None = None

    def render(self, message: Message | str) -> str:
        if isinstance(message, str):
            return message
        if "h" in message:
            return str(message["h"])
        if "j" in message:
            return str(message.get("sep", "")).join(self.render(p) for p in message["j"])
        if "$" in message:
            minor, currency = message["$"]
            return escape(format_money(int(minor), str(currency), self.locale), quote=False)
        if "#" in message:
            from decimal import Decimal

            from babel.numbers import format_decimal

            value, places = message["#"]
            number = Decimal(int(value)).scaleb(-int(places))
            pattern = "#,##0." + "0" * int(places)
            return format_decimal(number, format=pattern, locale=self.locale or "en_US")
        if "at" in message:
            return escape(self._time(datetime.fromisoformat(message["at"][0]), message["at"][1]))
        params = {k: self._value(v) for k, v in dict(message.get("p", {})).items()}
        if "pl" in message:
            n = int(message["n"])
            template = self.ngettext(str(message["m"]), str(message["pl"]), n)
            params.setdefault("n", self._value(n))
        else:
            template = self.gettext(str(message["m"]))
        return template.format(**params)

    def _value(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return escape(str(value))
        if isinstance(value, int):
            if self.locale is None:
                return f"{value:,}"
            from babel.numbers import format_decimal

            return format_decimal(value, locale=self.locale)
        if isinstance(value, dict):
            return self.render(value)
        return escape(str(value), quote=False)

    def _time(self, at: datetime, timezone: str) -> str:
        try:
            zone = ZoneInfo(timezone)
        except (KeyError, ValueError):
            zone, timezone = ZoneInfo("UTC"), "UTC"
        if self.date_pattern is None or self.locale is None:
            return local_time(at, timezone)
        from babel.dates import format_datetime

        shown = format_datetime(at, self.date_pattern, tzinfo=zone, locale=self.locale)
        return f"{shown} ({timezone})"


ENGLISH = Words()


def pack(message: Message | str, shop_id: int, language: str | None) -> str:
    """The outbox text: English, then the message for the sender to render."""
    if isinstance(message, str):
        return message
    envelope = {"shop": shop_id, "lang": language, "msg": message}
    return ENGLISH.render(message) + MARK + json.dumps(envelope, ensure_ascii=False)


def unpack(text: str) -> tuple[str, dict[str, Any] | None]:
    """(English text, envelope or None) of an outbox text."""
    english, found, rest = text.partition(MARK)
    if not found:
        return text, None
    try:
        return english, json.loads(rest)
    except ValueError:
        return english, None


def notification_row(
    shop_id: int,
    chat_id: int,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
    language: str | None = None,
) -> dict[str, object]:
    """One outbox row; the event key is unique per shop, so an event is queued once."""
    return {
        "shop_id": shop_id,
        "event_key": f"shop:{shop_id}:{event_key}",
        "kind": kind,
        "chat_id": chat_id,
        "text": pack(text, shop_id, language),
        "buttons": json.dumps(buttons) if buttons else None,
        "created_at": now,
        "next_attempt_at": now,
    }


async def notify(
    session: AsyncSession,
    shop: Shop,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> bool:
    """Queue one message for the team chat. Without a team chat there is nobody to tell, so
    nothing is queued (a chat chosen later does not receive old news)."""
    if shop.team_chat_id is None:
        return False
    return await notify_person(
        session,
        shop,
        shop.team_chat_id,
        event_key=event_key,
        kind=kind,
        text=text,
        now=now,
        buttons=buttons,
    )


def private_chat(account: Account | None, shop: Shop) -> int | None:
    """Where a personal notice to this account goes: its Telegram user's private chat, or None
    when it has none (no Telegram user, unlinked) or when that chat is the team chat, which
    the shop's notice reaches already."""
    if account is None or account.telegram_user_id is None or account.unlinked_at is not None:
        return None
    if account.telegram_user_id == shop.team_chat_id:
        return None
    return account.telegram_user_id


async def notify_person(
    session: AsyncSession,
    shop: Shop,
    chat_id: int,
    *,
    event_key: str,
    kind: str,
    text: Message | str,
    now: datetime,
    buttons: list[list[tuple[str, str]]] | None = None,
) -> bool:
    """Queue one message for a chat: a person's private chat (rendered in their language) or,
    through `notify`, the team chat (in the shop's language). Nothing is queued for a person
    who blocked the bot (issue 25): it could only be refused."""
    if chat_id > 0 and await team_chats.is_blocked(session, chat_id):
        return False
    row = notification_row(
        row_id(shop),
        chat_id,
        event_key=event_key,
        kind=kind,
        text=text,
        now=now,
        buttons=buttons,
        language=shop.language,
    )
    return await repo.add_notification(session, row)


# --- what each event says (R-n1) ------------------------------------------------------------


def _stop_reason(reason: str, by: Account | None) -> Message:
    if reason == "stopped":
        return msg("by {account}", account=account_label(by))
    if reason == "session_ended":
        return msg("because the live session ended")
    if reason == "deactivated":
        return msg("because the voucher was deactivated")
    if reason == "account_unlinked":
        return msg("because the host account was unlinked")
    if reason == "claim_period_ended":
        return msg("because the claim period ended")
    return html(escape(reason))


def local_time(at: datetime, timezone: str) -> str:
    """`8 Jun 2026 14:00 (Europe/Berlin)`: the shop's own clock (R-time)."""
    try:
        local = at.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        local, timezone = at, "UTC"
    return f"{local.day} {local:%b %Y %H:%M} ({timezone})"
