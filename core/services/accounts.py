"""Linked accounts: invites as deep links, roles, unlinking, platform handles (R-acc1…R-acc4)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Conflict, NotFound, PermissionDenied, invalid
from core.ids import normalize_handle, row_id
from core.notifications import linked_text, notify, unlinked_text
from core.refusal_codes import AccountCode
from core.rules.roles import LINKABLE_ROLES, ROLE_LIMITS, Action, Actor, Role
from core.services.base import Service, require
from core.services.live import stop_account_activity
from core.views import AccountView, ShopView
from storage import repositories as repo
from storage.models import Account, Invite

INVITE_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class InviteView:
    token: str
    role: str
    expires_at: datetime

    def deep_link(self, bot_username: str) -> str:
        return f"https://t.me/{bot_username}?start={self.token}"


@dataclass(frozen=True)
class Membership:
    """A Telegram user's place in a shop, as the bot needs it for every update."""

    actor: Actor
    account: AccountView
    shop: ShopView


class AccountService(Service):
    async def membership(self, telegram_user_id: int) -> Membership | None:
        async with self.db.read() as session:
            account = await repo.active_account_of_user(session, telegram_user_id)
            if account is None:
                return None
            shop = await self._shop(session, account.shop_id)
        actor = Actor(shop_id=account.shop_id, role=Role(account.role), account_id=account.id)
        return Membership(actor, AccountView.of(account), ShopView.of(shop))

    async def list(self, actor: Actor) -> list[AccountView]:
        require(actor, Action.READ)
        async with self.db.read() as session:
            return [AccountView.of(a) for a in await repo.active_accounts(session, actor.shop_id)]

    async def get(self, actor: Actor, account_id: int) -> AccountView:
        require(actor, Action.READ)
        async with self.db.read() as session:
            account = await repo.get_account(session, actor.shop_id, account_id)
        if account is None or account.unlinked_at is not None:
            raise NotFound(f"account {account_id} not found", code=AccountCode.ACCOUNT_NOT_FOUND)
        return AccountView.of(account)

    async def create_invite(self, actor: Actor, role: str) -> InviteView:
        require(actor, Action.MANAGE_SHOP)
        if role not in LINKABLE_ROLES:
            raise invalid("role", "must be 'official' or 'marketing'")
        assert actor.account_id is not None, "MANAGE_SHOP is the seller's, always an account"
        now = self.clock.now()
        async with self.db.write() as session:
            await self._check_room(session, actor.shop_id, Role(role))
            invite = Invite(
                shop_id=actor.shop_id,
                role=role,
                token=secrets.token_urlsafe(16),
                created_by_account_id=actor.account_id,
                created_at=now,
                expires_at=now + INVITE_TTL,
            )
            session.add(invite)
        return InviteView(invite.token, role, invite.expires_at)

    async def _check_room(self, session: AsyncSession, shop_id: int, role: Role) -> None:
        if await repo.count_active_role(session, shop_id, role) >= ROLE_LIMITS[role]:
            limit = ROLE_LIMITS[role]
            raise Conflict(
                f"The shop already has {limit} {role.value} account{'s' if limit > 1 else ''}: "
                "unlink one first.",
                code=AccountCode.ROLE_FULL,
                limit=limit,
                role=role.value,
            )

    async def accept_invite(
        self, token: str, telegram_user_id: int, display_name: str | None = None
    ) -> Membership:
        now = self.clock.now()
        try:
            async with self.db.write() as session:
                invite = await repo.get_invite(session, token)
                if invite is None:
                    raise NotFound(
                        "This invite link is not valid.", code=AccountCode.INVITE_NOT_FOUND
                    )
                if invite.used_at is not None:
                    raise Conflict(
                        "This invite link was already used.", code=AccountCode.INVITE_USED
                    )
                if now >= invite.expires_at:
                    raise Conflict("This invite link has expired.", code=AccountCode.INVITE_EXPIRED)
                if await repo.active_account_of_user(session, telegram_user_id):
                    raise Conflict(
                        "You already belong to a shop.", code=AccountCode.ALREADY_IN_SHOP
                    )
                # Locking the shop row serialises concurrent acceptances for the same role.
                shop = await self._shop(session, invite.shop_id, lock=True)
                if invite.account_id is not None:
                    # R-api3: the person takes the account the platform provisioned.
                    account = await self._provisioned(session, invite.shop_id, invite.account_id)
                    account.telegram_user_id = telegram_user_id
                    account.display_name = display_name
                else:
                    await self._check_room(session, row_id(shop), Role(invite.role))
                    account = Account(
                        shop_id=row_id(shop),
                        role=invite.role,
                        telegram_user_id=telegram_user_id,
                        display_name=display_name,
                        linked_at=now,
                    )
                    session.add(account)
                await session.flush()
                if not await repo.use_invite(session, row_id(invite), row_id(account), now):
                    raise Conflict(
                        "This invite link was already used.", code=AccountCode.INVITE_USED
                    )
                await notify(
                    session,
                    shop,
                    event_key=f"account:{account.id}:linked",
                    kind="account_linked",
                    text=linked_text(account),
                    now=now,
                )
        except IntegrityError as exc:
            raise Conflict(
                "You already belong to a shop.", code=AccountCode.ALREADY_IN_SHOP
            ) from exc
        actor = Actor(shop_id=account.shop_id, role=Role(account.role), account_id=account.id)
        return Membership(actor, AccountView.of(account), ShopView.of(shop))

    async def unlink(self, actor: Actor, account_id: int) -> AccountView:
        """R-acc3: immediate; its sessions end and its distributions stop in the same commit."""
        require(actor, Action.PROVISION_HOSTS)
        now = self.clock.now()
        async with self.db.write() as session:
            account = await repo.get_account(session, actor.shop_id, account_id)
            if account is None or account.unlinked_at is not None:
                raise NotFound(
                    f"account {account_id} not found", code=AccountCode.ACCOUNT_NOT_FOUND
                )
            if account.role == Role.SELLER:
                raise PermissionDenied(
                    "The seller's own account cannot be unlinked.",
                    code=AccountCode.CANNOT_UNLINK_SELLER,
                )
            account.unlinked_at = now
            shop = await self._shop(session, actor.shop_id)
            await stop_account_activity(session, shop, account, now, reason="account_unlinked")
            await notify(
                session,
                shop,
                event_key=f"account:{account.id}:unlinked",
                kind="account_unlinked",
                text=unlinked_text(account),
                now=now,
            )
            return AccountView.of(account)

    async def set_handle(
        self, actor: Actor, handle: str, account_id: int | None = None
    ) -> AccountView:
        """R-acc2: the platform handle matches follow events to this host."""
        require(actor, Action.READ)
        handle = normalize_handle(handle, "platform_handle")
        target = account_id if account_id is not None else actor.account_id
        if target != actor.account_id:
            require(actor, Action.PROVISION_HOSTS)
        async with self.db.write() as session:
            account = (
                None if target is None else await repo.get_account(session, actor.shop_id, target)
            )
            if account is None or account.unlinked_at is not None:
                raise NotFound(f"account {target} not found", code=AccountCode.ACCOUNT_NOT_FOUND)
            await _check_handle_free(session, actor.shop_id, handle, account.id)
            account.platform_handle = handle
            return AccountView.of(account)

    # --- R-api3: provisioning by the platform ---------------------------------------------

    async def provision(
        self, actor: Actor, role: str, handle: str
    ) -> tuple[AccountView, InviteView]:
        """An official or marketing account with its platform handle, usable at once (its
        id starts sessions), and an invite for the person's Telegram to take it (R-acc2's
        limits count it from now)."""
        require(actor, Action.PROVISION_HOSTS)
        if role not in LINKABLE_ROLES:
            raise invalid("role", "must be 'official' or 'marketing'")
        handle = normalize_handle(handle, "platform_handle")
        now = self.clock.now()
        async with self.db.write() as session:
            await self._shop(session, actor.shop_id, lock=True)  # one provisioning at a time
            await self._check_room(session, actor.shop_id, Role(role))
            await _check_handle_free(session, actor.shop_id, handle, None)
            seller = next(
                a for a in await repo.active_accounts(session, actor.shop_id) if a.role == "seller"
            )
            account = Account(
                shop_id=actor.shop_id, role=role, platform_handle=handle, linked_at=now
            )
            session.add(account)
            await session.flush()
            invite = Invite(
                shop_id=actor.shop_id,
                role=role,
                token=secrets.token_urlsafe(16),
                created_by_account_id=actor.account_id or row_id(seller),
                created_at=now,
                expires_at=now + INVITE_TTL,
                account_id=account.id,
            )
            session.add(invite)
        return AccountView.of(account), InviteView(invite.token, role, invite.expires_at)

    async def _provisioned(self, session: AsyncSession, shop_id: int, account_id: int) -> Account:
        account = await repo.get_account(session, shop_id, account_id)
        if account is None or account.unlinked_at is not None:
            raise NotFound("This invite link is not valid.", code=AccountCode.INVITE_NOT_FOUND)
        if account.telegram_user_id is not None:
            raise Conflict("This invite link was already used.", code=AccountCode.INVITE_USED)
        return account


async def _check_handle_free(
    session: AsyncSession, shop_id: int, handle: str, account_id: int | None
) -> None:
    """R-api2: one active account per handle, so a follow names one host."""
    holder = await repo.account_by_handle(session, shop_id, handle)
    if holder is not None and holder.id != account_id:
        raise Conflict(
            f"Account {holder.id} already has the handle {handle}.",
            code=AccountCode.HANDLE_TAKEN,
            account_id=holder.id,
        )
