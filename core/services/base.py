"""What every service shares: the database, the clock, and the checks they all make."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import NotFound, PermissionDenied
from core.refusal_codes import GeneralCode, ShopCode
from core.rules.claim_outcomes import RefusalCode
from core.rules.roles import Action, Actor
from storage import repositories as repo
from storage.db import Database
from storage.models import Account, Shop, Voucher

REFUSALS = {
    Action.MANAGE_VOUCHERS: "Only the seller can create, edit or deactivate vouchers.",
    Action.MANAGE_SHOP: "Only the seller can manage accounts, API keys and the team chat.",
    Action.RUN_LIVE: "Only the shop's linked accounts can run live sessions.",
    Action.READ: "Only the shop's linked accounts can see this.",
    Action.PROVISION_HOSTS: "Only the seller can add, rename or unlink accounts.",
}


def require(actor: Actor, action: Action) -> None:
    """R-acc4: a polite refusal before anything changes."""
    if not actor.may(action):
        raise PermissionDenied(REFUSALS[action], code=GeneralCode.FORBIDDEN)


@dataclass
class Service:
    db: Database
    clock: Clock

    async def _shop(self, session: AsyncSession, shop_id: int, *, lock: bool = False) -> Shop:
        shop = await repo.get_shop(session, shop_id, lock=lock)
        if shop is None:
            raise NotFound(f"shop {shop_id} not found", code=ShopCode.SHOP_NOT_FOUND)
        return shop

    async def _voucher(
        self, session: AsyncSession, shop_id: int, voucher_id: int, *, lock: bool = False
    ) -> Voucher:
        voucher = await repo.get_voucher(session, shop_id, voucher_id, lock=lock)
        if voucher is None:
            raise NotFound(f"voucher {voucher_id} not found", code=RefusalCode.VOUCHER_NOT_FOUND)
        return voucher

    async def _account(self, session: AsyncSession, actor: Actor) -> Account | None:
        if actor.account_id is None:
            return None
        return await repo.get_account(session, actor.shop_id, actor.account_id)
