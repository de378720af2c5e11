"""R-drop1 in the bot: "Later…" (a timed drop) and `/drops`.

The drop flow (`dr:<flow id>:…` buttons) asks the voucher, the task and when: in 1, 2, 5,
10, 15 or 30 min, or a typed time in the shop's zone (`14:30`, `2:30pm`, `in 45 min`). It
starts from the panel's "Schedule a drop" (`dr:start`), or from `/issue`'s task step, whose
"Later…" hands the chosen voucher over (`hand_over`). `/drops` lists the pending drops of
the caller's session, each with Cancel (`dp:c:<drop id>`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import N_, _, ngettext, number
from bot.i18n import current as current_language
from bot.telegram import flows
from bot.telegram.access import Ctx, flow_host, member_only
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.keyboards import button, markup
from bot.telegram.render import error_text, esc, task_words
from bot.telegram.replies import ack, say, show
from core.errors import ValidationFailed, VoucherbotError
from core.reading import read_when
from core.rules.live import MAX_WATCH_MINUTES, Task, TaskType
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.views import DropView

COMMANDS = [
    CommandInfo("drops", "/drops", N_("your session's timed drops, with Cancel"), Audience.LINKED),
]
FLOW = "dr"
LIST = "dp"
LATER_CHOICES = (1, 2, 5, 10, 15, 30)
WATCH_CHOICES = (1, 3, 5, 10)
EXPIRED = N_(
    "⏱ Scheduling a drop timed out after 30 minutes without an answer. Nothing was scheduled."
)
WHEN_HELP = N_(
    "Tap a button, or send a time in your shop's time zone like <code>14:30</code> or "
    "<code>2:30pm</code>, "
    "or <code>in 45 min</code>: from 1 minute to 6 hours from now."
)


def in_minutes(n: int) -> str:
    return ngettext("in {n} min", "in {n} min", n).format(n=number(n))


def drop_line(d: DropView, timezone: str, now: datetime, name: str) -> str:
    minutes = max(1, int((d.at - now).total_seconds() + 59) // 60)
    local = d.at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    return (
        f"⏰ {local} ({in_minutes(minutes)}): <b>{esc(name)}</b> (#{d.voucher_id}) · "
        f"{esc(task_words(d.task))}"
    )


class DropHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

    # --- the flow ----------------------------------------------------------------------------

    @member_only(Action.RUN_LIVE, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> object:
        await ack(update)
        if await self.services.live.active_session(member.actor) is None:
            await say(update, _("You're not live right now: start your session with /live first."))
            return flows.END
        flow = flows.begin(context, FLOW, self.services.clock)
        return await self._ask_voucher(update, context, member, flow)

    @member_only(Action.RUN_LIVE, ends_flow=True)
    async def from_issue(self, update: Update, context: Ctx, member: Membership) -> object:
        """`dr:v:<voucher id>:<task>`: /issue's voucher, "Later…", then the task."""
        await ack(update)
        _dr, _v, voucher, code = (update.callback_query.data or "").split(":")  # type: ignore[union-attr]
        if code == "cx":
            await show(update, _("Cancelled: no drop was scheduled."))
            return flows.finish(context, FLOW)
        flow = flows.begin(context, FLOW, self.services.clock, voucher=int(voucher))
        return await self._task_chosen(update, flow, code)

    async def _ask_voucher(
        self, update: Update, context: Ctx, member: Membership, flow: dict[str, Any]
    ) -> object:
        vouchers = await self.services.vouchers.list(
            member.actor, status="ongoing", kind="live", limit=50
        )
        upcoming = await self.services.vouchers.list(
            member.actor, status="upcoming", kind="live", limit=50
        )
        choices = [*vouchers, *upcoming][:30]
        if not choices:
            await say(
                update,
                _(
                    "There are no ongoing or upcoming LIVE vouchers to drop. The seller can "
                    "create one with /newvoucher."
                ),
            )
            return flows.finish(context, FLOW)
        rows = [
            [
                button(
                    f"#{v.id} {v.name[:28]} · "
                    + _("{remaining} left").format(remaining=number(v.remaining)),
                    FLOW,
                    flow["fid"],
                    "v",
                    v.id,
                )
            ]
            for v in choices
        ]
        rows.append([button(_("✖ Cancel"), FLOW, flow["fid"], "cx")])
        await say(update, _("⏰ Schedule a drop — step 1 of 3: which LIVE voucher?"), markup(*rows))
        return "voucher"

    async def _ask_task(
        self, update: Update, member: Membership, flow: dict[str, Any], problem: str = ""
    ) -> str:
        v = await self.services.vouchers.get(member.actor, flow["voucher"])
        fid = flow["fid"]
        watch = [
            button(_("Watch {minutes} min").format(minutes=m), FLOW, fid, "t", f"w{m}")
            for m in WATCH_CHOICES
        ]
        text = _("⏰ Drop of <b>{name}</b> (#{id}) — step 2 of 3: which task?").format(
            name=esc(v.name), id=v.id
        )
        keyboard = markup(
            watch[:2],
            watch[2:],
            [
                button(_("Follow LIVE Host"), FLOW, fid, "t", "f"),
                button(_("No task"), FLOW, fid, "t", "n"),
            ],
            [
                button(_("Other watch time…"), FLOW, fid, "t", "wx"),
                button(_("✖ Cancel"), FLOW, fid, "cx"),
            ],
        )
        await (say if problem else show)(
            update, (f"⚠️ {problem}\n\n" if problem else "") + text, keyboard
        )
        return "task"

    async def _ask_when(
        self, update: Update, flow: dict[str, Any], problem: str = "", *, new: bool = False
    ) -> str:
        fid = flow["fid"]
        task = Task(TaskType(flow["task"]), flow.get("minutes"))
        text = (
            _("⏰ Drop ({task}) — step 3 of 3: when?").format(task=esc(task_words(task)))
            + "\n"
            + _(WHEN_HELP)
        )
        later = [button(in_minutes(m), FLOW, fid, "m", m) for m in LATER_CHOICES]
        keyboard = markup(later[:3], later[3:], [button(_("✖ Cancel"), FLOW, fid, "cx")])
        full = f"⚠️ {problem}\n\n{text}" if problem else text
        await (say if new else show)(update, full, keyboard)
        return "when"

    async def _task_chosen(self, update: Update, flow: dict[str, Any], code: str) -> str:
        if code == "wx":
            await show(
                update,
                _("How many minutes of watching? Send a whole number from 1 to {max}.").format(
                    max=MAX_WATCH_MINUTES
                ),
            )
            return "minutes"
        if code.startswith("w"):
            flow["task"], flow["minutes"] = TaskType.WATCH.value, int(code[1:])
        else:
            flow["task"] = TaskType.FOLLOW.value if code == "f" else TaskType.NONE.value
            flow["minutes"] = None
        return await self._ask_when(update, flow)

    async def on_button(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED))
        if flow is None:
            return None if flows.current(context, FLOW) else flows.END
        member = await flow_host(self.services, update, context, FLOW)
        if member is None:
            return flows.END
        args = flows.flow_args(update)
        await ack(update)
        try:
            if args[0] == "cx":
                await show(update, _("Cancelled: no drop was scheduled."))
                return flows.finish(context, FLOW)
            if args[0] == "v":
                flow["voucher"] = int(args[1])
                return await self._ask_task(update, member, flow)
            if args[0] == "t":
                return await self._task_chosen(update, flow, args[1])
            if args[0] == "m":
                return await self._schedule(
                    update, context, member, flow, in_seconds=int(args[1]) * 60
                )
        except VoucherbotError as exc:
            await show(update, f"⚠️ {error_text(exc)}")
            return flows.finish(context, FLOW)
        return None

    async def on_text(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED))
        if flow is None:
            return flows.END
        member = await flow_host(self.services, update, context, FLOW)
        if member is None:
            return flows.END
        text = update.effective_message.text or ""  # type: ignore[union-attr]
        if "task" not in flow:  # the watch minutes
            try:
                minutes = int(text.strip())
                if not 1 <= minutes <= MAX_WATCH_MINUTES:
                    raise ValueError
            except ValueError:
                await say(
                    update,
                    "⚠️ "
                    + _("Send a whole number of minutes from 1 to {max}, like 5.").format(
                        max=MAX_WATCH_MINUTES
                    ),
                )
                return "minutes"
            flow["task"], flow["minutes"] = TaskType.WATCH.value, minutes
            return await self._ask_when(update, flow, new=True)
        now = self.services.clock.now()
        try:
            at = read_when(text, current_language(), member.shop.timezone, now)
        except ValueError:
            return await self._ask_when(update, flow, _("I couldn't read that time."), new=True)
        try:
            return await self._schedule(update, context, member, flow, at=at)
        except VoucherbotError as exc:
            await say(update, f"⚠️ {error_text(exc)}")
            return flows.finish(context, FLOW)

    async def _schedule(
        self,
        update: Update,
        context: Ctx,
        member: Membership,
        flow: dict[str, Any],
        *,
        at: datetime | None = None,
        in_seconds: int | None = None,
    ) -> object:
        session = await self.services.live.active_session(member.actor)
        if session is None:
            await show(update, _("Your live session has ended. Start a new one with /live."))
            return flows.finish(context, FLOW)
        try:
            drop = await self.services.drops.schedule(
                member.actor,
                session.id,
                flow["voucher"],
                flow["task"],
                flow.get("minutes"),
                at=at,
                in_seconds=in_seconds,
            )
        except ValidationFailed as exc:
            field = exc.errors[0].field if exc.errors else ""
            if field == "session_id":
                await say(
                    update,
                    _(
                        "⚠️ Your session already has 20 drops waiting, the most it can have. "
                        "Cancel one in /drops first."
                    ),
                )
                return flows.finish(context, FLOW)
            return await self._ask_when(
                update,
                flow,
                _("That time doesn't work: a drop can be 1 minute to 6 hours ahead."),
                new=True,
            )
        v = await self.services.vouchers.get(member.actor, flow["voucher"])
        line = drop_line(drop, member.shop.timezone, self.services.clock.now(), v.name)
        await (show if update.callback_query else say)(
            update,
            _("✅ Drop scheduled.") + f"\n{line}\n" + _("See or cancel your drops with /drops."),
            markup([button(_("✖ Cancel this drop"), LIST, "c", drop.id)]),
        )
        return flows.finish(context, FLOW)

    async def on_other_text(self, update: Update, context: Ctx) -> object:
        await say(update, _("Please tap one of the buttons above, or /cancel."))
        return None

    async def cancel(self, update: Update, context: Ctx) -> int:
        await say(update, _("Cancelled: no drop was scheduled."))
        return flows.finish(context, FLOW)

    async def timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, FLOW)

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
        drop_id = int((update.callback_query.data or "").split(":")[2])  # type: ignore[union-attr]
        await ack(update)
        d = await self.services.drops.cancel(member.actor, drop_id)
        await show(
            update,
            _("✖ Cancelled the drop of #{id}. Nothing will be issued then.").format(
                id=d.voucher_id
            ),
        )


