"""Languages people and shops speak in (R-l10n1): each person's `/language` choice, and the
shop's language, which its team chat is written in (chosen by the seller)."""

from __future__ import annotations

from core.errors import FieldError, ValidationFailed
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.views import ShopView
from storage import repositories as repo

# The languages the bot speaks (its catalogs, bot/locales/); English is the fallback.
SUPPORTED = ("en", "id", "th", "vi", "ms", "es")


def _check(language: str) -> None:
    if language not in SUPPORTED:
        raise ValidationFailed([FieldError("language", f"must be one of {', '.join(SUPPORTED)}")])


class LanguageService(Service):
    async def of_user(self, telegram_user_id: int) -> str | None:
        """The person's own choice, or None when they never chose (their Telegram's applies)."""
        async with self.db.read() as session:
            return await repo.user_language(session, telegram_user_id)

    async def choose(self, telegram_user_id: int, language: str) -> str:
        _check(language)
        async with self.db.write() as session:
            await repo.set_user_language(session, telegram_user_id, language, self.clock.now())
        return language

    async def set_shop_language(self, actor: Actor, language: str) -> ShopView:
        """The team chat's language: the seller's decision, like the team chat itself."""
        require(actor, Action.MANAGE_SHOP)
        _check(language)
        async with self.db.write() as session:
            shop = await self._shop(session, actor.shop_id)
            shop.language = language
            return ShopView.of(shop)
