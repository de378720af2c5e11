"""`/language` (R-l10n1): each person chooses the language the bot speaks to them, and the
seller also chooses the shop's language, which the team chat is written in.

Which language answers an update (`Speaker.language_of`): in a group, the language of the
shop of the person writing (the team chat speaks the shop's language); in a private chat, the
person's `/language` choice, else their Telegram `language_code` when it is one of ours, else
English. The choice is read from the database once per person and then kept in memory: only
the leader runs the Telegram side (docs/scheduler.md); this module is where choices change.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.i18n import DEFAULT, LANGUAGES, N_, _, pick, regional, remember_person, speaking
from bot.telegram.access import Ctx, guarded, membership
from bot.telegram.commands import Audience, CommandInfo, publish_for_user
from bot.telegram.keyboards import button, grid, markup
from bot.telegram.render import esc
from bot.telegram.replies import ack, show
from core.rules.roles import Action
from core.services import Services

COMMANDS = [
    CommandInfo("language", "/language", N_("choose the language I speak"), Audience.ANYONE),
]
PREFIX = "lang"


class Speaker:
    """Resolves the language of an update (and remembers people's choices)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._choices: dict[int, str | None] = {}

    async def choice(self, user_id: int) -> str | None:
        if user_id not in self._choices:
            self._choices[user_id] = await self.services.languages.of_user(user_id)
        return self._choices[user_id]

    def remember(self, user_id: int, language: str) -> None:
        self._choices[user_id] = language
        remember_person(user_id, language)

    async def person(self, user_id: int, language_code: str | None) -> str:
        language = await self.choice(user_id) or pick(language_code)
        if language is None:  # R-l10n5: a linked account without a language of its own
            member = await self.services.accounts.membership(user_id)
            language = member.shop.language if member is not None else DEFAULT
        remember_person(user_id, language)
        return language

    def region_of(self, update: object, language: str) -> str | None:
        """A person's regional conventions (`es-MX` → `es_MX`) in a private chat."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        chat = update.effective_chat
        if chat is not None and chat.type != "private":
            return None
        return regional(update.effective_user.language_code, language)

    async def language_of(self, update: object) -> str:
        if not isinstance(update, Update):
            return DEFAULT
        user, chat = update.effective_user, update.effective_chat
        if chat is not None and chat.type in ("group", "supergroup") and user is not None:
            member = await self.services.accounts.membership(user.id)
            if member is not None:
                return member.shop.language
        if user is None:
            return DEFAULT
        return await self.person(user.id, user.language_code)


def _choices_keyboard(scope: str, chosen: str | None) -> object:
    return grid(
        (
            button(("✔ " if code == chosen else "") + name, PREFIX, scope, code)
            for code, name in LANGUAGES.items()
        ),
        2,
    )


class LanguageHandlers:
    def __init__(self, services: Services, speaker: Speaker, catalog: list[CommandInfo]) -> None:
        self.services = services
        self.speaker = speaker
        self.catalog = catalog

    @guarded
    async def language(self, update: Update, context: Ctx) -> None:
        user = update.effective_user
        if user is None:
            return
        current = await self.speaker.person(user.id, user.language_code)
        rows = [*_choices_keyboard("me", current)]
        text = _("🌐 Which language should I speak with you?")
        member = await membership(self.services, update)
        private = update.effective_chat is not None and update.effective_chat.type == "private"
        if member is not None and private and member.actor.may(Action.MANAGE_SHOP):
            text += "\n\n" + _(
                "Your team chat is in {language}. Choose the shop's language below to change "
                "it for the whole team."
            ).format(language=esc(LANGUAGES.get(member.shop.language, member.shop.language)))
            rows += [[button(_("— Team chat language —"), PREFIX, "noop")]]
            rows += _choices_keyboard("shop", member.shop.language)
        await show(update, text, markup(*rows))

    @guarded
    async def chosen(self, update: Update, context: Ctx) -> None:
        query = update.callback_query
        user = update.effective_user
        if query is None or user is None:
            return
        parts = (query.data or "").split(":")
        scope = parts[1] if len(parts) > 1 else ""
        code = parts[2] if len(parts) > 2 else ""
        if scope == "noop" or code not in LANGUAGES:
            await ack(update)
            return
        if scope == "shop":
            member = await membership(self.services, update)
            if member is None or not member.actor.may(Action.MANAGE_SHOP):
                await ack(update, _("Only the seller chooses the team chat's language."))
                return
            await self.services.languages.set_shop_language(member.actor, code)
            with speaking(code):
                # Said in the language chosen, so the seller sees what the team will read.
                text = _("✅ Your team chat will now get my notifications in {language}.").format(
                    language=esc(LANGUAGES[code])
                )
            await ack(update)
            await show(update, text)
            return
        await self.services.languages.choose(user.id, code)
        self.speaker.remember(user.id, code)
        with speaking(code):
            await ack(update)
            await show(
                update,
                _("✅ From now on I'll speak {language} with you.").format(
                    language=esc(LANGUAGES[code])
                ),
            )
            member = await membership(self.services, update)
            await publish_for_user(
                context.bot, self.catalog, user.id, member.account.role if member else None
            )


def register(
    application: Application, services: Services, speaker: Speaker, catalog: list[CommandInfo]
) -> None:
    h = LanguageHandlers(services, speaker, catalog)
    application.add_handler(CommandHandler("language", h.language))
    application.add_handler(CallbackQueryHandler(h.chosen, pattern=rf"^{PREFIX}:"))
