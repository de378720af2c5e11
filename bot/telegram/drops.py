"""R-drop1 in the bot: the drop flow (the live panel's "⏰ Schedule a drop", `dr:start`; the
DROP table in issue_flow.py, also reached from /issue's "⏰ Later…") and `/drops`, the pending
drops of the caller's session, each with Cancel (`dp:c:<drop id>`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _, ngettext, number
from bot.telegram import flows
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import START, Button, Flow
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.features import Wiring, command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.issue_flow import DROP
from bot.telegram.keyboards import button, markup
from bot.telegram.live_words import drop_line
from bot.telegram.replies import ack, button_data, say, show
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership

COMMANDS = [
    CommandInfo("drops", "/drops", N_("your session's timed drops, with Cancel"), Audience.LINKED),
]
LIST = Button.DROP_LIST


class DropHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.runner = FlowRunner(DROP, services)

    @member_only(Action.RUN_LIVE, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> object:
        await ack(update)
        if await self.services.live.active_session(member.actor) is None:
            await say(update, _("You're not live right now: start your session with /live first."))
            return flows.END
        return await self.runner.begin(
            update, context, member, "voucher", {"drop_only": True}, fresh=True
        )

    # --- /drops ------------------------------------------------------------------------------

    @member_only(Action.READ)
    async def list_drops(self, update: Update, context: Ctx, member: Membership) -> None:
        await ack(update)
        await self._list(update, member)

    async def _list(self, update: Update, member: Membership, prefix: str = "") -> None:
        drops = await self.services.drops.pending_of_own_session(member.actor)
        if not drops:
            await say(
                update,
                prefix
                + _(
                    "No drops are waiting in your session. Schedule one with /issue → Later…, or "
                    "from your live panel."
                ),
            )
            return
        now = self.services.clock.now()
        names = {
            v.id: v.name
            for v in await self.services.vouchers.list(member.actor, kind="live", limit=200)
        }
        lines = [
            drop_line(d, member.shop.timezone, now, names.get(d.voucher_id, "")) for d in drops
        ]
        rows = [
            [button(_("✖ Cancel {n}. #{id}").format(n=i + 1, id=d.voucher_id), LIST, "c", d.id)]
            for i, d in enumerate(drops)
        ]
        numbered = [f"{i + 1}. {line}" for i, line in enumerate(lines)]
        await say(
            update,
            prefix
            + ngettext("{n} drop waiting:", "{n} drops waiting:", len(drops)).format(
                n=number(len(drops))
            )
            + "\n"
            + "\n".join(numbered),
            markup(*rows),
        )

    @member_only(Action.RUN_LIVE)
    async def cancel_button(self, update: Update, context: Ctx, member: Membership) -> None:
        drop_id = int(button_data(update).split(":")[2])
        await ack(update)
        d = await self.services.drops.cancel(member.actor, drop_id)
        await show(
            update,
            _("✖ Cancelled the drop of #{id}. Nothing will be issued then.").format(
                id=d.voucher_id
            ),
        )


def register(application: App, wiring: Wiring) -> None:
    h = DropHandlers(wiring.services)
    h.runner.install(
        application, "drop", [CallbackQueryHandler(h.start, pattern=rf"^{Flow.DROP}:{START}$")]
    )
    application.add_handler(command("drops", h.list_drops))
    application.add_handler(CallbackQueryHandler(h.list_drops, pattern=rf"^{LIST}:list$"))
    application.add_handler(CallbackQueryHandler(h.cancel_button, pattern=rf"^{LIST}:c:\d+$"))
