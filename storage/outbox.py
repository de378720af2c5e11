"""SQL of the notification outbox's delivery side (R-n2): find due messages, lease one before
sending it, record the outcome, count what is waiting.

A row is pending while `sent_at` and `failed_at` are both NULL. Its `next_attempt_at` says
when it may be tried next; a lease moves it into the future so that nobody else (another
sender, or this one on its next pass) picks the row while its send is in flight. Messages of
one chat go out in id order: only the oldest pending row of a chat (its *head*) is ever due or
leasable, so a message waiting for a retry holds back the later ones of its chat.

A team chat that is paused (the bot is out of it, issue 25) has no due messages: they are kept
until the seller sends /team again. When a chat's queue is long the sender takes several of
its messages at once (`chat_queue`, `lease_many`): an urgent one ahead of its turn, or routine
ones merged into one message.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from storage.models import Notification, Shop
from storage.sql import changed_rows

ERROR_LIMIT = 500  # the width of notification.last_error

_earlier = aliased(Notification)


@dataclass(frozen=True)
class OutboxMessage:
    """What the sender needs of one outbox row."""

    id: int
    chat_id: int
    text: str
    buttons: str | None
    attempts: int
    shop_id: int
    kind: str
    created_at: datetime
    thread_id: int | None = None  # the team chat's forum topic, for a team notice


class LeaseLost(Exception):
    """Another sender holds one of the messages asked for (`lease_many`)."""


def _pending() -> ColumnElement[bool]:
    return and_(col(Notification.sent_at).is_(None), col(Notification.failed_at).is_(None))


def _is_head() -> ColumnElement[bool]:
    """No older pending message waits for the same chat."""
    return ~exists().where(
        col(_earlier.chat_id) == col(Notification.chat_id),
        col(_earlier.id) < col(Notification.id),
        col(_earlier.sent_at).is_(None),
        col(_earlier.failed_at).is_(None),
    )


def _messages() -> Select[Any]:
    """Rows as `OutboxMessage`s, with the team chat's topic; a paused team chat's are left out."""
    return (
        select(
            col(Notification.id),
            col(Notification.chat_id),
            col(Notification.text),
            col(Notification.buttons),
            col(Notification.attempts),
            col(Notification.shop_id),
            col(Notification.kind),
            col(Notification.created_at),
            col(Shop.team_thread_id),
        )
        .outerjoin(
            Shop,
            and_(
                col(Shop.id) == col(Notification.shop_id),
                col(Shop.team_chat_id) == col(Notification.chat_id),
            ),
        )
        .where(_pending(), col(Shop.team_paused_at).is_(None))
    )


async def due_heads(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    exclude_chats: Collection[int] = (),
    exclude_ids: Collection[int] = (),
) -> list[OutboxMessage]:
    """The oldest pending message of each chat whose turn has come, oldest first."""
    stmt = (
        _messages()
        .where(col(Notification.next_attempt_at) <= now, _is_head())
        .order_by(col(Notification.id))
        .limit(limit)
    )
    if exclude_chats:
        stmt = stmt.where(col(Notification.chat_id).not_in(list(exclude_chats)))
    if exclude_ids:
        stmt = stmt.where(col(Notification.id).not_in(list(exclude_ids)))
    rows = (await session.execute(stmt)).all()
    return [OutboxMessage(*row) for row in rows]


async def chat_queue(
    session: AsyncSession, chat_id: int, now: datetime, *, limit: int
) -> list[OutboxMessage]:
    """The due pending messages of one chat, oldest first (at most `limit`)."""
    stmt = (
        _messages()
        .where(col(Notification.chat_id) == chat_id, col(Notification.next_attempt_at) <= now)
        .order_by(col(Notification.id))
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [OutboxMessage(*row) for row in rows]


async def lease_many(
    session: AsyncSession, message_ids: Sequence[int], now: datetime, until: datetime
) -> None:
    """Take the right to send all of `message_ids` (merged into one message, or one taken ahead
    of its turn) until `until`; raises LeaseLost, rolling the transaction back, unless every
    one of them was won."""
    stmt = (
        update(Notification)
        .where(
            col(Notification.id).in_(list(message_ids)),
            _pending(),
            col(Notification.next_attempt_at) <= now,
        )
        .values(next_attempt_at=until, attempts=col(Notification.attempts) + 1)
    )
    result = await session.execute(stmt)
    if changed_rows(result) != len(message_ids):
        raise LeaseLost


def _ids(message_ids: int | Sequence[int]) -> ColumnElement[bool]:
    if isinstance(message_ids, int):
        return col(Notification.id) == message_ids
    return col(Notification.id).in_(list(message_ids))


async def lease(session: AsyncSession, message_id: int, now: datetime, until: datetime) -> bool:
    """Take the right to send one message until `until`; True only for whoever won it.

    The conditions are re-checked by the UPDATE itself (under the row lock on PostgreSQL, in a
    serialized write on SQLite), so of two senders racing for a row exactly one wins.
    """
    stmt = (
        update(Notification)
        .where(
            col(Notification.id) == message_id,
            _pending(),
            col(Notification.next_attempt_at) <= now,
            _is_head(),
        )
        .values(next_attempt_at=until, attempts=col(Notification.attempts) + 1)
    )
    result = await session.execute(stmt)
    return changed_rows(result) == 1


async def mark_sent(session: AsyncSession, message_id: int | Sequence[int], now: datetime) -> None:
    await session.execute(
        update(Notification)
        .where(_ids(message_id), col(Notification.sent_at).is_(None))
        .values(sent_at=now, last_error=None)
    )


async def retry_at(
    session: AsyncSession, message_id: int | Sequence[int], at: datetime, error: str
) -> None:
    """Give the message back, to be tried again from `at`."""
    await session.execute(
        update(Notification)
        .where(_ids(message_id), _pending())
        .values(next_attempt_at=at, last_error=error[:ERROR_LIMIT])
    )


async def mark_failed(
    session: AsyncSession, message_id: int | Sequence[int], now: datetime, error: str
) -> None:
    """Give up on the message for good; it no longer holds back its chat."""
    await session.execute(
        update(Notification)
        .where(_ids(message_id), _pending())
        .values(failed_at=now, last_error=error[:ERROR_LIMIT])
    )


async def move_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> int:
    """Point the pending messages of a chat at its new id (a group became a supergroup)."""
    result = await session.execute(
        update(Notification)
        .where(col(Notification.chat_id) == old_chat_id, _pending())
        .values(chat_id=new_chat_id)
    )
    return changed_rows(result)


async def count_pending(session: AsyncSession) -> int:
    stmt = select(func.count()).select_from(Notification).where(_pending())
    return int((await session.execute(stmt)).scalar_one())


async def fail_chat(session: AsyncSession, chat_id: int, now: datetime, error: str) -> int:
    """Give up on every pending message of a chat (a person who blocked the bot)."""
    result = await session.execute(
        update(Notification)
        .where(col(Notification.chat_id) == chat_id, _pending())
        .values(failed_at=now, last_error=error[:ERROR_LIMIT])
    )
    return changed_rows(result)
