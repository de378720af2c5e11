"""/live, /endlive, /issue and /stop: what a host does mid-stream, on a phone.

`/issue` is at most three taps: (Go live now) → the voucher → the task, declared as a table
of steps (ISSUE, flow_table.py: "Step 1 of 2", Back, Cancel):

    golive ─(Go live now)→ voucher → task ─(Other watch time…)→ minutes
                                      └─(Lucky draw…)→ winners → entry → task (R-draw1)

Buttons carry `is:<flow id>:<step>:<arg>` (`golive:go`, `voucher:<id>`,
`task:<w5|f|n|wx|ld|lt>`, `winners:<n>`, `entry:<minutes>`) and `is:<flow id>:bk` / `…:cx`;
`sp:<voucher id>` stops a distribution."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_, _, clock, ngettext, number
from bot.i18n import current as current_language
from bot.telegram import drops, flows
from bot.telegram.access import Ctx, flow_host, member_only
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.flow_table import BACK, CANCEL, FlowTable, Question, Step, button_parts
from bot.telegram.keyboards import button, fit, markup
from bot.telegram.render import error_text, esc, task, task_words, warning_text
from bot.telegram.replies import ack, say, show
from core.errors import VoucherbotError
from core.reading import read_count, read_task
from core.rules.live import MAX_WATCH_MINUTES, TaskType
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.views import DistributionView, ShopView, VoucherView

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
FLOW = "is"
WATCH_CHOICES = (1, 3, 5, 10)
EXPIRED = N_("⏱ Issuing timed out after 30 minutes without an answer. Use /issue again.")


WINNER_CHOICES = (1, 3, 5, 10, 20, 50)
ENTRY_CHOICES = (1, 2, 3, 5, 10, 15)


def _issue_path(d: dict[str, Any]) -> list[str]:
    draw = ["winners", "entry"] if d.get("draw") else []
    return ["voucher", *draw, "task", *(["minutes"] if d.get("other") else [])]


def _no_question(_c: Any) -> Question:  # the questions need the services: LiveHandlers asks
    return Question("")


ISSUE: FlowTable[dict[str, Any]] = FlowTable(
    prefix=FLOW,
    title=N_("🎟 Issue a LIVE voucher"),
    steps={
        "golive": Step("golive", _no_question, counted=False),
        "voucher": Step("voucher", _no_question),
        "winners": Step("winners", _no_question),
        "entry": Step("entry", _no_question),
        "task": Step("task", _no_question),
        "minutes": Step("minutes", _no_question),
    },
    path=_issue_path,
    next_step=lambda step, d, editing: {"voucher": "task", "task": "minutes"}.get(step, "task"),
)


def issued_text(d: DistributionView, v: VoucherView, shop: ShopView) -> str:
    lines = [
        _(
            "✅ Issued <b>{name}</b> (#{id}) in live session #{session}: <b>{task}</b>. "
            "{remaining} of {total} left."
        ).format(
            name=esc(v.name),
            id=v.id,
            session=d.session_id,
            task=task(d.task),
            remaining=number(v.remaining),
            total=number(v.total_quantity),
        ),
        _("Stop it with /stop {id} (to change the task, stop it and issue it again).").format(
            id=v.id
        ),
    ]
    lines += [
        f"⚠️ {warning_text(w.code, {'per_customer_limit': v.per_customer_limit, **w.data}, shop)}"
        for w in d.warnings
    ]
    return "\n".join(lines)


def draw_opened_text(d: DistributionView, v: VoucherView, shop: ShopView) -> str:
    """R-draw1: the host's confirmation, with when entries close in the shop's time."""
    closes = d.closes_at.astimezone(ZoneInfo(shop.timezone)) if d.closes_at else None
    return "\n".join(
        [
            _(
                "🎁 Lucky draw of <b>{name}</b> (#{id}) is open in live session #{session}: "
                "{winners}, viewers enter by doing the task (<b>{task}</b>)."
            ).format(
                name=esc(v.name),
                id=v.id,
                session=d.session_id,
                winners=ngettext("{n} winner", "{n} winners", d.winners or 0).format(
                    n=number(d.winners or 0)
                ),
                task=task(d.task),
            ),
            _("Entries close at {time}; the winners get the voucher then.").format(
                time=clock(closes, shop.timezone) if closes else "—"
            ),
            _("Stopping it before then cancels the draw: nobody wins."),
        ]
    )


def voucher_question(vouchers: list[VoucherView], running: dict[int, DistributionView]) -> Question:
    rows = []
    for v in vouchers:
        d = running.get(v.id)  # type: ignore[arg-type]
        state = f" · ▶ {task_words(d.task)}" if d else ""
        left = _("{remaining} left").format(remaining=number(v.remaining))
        rows.append([(f"#{v.id} {fit(v.name, 28)} · {left}{state}", str(v.id))])
    return Question(_("Which LIVE voucher?"), rows)


def task_question(v: VoucherView, draw: tuple[int, int] | None = None) -> Question:
    """The task step; with `draw` (winners, entry minutes) the task is what viewers do to enter
    the lucky draw (R-draw1), and the draw's own buttons are gone."""
    watch = [(_("Watch {minutes} min").format(minutes=m), f"w{m}") for m in WATCH_CHOICES]
    rows = [
        watch[:2],
        watch[2:],
        [(_("Follow LIVE Host"), "f"), (_("No task"), "n")],
        [(_("Other watch time…"), "wx")],
    ]
    if draw is None:
        rows.append([(_("🎁 Lucky draw…"), "ld"), (_("⏰ Later…"), "lt")])
        text = _(
            "Task for <b>{name}</b> (#{id}, {remaining} left)?\n"
            "• Watch LIVE: viewers qualify after watching that long.\n"
            "• Follow LIVE Host: new followers of the last 30 days.\n"
            "• No task: every viewer can claim at once."
        ).format(name=esc(v.name), id=v.id, remaining=number(v.remaining))
        return Question(text, rows)
    winners, minutes = draw
    text = _(
        "🎁 Lucky draw of <b>{name}</b> (#{id}): {winners}, entries open for {minutes}.\n"
        "What must viewers do to enter?\n"
        "• Watch LIVE: they enter after watching that long.\n"
        "• Follow LIVE Host: new followers of the last 30 days.\n"
        "• No task: every viewer can enter."
    ).format(
        name=esc(v.name),
        id=v.id,
        winners=ngettext("{n} winner", "{n} winners", winners).format(n=number(winners)),
        minutes=ngettext("{n} minute", "{n} minutes", minutes).format(n=number(minutes)),
    )
    return Question(text, rows)


