"""`/overlay` (R-ev4): the host's read-only link to a stream overlay of their live sessions,
for a streaming app's browser source; `/overlay revoke` makes the old link stop working. The
live panel's "🎥 Overlay" button answers the same."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.config import Settings
from bot.i18n import N_, _
from bot.telegram.access import App, Ctx, guarded, membership
from bot.telegram.callbacks import Button
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.features import Wiring, command
from bot.telegram.replies import ack, say
from core.rules.roles import Actor
from core.services import Services

COMMANDS = [
    CommandInfo(
        "overlay",
        "/overlay",
        N_("a link that shows your live vouchers on your stream"),
        Audience.LINKED,
    ),
]
PREFIX = Button.OVERLAY.value
BUTTON_DATA = f"{PREFIX}:link"


def overlay_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/overlay/{token}"


class OverlayHandlers:
    def __init__(self, services: Services, settings: Settings) -> None:
        self.services = services
        self.settings = settings

    @guarded
    async def overlay(self, update: Update, context: Ctx) -> None:
        member = await membership(self.services, update)
        if member is None:
            await say(update, _("Only the shop's linked accounts have a stream overlay."))
            return
        if context.args and context.args[0].lower() == "revoke":
            await self.services.streams.revoke_overlay(member.actor)
            await say(
                update,
                _("🔒 Your old overlay link no longer works. Send /overlay for a new one."),
            )
            return
        await self._link(update, member.actor)

    @guarded
    async def button(self, update: Update, context: Ctx) -> None:
        await ack(update)
        member = await membership(self.services, update)
        if member is not None:
            await self._link(update, member.actor)

    async def _link(self, update: Update, actor: Actor) -> None:
        base = self.settings.public_base_url
        if not base:  # R-run1: one line saying what is missing
            await say(
                update,
                _(
                    "I can't make an overlay link yet: the bot's public web address is not set. "
                    "Ask whoever runs the bot to set it."
                ),
            )
            return
        token = await self.services.streams.overlay_token(actor)
        url = overlay_url(base, token)
        await say(
            update,
            _(
                "🎥 Your stream overlay:\n{url}\n\nAdd it as a browser source in OBS, TikTok "
                "LIVE Studio or Streamlabs, in landscape or portrait. It shows the vouchers you "
                "issue as it happens. Anyone with the link can watch it: /overlay revoke makes "
                "it stop working."
            ).format(url=url),
        )


def register(application: App, wiring: Wiring) -> None:
    h = OverlayHandlers(wiring.services, wiring.settings)
    application.add_handler(command("overlay", h.overlay))
    application.add_handler(CallbackQueryHandler(h.button, pattern=rf"^{BUTTON_DATA}$"))
