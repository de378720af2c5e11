"""Shops: creation with their seller, settings, and the team chat (R-acc1, R-n1)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast
from zoneinfo import available_timezones

from sqlalchemy.exc import IntegrityError

from core import team_chat
from core.errors import Conflict, FieldError, ValidationFailed
from core.ids import row_id
from core.money import is_currency
from core.refusal_codes import AccountCode, ShopCode
from core.rules.roles import Action, Actor, Role
from core.rules.targeting import SegmentWindows, window_errors
from core.services.base import Service, require
from core.services.claim_cache import ClaimCache
from core.services.languages import SUPPORTED
from core.views import AccountView, ShopView
from storage import repositories as repo
from storage.models import Account, Shop

_ZONES = frozenset(available_timezones())


def check_settings(currency: str | None, timezone: str | None) -> list[FieldError]:
    errors = []
    if currency is not None and not is_currency(currency):
        errors.append(FieldError("currency", "must be an ISO 4217 code such as USD or IDR"))
    if timezone is not None and timezone not in _ZONES:
        errors.append(FieldError("timezone", "must be an IANA time zone such as Asia/Jakarta"))
    return errors


@dataclass
class ShopService(Service):
    # The segment windows are part of every claim target of the shop (R-seg): a change must
    # reach this process's claim path at once; other processes learn it from the change feed.
    claim_cache: ClaimCache | None = None

    async def create(
        self,
        name: str,
        *,
        owner_telegram_user_id: int | None = None,
        owner_name: str | None = None,
        handle: str | None = None,
        currency: str = "USD",
        timezone: str = "UTC",
        language: str | None = None,
    ) -> tuple[ShopView, AccountView]:
        """A shop and its seller. `language` is the seller's (R-l10n5): the team chat starts in
        it (`opening_settings` gives the currency and zone its market suggests first)."""
        name = (name or "").strip()
        errors = check_settings(currency, timezone)
        if language is not None and language not in SUPPORTED:
            errors.append(FieldError("language", f"must be one of {', '.join(SUPPORTED)}"))
        if not name or len(name) > 100:
            errors.insert(0, FieldError("name", "must be 1–100 characters"))
        if handle is not None:
            from core.ids import is_platform_id

            handle = handle.lstrip("@").lower()  # R-api2: one stored form
            if not is_platform_id(handle):
                errors.append(
                    FieldError("handle", "must be 1–64 characters of A-Z a-z 0-9 _ . : -")
                )
        if errors:
            raise ValidationFailed(errors)
        now = self.clock.now()
        try:
            async with self.db.write() as session:
                if owner_telegram_user_id is not None and await repo.active_account_of_user(
                    session, owner_telegram_user_id
                ):
                    raise Conflict(
                        "You already belong to a shop.", code=AccountCode.ALREADY_IN_SHOP
                    )
                shop = Shop(
                    name=name,
                    currency=currency,
                    timezone=timezone,
                    language=language or "en",
                    created_at=now,
                )
                session.add(shop)
                await session.flush()
                seller = Account(
                    shop_id=row_id(shop),
                    role=Role.SELLER,
                    telegram_user_id=owner_telegram_user_id,
                    display_name=owner_name,
                    platform_handle=handle,
                    linked_at=now,
                )
                session.add(seller)
                await session.flush()
        except IntegrityError as exc:  # the same user racing two /setup
            raise Conflict(
                "You already belong to a shop.", code=AccountCode.ALREADY_IN_SHOP
            ) from exc
        return ShopView.of(shop), AccountView.of(seller)

    async def get(self, shop_id: int) -> ShopView:
        async with self.db.read() as session:
            return ShopView.of(await self._shop(session, shop_id))

    async def update_settings(
        self, actor: Actor, *, currency: str | None = None, timezone: str | None = None
    ) -> ShopView:
        require(actor, Action.MANAGE_SHOP)
        errors = check_settings(currency, timezone)
        if errors:
            raise ValidationFailed(errors)
        async with self.db.write() as session:
            shop = await self._shop(session, actor.shop_id)
            if currency is not None and currency != shop.currency:
                held = await repo.first_priced_record_kind(session, row_id(shop))
                if held is not None:
                    # R-money-change: stored amounts are never re-read in another currency.
                    raise Conflict(
                        f"The currency can't change: the shop already has {held}, whose amounts "
                        f"are in {shop.currency}.",
                        code=ShopCode.CURRENCY_LOCKED,
                        held=held,
                        currency=shop.currency,
                    )
                shop.currency = currency
            if timezone is not None:
                shop.timezone = timezone
            return ShopView.of(shop)

    async def set_team_chat(
        self, actor: Actor, chat_id: int | None, thread_id: int | None = None
    ) -> ShopView:
        """The team chat (and, in a forum, its topic). After a pause (the bot was out of the
        team chat) the kept notices are delivered there, the old ones as one summary."""
        require(actor, Action.MANAGE_SHOP)
        async with self.db.write() as session:
            shop = await self._shop(session, actor.shop_id)
            old_chat, paused = shop.team_chat_id, shop.team_paused_at is not None
            shop.team_chat_id = chat_id
            shop.team_thread_id = thread_id if chat_id is not None else None
            shop.team_paused_at = None
            if paused:
                await session.flush()
                await team_chat.resume(session, shop, old_chat, self.clock.now())
            return ShopView.of(shop)

    async def segment_windows(self, actor: Actor) -> SegmentWindows:
        """R-seg: the shop's segment windows, in days."""
        require(actor, Action.READ)
        async with self.db.read() as session:
            shop = await self._shop(session, actor.shop_id)
        return _windows(shop)

    async def set_segment_windows(self, actor: Actor, **changes: object) -> SegmentWindows:
        """R-seg: the seller changes the windows (repeat_days, lapsed_active_days,
        lapsed_quiet_days, follower_days); the claim path sees them at once (R-scale1).
        They decide who a voucher is for, so whoever manages vouchers may set them: the
        seller, and the platform through the API (`PATCH /v1/shop/segment-windows`)."""
        require(actor, Action.MANAGE_VOUCHERS)
        unknown = sorted(set(changes) - set(SegmentWindows.__dataclass_fields__))
        if unknown:
            raise ValidationFailed([FieldError(unknown[0], "is not a segment window")])
        async with self.db.write() as session:
            shop = await self._shop(session, actor.shop_id, lock=True)
            # raw values on purpose: window_errors below names each one that is not a whole
            # number in range
            windows = replace(_windows(shop), **cast("dict[str, Any]", changes))
            errors = window_errors(windows)
            if errors:
                raise ValidationFailed(errors)
            for name, value in changes.items():
                setattr(shop, name, value)
        if self.claim_cache is not None:
            self.claim_cache.forget_all()  # R-scale1: the next claim reads the new windows
        return windows


def _windows(shop: Shop) -> SegmentWindows:
    return SegmentWindows(
        shop.repeat_days, shop.lapsed_active_days, shop.lapsed_quiet_days, shop.follower_days
    )