async def hand_over(update: Update, voucher_id: int, voucher_name: str) -> None:
    """/issue's "Later…" (bot.telegram.live): the chosen voucher moves to the drop flow,
    whose entry buttons carry it with the task."""

    def t(label: str, code: str) -> Any:
        return button(label, FLOW, "v", voucher_id, code)

    await show(
        update,
        _("⏰ Drop of <b>{name}</b> (#{id}) — step 2 of 3: which task?").format(
            name=esc(voucher_name), id=voucher_id
        ),
        markup(
            [t(_("Watch {minutes} min").format(minutes=m), f"w{m}") for m in WATCH_CHOICES[:2]],
            [t(_("Watch {minutes} min").format(minutes=m), f"w{m}") for m in WATCH_CHOICES[2:]],
            [t(_("Follow LIVE Host"), "f"), t(_("No task"), "n")],
            [t(_("Other watch time…"), "wx"), t(_("✖ Cancel"), "cx")],
        ),
    )


def register(application: Application, services: Services) -> DropHandlers:
    h = DropHandlers(services)
    buttons = CallbackQueryHandler(h.on_button, pattern=rf"^{FLOW}:[0-9a-f]+:")
    text = MessageHandler(filters.TEXT & ~filters.COMMAND, h.on_text)
    application.add_handler(
        flows.conversation(
            "drop",
            [
                CallbackQueryHandler(h.start, pattern=rf"^{FLOW}:start$"),
                CallbackQueryHandler(h.from_issue, pattern=rf"^{FLOW}:v:\d+:(w\d+|wx|f|n|cx)$"),
            ],
            {
                "voucher": [
                    buttons,
                    MessageHandler(filters.TEXT & ~filters.COMMAND, h.on_other_text),
                ],
                "task": [buttons, MessageHandler(filters.TEXT & ~filters.COMMAND, h.on_other_text)],
                "minutes": [buttons, text],
                "when": [buttons, text],
            },
            h.cancel,
            h.timeout,
        )
    )
    application.add_handler(CommandHandler("drops", h.list_drops))
    application.add_handler(CallbackQueryHandler(h.list_drops, pattern=rf"^{LIST}:list$"))
    application.add_handler(CallbackQueryHandler(h.cancel_button, pattern=rf"^{LIST}:c:\d+$"))
    return h
