"""API keys: one shop each, shown once, stored as a hash (docs/api.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.errors import NotFound
from core.refusal_codes import IntegrationCode
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from storage import repositories as repo
from storage.models import ApiKey

PREFIX = "vb"


@dataclass(frozen=True)
class ApiKeyView:
    key_id: str
    shop_id: int
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    secret: str  # the whole key, shown once: `vb_<key id>_<secret part>`
    shop_id: int


def _hash(secret_part: str) -> str:
    # The secret is 192 random bits, so a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(secret_part.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    parts = key.strip().split("_")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeyService(Service):
    @property
    def on_revoke(self) -> list[Callable[[str], None]]:
        """Called with the key id of every revocation, so in-process caches (the HTTP API's
        authentication cache) forget the key at once."""
        hooks: list[Callable[[str], None]] = self.__dict__.setdefault("_on_revoke", [])
        return hooks

    async def create(self, actor: Actor) -> NewApiKey:
        require(actor, Action.MANAGE_SHOP)
        return await self.create_for_shop(actor.shop_id)

    async def create_for_shop(self, shop_id: int) -> NewApiKey:
        """For the CLI (`voucherbot apikey create --shop`), which acts as the operator."""
        key_id = secrets.token_hex(4)
        secret_part = secrets.token_urlsafe(24).replace("_", "-")
        async with self.db.write() as session:
            await self._shop(session, shop_id)
            session.add(
                ApiKey(
                    shop_id=shop_id,
                    key_id=key_id,
                    secret_hash=_hash(secret_part),
                    created_at=self.clock.now(),
                )
            )
        return NewApiKey(key_id, f"{PREFIX}_{key_id}_{secret_part}", shop_id)

    async def authenticate(self, key: str) -> int | None:
        """The shop a key acts for, or None for a missing, wrong or revoked key."""
        parts = split_key(key)
        if parts is None:
            return None
        async with self.db.read() as session:
            row = await repo.api_key_by_key_id(session, parts[0])
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, _hash(parts[1])):
            return None
        return row.shop_id

    async def revoke(self, key_or_id: str, *, actor: Actor | None = None) -> ApiKeyView:
        """Revokes by key id or whole key; with an actor, only that shop's keys."""
        if actor is not None:
            require(actor, Action.MANAGE_SHOP)
        parts = split_key(key_or_id)
        key_id = parts[0] if parts else key_or_id.strip()
        async with self.db.write() as session:
            row = await repo.api_key_by_key_id(session, key_id)
            if row is None or (actor is not None and row.shop_id != actor.shop_id):
                raise NotFound(
                    f"API key {key_id} not found", code=IntegrationCode.API_KEY_NOT_FOUND
                )
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
            view = ApiKeyView(row.key_id, row.shop_id, row.created_at, row.revoked_at)
        for listener in self.on_revoke:
            listener(view.key_id)
        return view

    async def list(self, actor: Actor) -> list[ApiKeyView]:
        require(actor, Action.MANAGE_SHOP)
        async with self.db.read() as session:
            rows = await repo.api_keys_of_shop(session, actor.shop_id)
        return [ApiKeyView(r.key_id, r.shop_id, r.created_at, r.revoked_at) for r in rows]
