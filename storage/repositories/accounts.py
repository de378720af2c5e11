"""Shops, accounts, invites, API keys and a user's language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from storage.models import (
    Account,
    ApiKey,
    Invite,
    Shop,
    UserLanguage,
)
from storage.repositories._common import _all, _first, _insert, _storable_id
from storage.sql import changed_rows

# --- shops and accounts -------------------------------------------------------------------


async def get_shop(session: AsyncSession, shop_id: int, *, lock: bool = False) -> Shop | None:
    if not _storable_id(shop_id):
        return None
    stmt = select(Shop).where(Shop.id == shop_id)
    if lock:
        stmt = stmt.with_for_update()
    return await _first(session, stmt)


async def active_account_of_user(session: AsyncSession, telegram_user_id: int) -> Account | None:
    return await _first(
        session,
        select(Account).where(
            Account.telegram_user_id == telegram_user_id, col(Account.unlinked_at).is_(None)
        ),
    )


async def get_account(session: AsyncSession, shop_id: int, account_id: int) -> Account | None:
    if not _storable_id(account_id):
        return None
    return await _first(
        session, select(Account).where(Account.id == account_id, Account.shop_id == shop_id)
    )


async def active_accounts(session: AsyncSession, shop_id: int) -> list[Account]:
    return await _all(
        session,
        select(Account)
        .where(Account.shop_id == shop_id, col(Account.unlinked_at).is_(None))
        .order_by(col(Account.id)),
    )


async def account_by_handle(session: AsyncSession, shop_id: int, handle: str) -> Account | None:
    """The active account with this (normalised, R-api2) platform handle."""
    return await _first(
        session,
        select(Account)
        .where(
            Account.shop_id == shop_id,
            Account.platform_handle == handle,
            col(Account.unlinked_at).is_(None),
        )
        .order_by(col(Account.id))
        .limit(1),
    )


async def count_active_role(session: AsyncSession, shop_id: int, role: str) -> int:
    stmt = select(func.count()).where(
        Account.shop_id == shop_id, Account.role == role, col(Account.unlinked_at).is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())


async def get_invite(session: AsyncSession, token: str) -> Invite | None:
    return await _first(session, select(Invite).where(Invite.token == token))


async def use_invite(session: AsyncSession, invite_id: int, account_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(Invite)
        .where(col(Invite.id) == invite_id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_account_id=account_id)
    )
    return changed_rows(result) == 1


# --- API keys -----------------------------------------------------------------------------


async def api_key_by_key_id(session: AsyncSession, key_id: str) -> ApiKey | None:
    return await _first(session, select(ApiKey).where(ApiKey.key_id == key_id))


async def api_keys_of_shop(session: AsyncSession, shop_id: int) -> list[ApiKey]:
    return await _all(
        session, select(ApiKey).where(ApiKey.shop_id == shop_id).order_by(col(ApiKey.id))
    )


# --- languages (R-l10n1) ---------------------------------------------------------------------


async def user_language(session: AsyncSession, telegram_user_id: int) -> str | None:
    row = await session.get(UserLanguage, telegram_user_id)
    return row.language if row is not None else None


async def set_user_language(
    session: AsyncSession, telegram_user_id: int, language: str, now: datetime
) -> None:
    """One row per person: a later choice replaces the earlier one (an upsert, no race)."""
    values = {"telegram_user_id": telegram_user_id, "language": language, "updated_at": now}
    stmt = (
        _insert(session, UserLanguage)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["telegram_user_id"],
            set_={"language": language, "updated_at": now},
        )
    )
    await session.execute(stmt)
