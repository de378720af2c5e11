"""/live, /endlive, /issue and /stop: what a host does mid-stream, on a phone.

`/issue <id> <task>` issues at once; `/issue` alone (or "🎟 Issue it now", `is:start[:<id>]`)
runs the ISSUE flow (issue_flow.py, docs/flows.md). `sp:<voucher id>` stops a distribution."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _, ngettext, number
from bot.i18n import current as current_language
from bot.telegram import flows
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import START, Button, Flow
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.features import Wiring, command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.issue_flow import ISSUE
from bot.telegram.keyboards import button, markup
from bot.telegram.live_words import issued_text
from bot.telegram.render import esc, task, task_words
from bot.telegram.replies import ack, button_data, say, show
from core.reading import read_count, read_task
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership

COMMANDS = [
    CommandInfo("live", "/live", N_("start your live session"), Audience.LINKED),
    CommandInfo("endlive", "/endlive", N_("end your live session"), Audience.LINKED),
    CommandInfo(
        "issue",
        N_("/issue [<id> <task>]"),
        N_("issue a LIVE voucher: watch <min>, follow or none"),
        Audience.LINKED,
    ),
    CommandInfo("stop", N_("/stop <id>"), N_("stop a voucher's distribution"), Audience.LINKED),
]
FLOW = Flow.ISSUE


class LiveHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.runner = FlowRunner(ISSUE, services)

    # --- sessions ---------------------------------------------------------------------------

    @member_only(Action.RUN_LIVE)
    async def live(self, update: Update, context: Ctx, member: Membership) -> None:
        s = await self.services.live.start_session(member.actor)
        await say(
            update,
            _(
                "🔴 You're live (session #{session}). Issue LIVE vouchers with /issue; end with "
                "/endlive."
            ).format(session=s.id),
            markup([button(_("🎟 Issue a voucher"), FLOW, START)]),
        )

    @member_only(Action.RUN_LIVE)
    async def endlive(self, update: Update, context: Ctx, member: Membership) -> None:
        s = await self.services.live.end_own_session(member.actor)
        minutes = int(((s.ended_at or s.started_at) - s.started_at).total_seconds() // 60)
        lasted = (
            ngettext("{n} minute", "{n} minutes", minutes).format(n=number(minutes))
            if minutes
            else _("less than a minute")
        )
        claims = ngettext("{n} voucher claim", "{n} voucher claims", s.claims or 0).format(
            n=number(s.claims or 0)
        )
        await say(
            update,
            _(
                "🎬 Live session #{session} ended after {lasted} with {claims}. Its distributions "
                "stopped."
            ).format(session=s.id, lasted=lasted, claims=claims),
        )

    # --- /issue -----------------------------------------------------------------------------

    @member_only(Action.RUN_LIVE, ends_flow=True)
    async def issue(self, update: Update, context: Ctx, member: Membership) -> object:
        await ack(update)
        args = context.args or []
        if args:
            await self._issue_direct(update, member, args)
            return flows.END
        query = update.callback_query
        chosen = (query.data or "").split(":")[2:] if query is not None else []
        live = await self.services.live.active_session(member.actor) is not None
        if chosen and live:
            # "Issue it now" under a voucher just created: the voucher is already chosen.
            return await self.runner.begin(
                update, context, member, "task", {"voucher": int(chosen[0])}
            )
        return await self.runner.begin(update, context, member, "voucher" if live else "golive")

    async def _issue_direct(self, update: Update, member: Membership, args: list[str]) -> None:
        usage = _(
            "Use <code>/issue &lt;id&gt; watch &lt;minutes&gt;|follow|none</code>, like "
            "<code>/issue 12 watch 5</code>, or /issue for buttons."
        )
        try:
            voucher_id = read_count(args[0].lstrip("#"), current_language())
            task_type, minutes = read_task(" ".join(args[1:]), current_language())
        except ValueError:
            await say(update, usage)
            return
        session = await self.services.live.active_session(member.actor)
        if session is None:
            await say(
                update, _("You're not live right now: start your session with /live, then issue.")
            )
            return
        issued = await self.services.live.issue(
            member.actor, session.id, voucher_id, task_type, minutes
        )
        voucher = await self.services.vouchers.get(member.actor, voucher_id)
        stop = markup([button(_("⏹ Stop"), Button.STOP, voucher.id)])
        await say(update, issued_text(issued, voucher, member.shop), stop)

    # --- /stop ------------------------------------------------------------------------------

    @member_only(Action.RUN_LIVE)
    async def stop(self, update: Update, context: Ctx, member: Membership) -> None:
        if context.args:
            try:
                voucher_id = read_count(context.args[0].lstrip("#"), current_language())
            except ValueError:
                await say(
                    update,
                    _("Send a voucher id, like <code>/stop 12</code>, or /stop to pick one."),
                )
                return
            await self._stop(update, member, voucher_id)
            return
        running = await self.services.live.distributions(member.actor)
        if not member.actor.acts_for_any_account:
            running = [d for d in running if d.account_id == member.account.id]
        if not running:
            await say(update, _("Nothing is being distributed right now."))
            return
        rows = [
            [button(f"⏹ #{d.voucher_id} · {task_words(d.task)}", Button.STOP, d.voucher_id)]
            for d in running[:30]
        ]
        await say(
            update,
            _("Stop which distribution?"),
            markup(*rows, [button(_("✖ Cancel"), Button.PICKER_CANCEL)]),
        )

    @member_only(Action.RUN_LIVE)
    async def stop_button(self, update: Update, context: Ctx, member: Membership) -> None:
        voucher_id = int(button_data(update).split(":")[1])
        await ack(update)
        await self._stop(update, member, voucher_id)

    async def _stop(self, update: Update, member: Membership, voucher_id: int) -> None:
        stopped = await self.services.live.stop_voucher(member.actor, voucher_id)
        voucher = await self.services.vouchers.get(member.actor, voucher_id)
        await show(
            update,
            _(
                "⏹ Stopped <b>{name}</b> (#{id}) ({task}). Vouchers already claimed stay with the "
                "viewers. {remaining} of {total} left."
            ).format(
                name=esc(voucher.name),
                id=voucher.id,
                task=task(stopped.task),
                remaining=number(voucher.remaining),
                total=number(voucher.total_quantity),
            ),
        )


def register(application: App, wiring: Wiring) -> None:
    h = LiveHandlers(wiring.services)
    h.runner.install(
        application,
        "issue",
        [
            command("issue", h.issue),
            CallbackQueryHandler(h.issue, pattern=rf"^{FLOW}:{START}(:\d+)?$"),
        ],
    )
    application.add_handler(command("live", h.live))
    application.add_handler(command("endlive", h.endlive))
    application.add_handler(command("stop", h.stop))
    application.add_handler(CallbackQueryHandler(h.stop_button, pattern=rf"^{Button.STOP}:\d+$"))
