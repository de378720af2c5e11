"""The Telegram side of the service: the PTB Application with every feature's handlers, and
`TelegramSide`, which the runtime starts in the leader process (polling or webhook)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults

from bot.config import Settings
from bot.i18n import _, activate
from bot.telegram import (
    accounts,
    analytics,
    chat_membership,
    drops,
    fallbacks,
    language,
    live,
    live_panel,
    overlay,
    start,
    vouchers,
)
from bot.telegram.access import App
from bot.telegram.commands import CommandInfo, publish_defaults
from bot.telegram.features import Wiring
from bot.telegram.live_panel import PanelRefresher
from bot.telegram.menu_button import configure as configure_menu_button
from bot.telegram.persistence import DatabasePersistence
from bot.telegram.replies import say
from bot.telegram.webhook import make_secret, make_webhook_handler
from core.services import Services

_LOGGER = logging.getLogger(__name__)
# PTB logs an error page from a proxy in front of Telegram (a 502's HTML) in full, with a
# traceback, before raising it as the error that `_polling_failed` and the runtime's retry
# line report in one line each (R-run1): its own report adds nothing but noise.
logging.getLogger("telegram.request.BaseRequest").setLevel(logging.CRITICAL)
RATE_LIMIT_RETRIES = 3
# The bot's features, each a module with its `COMMANDS` and `register(application, wiring)`
# (and, if it offers buttons under a voucher's details, `DETAIL_BUTTONS`): in the order their
# commands appear in the menu and /help, and their handlers are registered (earlier handlers
# win). A new feature joins the bot by one line here, before `fallbacks`, which takes what no
# feature took and so stays last.
FEATURES = (
    start,
    vouchers,
    live,
    accounts,
    analytics,
    live_panel,
    drops,
    language,
    chat_membership,
    overlay,
    fallbacks,
)


class SpeakingApplication(App):
    """Handles each update in the language of the person (or team) it comes from (R-l10n1):
    the language is set before any handler runs, so every `_()` below answers in it, and the
    tasks handlers start inherit it."""

    speaker: language.Speaker | None = None
    panels: PanelRefresher | None = None  # the live panels' one refresher (R-live5)

    async def process_update(self, update: object) -> None:
        if self.speaker is not None:
            try:
                language = await self.speaker.language_of(update)
                activate(language, self.speaker.region_of(update, language))
            except Exception:  # an unreadable choice must not lose the update: English then
                _LOGGER.warning("could not resolve the language of an update", exc_info=True)
                activate(None)
        await super().process_update(update)


def default_file_url(base_url: str) -> str:
    """`…/bot` → `…/file/bot`, as the Bot API lays out file downloads."""
    root, sep, tail = base_url.rstrip("/").rpartition("/bot")
    return f"{root}/file/bot{tail}" if sep else base_url.rstrip("/") + "/file/bot"


def build_application(
    services: Services,
    settings: Settings,
    *,
    token: str,
    base_url: str,
    base_file_url: str | None = None,
    webhook: bool = False,
) -> App:
    builder = (
        ApplicationBuilder()
        .application_class(SpeakingApplication)
        .token(token)
        .base_url(base_url)
        .base_file_url(base_file_url or default_file_url(base_url))
        .persistence(DatabasePersistence(services.db, services.clock))
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
    )
    if webhook:
        builder = builder.updater(None)
    application = builder.build()
    configure_menu_button(application.bot, settings.public_base_url)  # R-app1
    speaker = language.Speaker(services)
    wiring = register_features(application, services, settings, speaker)
    if isinstance(application, SpeakingApplication):
        application.speaker = speaker
        application.panels = wiring.panels
    application.add_error_handler(_on_error)
    return application


def command_catalog() -> list[CommandInfo]:
    """Every command of the features, in menu order."""
    return [command for feature in FEATURES for command in feature.COMMANDS]


def register_features(
    application: App,
    services: Services,
    settings: Settings,
    speaker: language.Speaker | None = None,
) -> Wiring:
    """Registers every feature of `FEATURES`, in that order, with one Wiring built here."""
    wiring = Wiring(
        services=services,
        settings=settings,
        catalog=command_catalog(),
        speaker=speaker or language.Speaker(services),
        detail_buttons=tuple(
            offered for feature in FEATURES for offered in getattr(feature, "DETAIL_BUTTONS", ())
        ),
        panels=PanelRefresher(services, application.bot),
    )
    for feature in FEATURES:
        feature.register(application, wiring)
    return wiring


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    _LOGGER.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await say(update, _("😕 Sorry, something went wrong on my side. Please try again."))
        except Exception:
            _LOGGER.debug("could not tell the user about the error", exc_info=True)


class TelegramSide:
    """Starts and stops the bot in this process: polling, or a webhook on the service's own
    HTTP server (`webhook_handler`, mounted on POST /telegram/webhook)."""

    def __init__(
        self,
        services: Services,
        settings: Settings,
        *,
        token: str | None = None,
        base_url: str | None = None,
        base_file_url: str | None = None,
    ) -> None:
        token = token or settings.telegram_bot_token
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.webhook_mode = settings.webhook_mode
        self.secret = make_secret(settings.webhook_secret)
        self.application = build_application(
            services,
            settings,
            token=token,
            base_url=base_url or settings.telegram_api_base_url,
            base_file_url=base_file_url,
            webhook=self.webhook_mode,
        )
        self._handle_webhook = make_webhook_handler(self.application, self.secret)
        self._started = False
        # What a failed getUpdates names in the log: the URL with the token masked.
        self._updates_url = f"{(base_url or settings.telegram_api_base_url).rstrip('/')}" + (
            f"{token.partition(':')[0]}:***/getUpdates"
        )

    @property
    def bot(self) -> Any:
        return self.application.bot

    @property
    def panels(self) -> PanelRefresher | None:
        """The live panels' refresher the buttons use; the runtime runs its loop."""
        return getattr(self.application, "panels", None)

    async def start(self) -> None:
        try:
            await self.application.initialize()  # getMe: checks the token, learns the username
        except BaseException:
            # getMe failed (Telegram unreachable, token refused): close the HTTP clients it
            # opened, or every retry of the runtime would leave a connection behind.
            await self.application.bot.shutdown()
            raise
        await self.application.start()
        self._started = True
        await publish_defaults(self.application.bot, command_catalog())
        if self.webhook_mode:
            await self.application.bot.set_webhook(
                self.settings.webhook_url,
                secret_token=self.secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            updater = self.application.updater
            assert updater is not None, "the builder makes an updater; polling needs it"
            await updater.start_polling(
                poll_interval=0,
                allowed_updates=Update.ALL_TYPES,
                error_callback=self._polling_failed,
            )

    def _polling_failed(self, error: TelegramError) -> None:
        """Telegram went away while polling: one line per attempt (PTB retries with a growing
        delay), instead of PTB's traceback each time (R-run1)."""
        _LOGGER.error(
            "Telegram did not answer at %s (%s); check TELEGRAM_API_BASE_URL or the network; "
            "retrying",
            self._updates_url,
            _first_words(str(error)) or type(error).__name__,
        )

    async def stop(self) -> None:
        """Stops taking updates, finishes the ones in hand and writes the flows' state."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        if self._started:
            await self.application.shutdown()
            self._started = False

    async def webhook_handler(self, request: web.Request) -> web.Response:
        return await self._handle_webhook(request)


def _first_words(text: str, limit: int = 160) -> str:
    """An error's text on one line, cut before a quoted server response."""
    line = " ".join(text.split()).split(" Parsing the server response", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"