def winners_question(v: VoucherView) -> Question:
    """R-draw1: winners by buttons, never more than the quota left."""
    choices = [n for n in WINNER_CHOICES if n <= v.remaining]
    if v.remaining < WINNER_CHOICES[-1] and v.remaining not in choices:
        choices.append(v.remaining)
    buttons = [(number(n), str(n)) for n in choices]
    return Question(
        _(
            "🎁 Lucky draw of <b>{name}</b> (#{id}, {remaining} left): viewers who do the task "
            "enter, and the winners are drawn at random when entries close. How many winners?"
        ).format(name=esc(v.name), id=v.id, remaining=number(v.remaining)),
        [buttons[:3], buttons[3:]] if len(buttons) > 3 else [buttons],
    )


def entry_question(winners: int) -> Question:
    buttons = [
        (ngettext("{n} min", "{n} min", m).format(n=number(m)), str(m)) for m in ENTRY_CHOICES
    ]
    return Question(
        _("{winners}. How long do entries stay open?").format(
            winners=ngettext("{n} winner", "{n} winners", winners).format(n=number(winners))
        ),
        [buttons[:3], buttons[3:]],
    )


class LiveHandlers:
    def __init__(self, services: Services) -> None:
        self.services = services

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
            markup([button(_("🎟 Issue a voucher"), FLOW, "start")]),
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
        flow = flows.begin(context, FLOW, self.services.clock)
        query = update.callback_query
        chosen = (query.data or "").split(":")[2:] if query is not None else []
        if chosen and await self.services.live.active_session(member.actor) is not None:
            # "Issue it now" under a voucher just created: the voucher is already chosen.
            flow["voucher"] = int(chosen[0])
            return await self._ask_task(update, member, flow)
        return await self._first_question(update, member, flow)

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
        d = await self.services.live.issue(member.actor, session.id, voucher_id, task_type, minutes)
        v = await self.services.vouchers.get(member.actor, voucher_id)
        await say(update, issued_text(d, v, member.shop), markup([button(_("⏹ Stop"), "sp", v.id)]))

    async def _first_question(
        self, update: Update, member: Membership, flow: dict[str, Any]
    ) -> object:
        session = await self.services.live.active_session(member.actor)
        if session is None:
            question = Question(
                _("You're not live right now. Go live to issue LIVE vouchers."),
                [[(_("🔴 Go live now"), "go")]],
            )
            return await self._put(update, flow, "golive", question)
        return await self._ask_voucher(update, member, flow)

    async def _put(
        self,
        update: Update,
        flow: dict[str, Any],
        step: str,
        question: Question,
        problem: str = "",
        prefix: str = "",
    ) -> str:
        """Shows a step of ISSUE with its heading, Back and Cancel from the table."""
        flow["step"] = step
        keyboard = ISSUE.keyboard(flow["fid"], step, question, flow, False)
        text = f"{prefix}{ISSUE.heading(step, flow)}\n{question.text}"
        full = f"⚠️ {problem}\n\n{text}" if problem else text
        if problem and update.callback_query is None:
            await say(update, full, keyboard)
        else:
            await show(update, full, keyboard)
        return step

    async def _ask_voucher(
        self, update: Update, member: Membership, flow: dict[str, Any], prefix: str = ""
    ) -> object:
        vouchers = await self.services.vouchers.list(
            member.actor, status="ongoing", kind="live", limit=50
        )
        if not vouchers:
            await show(
                update,
                prefix
                + _(
                    "There are no ongoing LIVE vouchers to issue. The seller can create one with "
                    "/newvoucher."
                ),
            )
            flow.clear()
            return flows.END
        running = {d.voucher_id: d for d in await self.services.live.distributions(member.actor)}
        flow.pop("other", None)
        return await self._put(
            update, flow, "voucher", voucher_question(vouchers[:30], running), prefix=prefix
        )

    async def _ask_task(
        self, update: Update, member: Membership, flow: dict[str, Any], problem: str = ""
    ) -> str:
        v = await self.services.vouchers.get(member.actor, flow["voucher"])
        flow.pop("other", None)
        draw = (flow["winners"], flow["entry"]) if flow.get("draw") else None
        return await self._put(update, flow, "task", task_question(v, draw), problem)

    async def _ask_winners(self, update: Update, member: Membership, flow: dict[str, Any]) -> str:
        v = await self.services.vouchers.get(member.actor, flow["voucher"])
        flow["draw"] = True
        return await self._put(update, flow, "winners", winners_question(v))

    async def on_button(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED))
        if flow is None:
            return None if flows.current(context, FLOW) else flows.END
        member = await flow_host(self.services, update, context, FLOW)
        if member is None:
            return flows.END
        args = button_parts(update)
        await ack(update)
        try:
            if args[:1] == [CANCEL]:
                await show(update, _("Cancelled: nothing was issued."))
                return flows.finish(context, FLOW)
            if args[:1] == [BACK]:
                step = flow.get("step", "voucher")
                if step == "winners":  # back out of the draw to the plain task step
                    flow.pop("draw", None)
                    return await self._ask_task(update, member, flow)
                back = ISSUE.back_of(step, flow, False)
                if back == "task":
                    return await self._ask_task(update, member, flow)
                if back == "entry":
                    return await self._put(update, flow, "entry", entry_question(flow["winners"]))
                if back == "winners":
                    return await self._ask_winners(update, member, flow)
                flow.pop("draw", None)
                return await self._ask_voucher(update, member, flow)
            if len(args) < 2 or args[0] != flow.get("step"):
                return flow.get("step")
            if args[0] == "golive":
                s = await self.services.live.start_session(member.actor)
                return await self._ask_voucher(
                    update,
                    member,
                    flow,
                    _("🔴 You're live (session #{session}).").format(session=s.id) + "\n",
                )
            if args[0] == "voucher":
                flow["voucher"] = int(args[1])
                return await self._ask_task(update, member, flow)
            if args[0] == "winners":  # R-draw1: then how long entries stay open
                flow["winners"] = int(args[1])
                return await self._put(update, flow, "entry", entry_question(flow["winners"]))
            if args[0] == "entry":
                flow["entry"] = int(args[1])
                return await self._ask_task(update, member, flow)
            if args[1] == "ld":
                return await self._ask_winners(update, member, flow)
            if args[1] == "lt":  # R-drop1 "Later…": the drop flow takes the voucher over
                v = await self.services.vouchers.get(member.actor, flow["voucher"])
                await drops.hand_over(update, v.id, v.name)  # type: ignore[arg-type]
                return flows.finish(context, FLOW)
            if args[1] == "wx":
                flow["other"] = True
                question = Question(
                    _(
                        "How many minutes of watching? Send a whole number from 1 to {max}, like 5."
                    ).format(max=MAX_WATCH_MINUTES)
                )
                return await self._put(update, flow, "minutes", question)
            code = args[1]
            if code.startswith("w"):
                return await self._issue(
                    update, context, member, flow, TaskType.WATCH.value, int(code[1:])
                )
            return await self._issue(
                update,
                context,
                member,
                flow,
                TaskType.FOLLOW.value if code == "f" else TaskType.NONE.value,
                None,
            )
        except VoucherbotError as exc:
            await show(update, f"⚠️ {error_text(exc)}")
            return flows.finish(context, FLOW)

    async def on_minutes(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED))
        if flow is None:
            return flows.END
        member = await flow_host(self.services, update, context, FLOW)
        if member is None:
            return flows.END
        try:
            minutes = read_count(update.effective_message.text or "", current_language())  # type: ignore[union-attr]
            if not 1 <= minutes <= MAX_WATCH_MINUTES:
                raise ValueError("out of range")
        except ValueError:
            question = Question(_("How many minutes of watching?"))
            problem = _("Send a whole number of minutes from 1 to {max}, like 5.").format(
                max=MAX_WATCH_MINUTES
            )
            return await self._put(update, flow, "minutes", question, problem)
        try:
            return await self._issue(update, context, member, flow, TaskType.WATCH.value, minutes)
        except VoucherbotError as exc:
            await say(update, f"⚠️ {error_text(exc)}")
            return flows.finish(context, FLOW)

    async def on_other_text(self, update: Update, context: Ctx) -> object:
        await say(update, _("Please tap one of the buttons above, or /cancel."))
        return None

    async def _issue(
        self,
        update: Update,
        context: Ctx,
        member: Membership,
        flow: dict[str, Any],
        task_type: str,
        minutes: int | None,
    ) -> int:
        session = await self.services.live.active_session(member.actor)
        if session is None:
            await show(update, _("Your live session has ended. Start a new one with /live."))
            return flows.finish(context, FLOW)
        draw: dict[str, Any] = (
            {"mode": "draw", "winners": flow["winners"], "entry_minutes": flow["entry"]}
            if flow.get("draw")
            else {}
        )
        d = await self.services.live.issue(
            member.actor, session.id, flow["voucher"], task_type, minutes, **draw
        )
        v = await self.services.vouchers.get(member.actor, flow["voucher"])
        text = draw_opened_text(d, v, member.shop) if d.mode == "draw" else None
        await show(
            update,
            text or issued_text(d, v, member.shop),
            markup([button(_("⏹ Stop"), "sp", v.id)]),
        )
        return flows.finish(context, FLOW)

    async def cancel(self, update: Update, context: Ctx) -> int:
        await say(update, _("Cancelled: nothing was issued."))
        return flows.finish(context, FLOW)

    async def timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, FLOW)

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
            [button(f"⏹ #{d.voucher_id} · {task_words(d.task)}", "sp", d.voucher_id)]
            for d in running[:30]
        ]
        await say(
            update, _("Stop which distribution?"), markup(*rows, [button(_("✖ Cancel"), "cx")])
        )

    @member_only(Action.RUN_LIVE)
    async def stop_button(self, update: Update, context: Ctx, member: Membership) -> None:
        voucher_id = int((update.callback_query.data or "").split(":")[1])  # type: ignore[union-attr]
        await ack(update)
        await self._stop(update, member, voucher_id)

    async def _stop(self, update: Update, member: Membership, voucher_id: int) -> None:
        d = await self.services.live.stop_voucher(member.actor, voucher_id)
        v = await self.services.vouchers.get(member.actor, voucher_id)
        await show(
            update,
            _(
                "⏹ Stopped <b>{name}</b> (#{id}) ({task}). Vouchers already claimed stay with the "
                "viewers. {remaining} of {total} left."
            ).format(
                name=esc(v.name),
                id=v.id,
                task=task(d.task),
                remaining=number(v.remaining),
                total=number(v.total_quantity),
            ),
        )


def register(application: Application, services: Services) -> LiveHandlers:
    h = LiveHandlers(services)
    buttons = CallbackQueryHandler(h.on_button, pattern=rf"^{FLOW}:[0-9a-f]{{4}}:")
    other_text = MessageHandler(filters.TEXT & ~filters.COMMAND, h.on_other_text)
    application.add_handler(
        flows.conversation(
            "issue",
            [
                CommandHandler("issue", h.issue),
                CallbackQueryHandler(h.issue, pattern=rf"^{FLOW}:start(:\d+)?$"),
            ],
            {
                "golive": [buttons, other_text],
                "voucher": [buttons, other_text],
                "winners": [buttons, other_text],
                "entry": [buttons, other_text],
                "task": [buttons, other_text],
                "minutes": [buttons, MessageHandler(filters.TEXT & ~filters.COMMAND, h.on_minutes)],
            },
            h.cancel,
            h.timeout,
        )
    )
    application.add_handler(CommandHandler("live", h.live))
    application.add_handler(CommandHandler("endlive", h.endlive))
    application.add_handler(CommandHandler("stop", h.stop))
    application.add_handler(CallbackQueryHandler(h.stop_button, pattern=r"^sp:\d+$"))
    return h
