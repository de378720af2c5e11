"""Languages people and shops speak in (R-l10n1): each person's `/language` choice, and the
shop's language, which its team chat is written in (chosen by the seller)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import FieldError, ValidationFailed
from core.rules.roles import Action, Actor
from core.services.base import Service, require
from core.views import ShopView
from storage import repositories as repo

# The languages the bot speaks (its catalogs, bot/locales/); English is the fallback.
SUPPORTED = ("en", "id", "th", "vi", "ms", "es")


@dataclass(frozen=True)
class Market:
    """What a seller speaking a language most likely sells in (R-l10n5): currencies and time
    zones in the order they are offered, the likeliest first."""

    currencies: tuple[str, ...]
    zones: tuple[str, ...]


MARKETS: dict[str, Market] = {
    "en": Market(("USD", "SGD", "PHP", "GBP"), ("UTC", "Asia/Singapore", "Asia/Manila")),
    "id": Market(("IDR",), ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")),
    "th": Market(("THB",), ("Asia/Bangkok",)),
    "vi": Market(("VND",), ("Asia/Ho_Chi_Minh",)),
    "ms": Market(("MYR",), ("Asia/Kuala_Lumpur", "Asia/Kuching")),
    "es": Market(("EUR", "MXN", "USD"), ("Europe/Madrid", "America/Mexico_City", "America/Bogota")),
}


def market(language: str | None) -> Market:
    """R-l10n5: the market of a language (English's for an unknown one)."""
    return MARKETS.get(language or "en", MARKETS["en"])


def suggested_first(options: Iterable[str], first: Iterable[str]) -> tuple[str, ...]:
    """`options` with the market's suggestions first (those not offered yet are added)."""
    ordered = list(dict.fromkeys(first))
    return tuple(ordered + [o for o in options if o not in ordered])


def opening_settings(
    language: str | None, currency: str = "USD", timezone: str = "UTC"
) -> tuple[str, str]:
    """R-l10n5: the currency and zone a new shop starts with — the market of the seller's
    language, or the deployment's defaults for an English-speaking (or unknown) seller."""
    if language not in SUPPORTED or language == "en":
        return currency, timezone
    chosen = market(language)
    return chosen.currencies[0], chosen.zones[0]


def greeting_language(
    own_choice: str | None, telegram_language: str | None, shop_language: str | None
) -> str:
    """R-l10n5: a linked account is greeted in its own language (its `/language` choice, else
    its Telegram app's when it is one of ours), else its shop's."""
    for language in (own_choice, telegram_language, shop_language):
        if language in SUPPORTED:
            return language
    return "en"


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

    async def for_member(
        self, telegram_user_id: int, telegram_language: str | None, shop_language: str
    ) -> str:
        """The language to greet a (newly) linked account in (R-l10n5)."""
        own = await self.of_user(telegram_user_id)
        return greeting_language(own, telegram_language, shop_language)

    async def set_shop_language(self, actor: Actor, language: str) -> ShopView:
        """The team chat's language: the seller's decision, like the team chat itself."""
        require(actor, Action.MANAGE_SHOP)
        _check(language)
        async with self.db.write() as session:
            shop = await self._shop(session, actor.shop_id)
            shop.language = language
            return ShopView.of(shop)
