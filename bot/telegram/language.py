"""`/language` (R-l10n1): each person chooses the language the bot speaks to them, and the
seller also chooses the shop's language, which the team chat is written in.

Which language answers an update (`Speaker.language_of`): in a group, the language of the
shop of the person writing (the team chat speaks the shop's language); in a private chat, the
person's `/language` choice, else their Telegram `language_code` when it is one of ours, else
English. The choice is read from the database once per person and then kept in memory: only
the leader runs the Telegram side (docs/scheduler.md); this module is where choices change.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.i18n import DEFAULT, LANGUAGES, N_, _, pick, regional, remember_person, speaking
from bot.telegram.access import App, Ctx, guarded, membership
from bot.telegram.callbacks import Flow
from bot.telegram.commands import Audience, CommandInfo, publish_for_user
from bot.telegram.features import Wiring, command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.render import esc
from core.rules.roles import Action
from core.services import Services

COMMANDS = [
    CommandInfo("language", "/language", N_("choose the language I speak"), Audience.ANYONE),
]


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


# --- the /language flow: one step, the person's language and (for the seller) the shop's ------

ME, SHOP, HEADER = "me", "shop", "noop"


async def load_choices(step: StepContext[dict[str, Any]]) -> dict[str, Any]:
    user = step.user
    assert user is not None
    speaker: Speaker = step.extras["speaker"]
    member = step.member
    seller = (
        member is not None
        and step.draft.get("private", False)
        and member.actor.may(Action.MANAGE_SHOP)
    )
    return {
        "mine": await speaker.person(user.id, user.language_code),
        "shop": member.shop.language if seller and member is not None else None,
    }


def choices_question(step: StepContext[dict[str, Any]]) -> Question:
    mine, shop = step.data["mine"], step.data["shop"]

    def choices(scope: str, chosen: str | None) -> list[list[tuple[str, str]]]:
        labels = [
            (("✔ " if code == chosen else "") + name, f"{scope}.{code}")
            for code, name in LANGUAGES.items()
        ]
        return [labels[i : i + 2] for i in range(0, len(labels), 2)]

    text = _("🌐 Which language should I speak with you?")
    rows = choices(ME, mine)
    if shop is not None:
        text += "\n\n" + _(
            "Your team chat is in {language}. Choose the shop's language below to change "
            "it for the whole team."
        ).format(language=esc(LANGUAGES.get(shop, shop)))
        rows += [[(_("— Team chat language —"), HEADER)]]
        rows += choices(SHOP, shop)
    return Question(text, rows)


async def language_tapped(step: StepContext[dict[str, Any]], arg: str) -> Outcome:
    scope, _dot, code = arg.partition(".")
    if scope == HEADER or code not in LANGUAGES:
        return Outcome(stay=True)
    user = step.user
    assert user is not None
    if scope == SHOP:
        member = step.member
        if member is None or not member.actor.may(Action.MANAGE_SHOP):
            return Outcome(problem=_("Only the seller chooses the team chat's language."))
        await step.services.languages.set_shop_language(member.actor, code)
        with speaking(code):
            # Said in the language chosen, so the seller sees what the team will read.
            return Outcome(
                done=Done(
                    _("✅ Your team chat will now get my notifications in {language}.").format(
                        language=esc(LANGUAGES[code])
                    )
                )
            )
    await step.services.languages.choose(user.id, code)
    speaker: Speaker = step.extras["speaker"]
    speaker.remember(user.id, code)
    with speaking(code):
        member = step.member
        if step.bot is not None:
            role = member.account.role if member else None
            await publish_for_user(step.bot, step.extras["catalog"], user.id, role)
        return Outcome(
            done=Done(
                _("✅ From now on I'll speak {language} with you.").format(
                    language=esc(LANGUAGES[code])
                )
            )
        )


TABLE: FlowTable[dict[str, Any]] = FlowTable(
    prefix=Flow.LANGUAGE,
    title=N_("🌐 Language"),
    steps={
        "choose": Step(
            "choose",
            choices_question,
            language_tapped,
            load=load_choices,
            leads={"a language (mine or the team chat's)": END},
        )
    },
    path=lambda draft: ["choose"],
    next_step=lambda step, draft, editing: END,
    expired=N_("⏱ Choosing a language timed out. Use /language again."),
    cancelled=N_("Cancelled: nothing changed."),
)


class LanguageHandlers:
    def __init__(self, services: Services, speaker: Speaker, catalog: list[CommandInfo]) -> None:
        self.services = services
        self.runner = FlowRunner(TABLE, services, speaker=speaker, catalog=catalog)

    @guarded
    async def language(self, update: Update, context: Ctx) -> object:
        member = await membership(self.services, update)
        private = update.effective_chat is not None and update.effective_chat.type == "private"
        return await self.runner.begin(update, context, member, "choose", {"private": private})


def register(application: App, wiring: Wiring) -> None:
    h = LanguageHandlers(wiring.services, wiring.speaker, wiring.catalog)
    h.runner.install(application, "language", [command("language", h.language)])
