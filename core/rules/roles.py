"""R-acc1 and R-acc4: roles, their limits and what each may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SELLER = "seller"
    OFFICIAL = "official"
    MARKETING = "marketing"
    PLATFORM = "platform"  # the shop's API key: acts for the shop as its seller would


ROLE_LIMITS = {Role.OFFICIAL: 1, Role.MARKETING: 4}
LINKABLE_ROLES = (Role.OFFICIAL, Role.MARKETING)


class Action(StrEnum):
    MANAGE_VOUCHERS = "manage_vouchers"  # create, edit, add quantity, deactivate
    MANAGE_SHOP = "manage_shop"  # accounts, invites, API keys, team chat, shop settings
    RUN_LIVE = "run_live"  # own sessions, issue and stop distributions
    READ = "read"  # vouchers, quota, analytics
    PROVISION_HOSTS = "provision_hosts"  # R-api3: add official/marketing hosts, handles, unlink


_ALLOWED = {
    Role.SELLER: set(Action),
    Role.PLATFORM: {Action.MANAGE_VOUCHERS, Action.RUN_LIVE, Action.READ, Action.PROVISION_HOSTS},
    Role.OFFICIAL: {Action.RUN_LIVE, Action.READ},
    Role.MARKETING: {Action.RUN_LIVE, Action.READ},
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: an account of a shop, or the shop's platform (API key)."""

    shop_id: int
    role: Role
    account_id: int | None = None

    @classmethod
    def platform(cls, shop_id: int) -> Actor:
        return cls(shop_id=shop_id, role=Role.PLATFORM)

    def may(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]

    @property
    def acts_for_any_account(self) -> bool:
        """The seller and the platform may act on any account's sessions and distributions."""
        return self.role in (Role.SELLER, Role.PLATFORM)
