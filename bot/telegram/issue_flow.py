"""/issue and the drop flow as tables (docs/flows.md), run by flow_runner.FlowRunner.

/issue is at most three taps: (Go live now) → the voucher → the task. At the task step,
"🎁 Lucky draw…" asks the winners and how long entries stay open, then the task viewers do to
enter (R-draw1); "⏰ Later…" asks the task of a timed drop, then when (R-drop1). The drop flow
(the live panel's "Schedule a drop") is the same voucher → task → when, over ongoing and
upcoming LIVE vouchers.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.i18n import N_, _, ngettext, number
from bot.i18n import current as current_language
from bot.telegram.callbacks import Button, Flow
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.keyboards import button, fit, markup
from bot.telegram.live_words import (
    LATER_CHOICES,
    WHEN_HELP,
    draw_opened_text,
    drop_line,
    in_minutes,
    issued_text,
)
from bot.telegram.read_back import read_back, reading_refusal
from bot.telegram.render import esc, task_words
from core.errors import ValidationFailed
from core.ids import row_id
from core.reading import read_count, read_when
from core.rules.live import MAX_WATCH_MINUTES, Task, TaskType
from core.rules.roles import Action
from core.views import DistributionView, VoucherView

Draft = dict[str, Any]
WATCH_CHOICES = (1, 3, 5, 10)
WINNER_CHOICES = (1, 3, 5, 10, 20, 50)
ENTRY_CHOICES = (1, 2, 3, 5, 10, 15)
FOLLOW, NO_TASK, OTHER_WATCH, LUCKY_DRAW, LATER = "f", "n", "wx", "ld", "lt"
SESSION_ENDED = N_("Your live session has ended. Start a new one with /live.")

# --- the voucher --------------------------------------------------------------------------


async def load_vouchers(step: StepContext[Draft]) -> Any:
    """Ongoing LIVE vouchers (and upcoming ones for a drop), with what each is running."""
    services = step.services
    vouchers = await services.vouchers.list(step.actor, status="ongoing", kind="live", limit=50)
    if step.draft.get("drop_only"):
        vouchers += await services.vouchers.list(
            step.actor, status="upcoming", kind="live", limit=50
        )
    if not vouchers:
        if step.draft.get("drop_only"):
            return Done(
                _(
                    "There are no ongoing or upcoming LIVE vouchers to drop. The seller can "
                    "create one with /newvoucher."
                )
            )
        return Done(
            _(
                "There are no ongoing LIVE vouchers to issue. The seller can create one with "
                "/newvoucher."
            )
        )
    running = {d.voucher_id: d for d in await services.live.distributions(step.actor)}
    return vouchers[:30], running


def voucher_question(step: StepContext[Draft]) -> Question:
    vouchers: list[VoucherView]
    running: dict[int, DistributionView]
    vouchers, running = step.data
    rows = []
    for voucher in vouchers:
        distribution = running.get(row_id(voucher))
        state = (
            " · " + _("▶ handed out: {task}").format(task=task_words(distribution.task))
            if distribution
            else ""
        )
        left = _("{remaining} left").format(remaining=number(voucher.remaining))
        rows.append([(f"#{voucher.id} {fit(voucher.name, 28)} · {left}{state}", str(voucher.id))])
    text = _("Which LIVE voucher?")
    if step.draft.get("went_live"):
        went_live = _("🔴 You're live (session #{session}).").format(
            session=step.draft["went_live"]
        )
        text = f"{went_live}\n{text}"
    return Question(text, rows)


async def voucher_picked(step: StepContext[Draft], arg: str) -> Outcome:
    """A voucher already being handed out is not issued again: the answer offers ⏹ Stop
    instead of a dead end (issue 20)."""
    voucher_id = int(arg)
    if not step.draft.get("drop_only"):
        running = {d.voucher_id: d for d in await step.services.live.distributions(step.actor)}
        current = running.get(voucher_id)
        if current is not None:
            voucher = await step.services.vouchers.get(step.actor, voucher_id)
            text = _(
                "<b>{name}</b> (#{id}) is already being handed out ({task}). Stop it first "
                "to hand it out with another task."
            ).format(name=esc(voucher.name), id=voucher_id, task=task_words(current.task))
            stop = markup([button(_("⏹ Stop"), Button.STOP, voucher_id)])
            return Outcome(done=Done(text, stop))
    return Outcome({"voucher": voucher_id, "draw": False, "other": False, "later": False})


# --- going live first -----------------------------------------------------------------------


def golive_question(step: StepContext[Draft]) -> Question:
    return Question(
        _("You're not live right now. Go live to issue LIVE vouchers."),
        [[(_("🔴 Go live now"), "go")]],
    )


async def golive_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    session = await step.services.live.start_session(step.actor)
    return Outcome({"went_live": session.id}, goto="voucher")


# --- the task -------------------------------------------------------------------------------


async def load_voucher(step: StepContext[Draft]) -> VoucherView:
    return await step.services.vouchers.get(step.actor, step.draft["voucher"])


def task_question(step: StepContext[Draft]) -> Question:
    """The task; with a lucky draw (R-draw1) it is what viewers do to enter, and for a drop
    (R-drop1) what they do when it drops."""
    voucher: VoucherView = step.data
    draft = step.draft
    watch = [(_("Watch {minutes} min").format(minutes=m), f"w{m}") for m in WATCH_CHOICES]
    rows = [
        watch[:2],
        watch[2:],
        [(_("Follow LIVE Host"), FOLLOW), (_("No task"), NO_TASK)],
        [(_("Other watch time…"), OTHER_WATCH)],
    ]
    if draft.get("later") or draft.get("drop_only"):
        text = _("⏰ Drop of <b>{name}</b> (#{id}): which task?").format(
            name=esc(voucher.name), id=voucher.id
        )
        return Question(text, rows)
    if not draft.get("draw"):
        rows.append([(_("🎁 Lucky draw…"), LUCKY_DRAW), (_("⏰ Later…"), LATER)])
        text = _(
            "Task for <b>{name}</b> (#{id}, {remaining} left)?\n"
            "• Watch LIVE: viewers qualify after watching that long.\n"
            "• Follow LIVE Host: new followers of the last 30 days.\n"
            "• No task: every viewer can claim at once."
        ).format(name=esc(voucher.name), id=voucher.id, remaining=number(voucher.remaining))
        return Question(text, rows)
    winners, minutes = draft["winners"], draft["entry"]
    text = _(
        "🎁 Lucky draw of <b>{name}</b> (#{id}): {winners}, entries open for {minutes}.\n"
        "What must viewers do to enter?\n"
        "• Watch LIVE: they enter after watching that long.\n"
        "• Follow LIVE Host: new followers of the last 30 days.\n"
        "• No task: every viewer can enter."
    ).format(
        name=esc(voucher.name),
        id=voucher.id,
        winners=ngettext("{n} winner", "{n} winners", winners).format(n=number(winners)),
        minutes=ngettext("{n} minute", "{n} minutes", minutes).format(n=number(minutes)),
    )
    return Question(text, rows)


async def task_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg == OTHER_WATCH:
        return Outcome({"other": True}, goto="minutes")
    if arg == LUCKY_DRAW:
        return Outcome({"draw": True}, goto="winners")
    if arg == LATER:
        return Outcome({"later": True}, goto="task")
    if arg.startswith("w"):
        return await task_chosen(step, TaskType.WATCH.value, int(arg[1:]))
    return await task_chosen(
        step, TaskType.FOLLOW.value if arg == FOLLOW else TaskType.NONE.value, None
    )


def minutes_question(step: StepContext[Draft]) -> Question:
    return Question(
        _("How many minutes of watching? Send a whole number from 1 to {max}, like 5.").format(
            max=MAX_WATCH_MINUTES
        )
    )


async def minutes_typed(step: StepContext[Draft], text: str) -> Outcome:
    hint = _("Send a whole number of minutes from 1 to {max}, like 5.").format(
        max=MAX_WATCH_MINUTES
    )
    try:
        minutes = read_count(text, current_language())
    except ValueError as exc:
        refusal = reading_refusal(exc, text)
        return Outcome(problem=f"{refusal}\n{hint}" if refusal else hint)
    if not 1 <= minutes <= MAX_WATCH_MINUTES:
        return Outcome(problem=hint)
    outcome = await task_chosen(step, TaskType.WATCH.value, minutes)
    return echoed(outcome, read_back(timedelta(minutes=minutes)))


def echoed(outcome: Outcome, line: str) -> Outcome:
    """R-l10n4: what was read, above the flow's last message."""
    if outcome.done is not None:
        outcome.done = replace(outcome.done, text=f"{line}\n{outcome.done.text}")
    return outcome


async def task_chosen(step: StepContext[Draft], task_type: str, minutes: int | None) -> Outcome:
    """A drop asks when next; otherwise the voucher is issued now (or its draw opens)."""
    if step.draft.get("later") or step.draft.get("drop_only"):
        return Outcome({"task": task_type, "minutes": minutes}, goto="when")
    services, member = step.services, step.member
    assert member is not None
    session = await services.live.active_session(member.actor)
    if session is None:
        return Outcome(done=Done(_(SESSION_ENDED)))
    draft = step.draft
    draw: dict[str, Any] = (
        {"mode": "draw", "winners": draft["winners"], "entry_minutes": draft["entry"]}
        if draft.get("draw")
        else {}
    )
    distribution = await services.live.issue(
        member.actor, session.id, draft["voucher"], task_type, minutes, **draw
    )
    voucher = await services.vouchers.get(member.actor, draft["voucher"])
    text = (
        draw_opened_text(distribution, voucher, member.shop)
        if distribution.mode == "draw"
        else issued_text(distribution, voucher, member.shop)
    )
    return Outcome(done=Done(text, markup([button(_("⏹ Stop"), Button.STOP, voucher.id)])))


# --- a lucky draw (R-draw1) -----------------------------------------------------------------


def winners_question(step: StepContext[Draft]) -> Question:
    """Winners by buttons, never more than the quota left."""
    voucher: VoucherView = step.data
    choices = [n for n in WINNER_CHOICES if n <= voucher.remaining]
    if voucher.remaining < WINNER_CHOICES[-1] and voucher.remaining not in choices:
        choices.append(voucher.remaining)
    buttons = [(number(n), str(n)) for n in choices]
    return Question(
        _(
            "🎁 Lucky draw of <b>{name}</b> (#{id}, {remaining} left): viewers who do the task "
            "enter, and the winners are drawn at random when entries close. How many winners?"
        ).format(name=esc(voucher.name), id=voucher.id, remaining=number(voucher.remaining)),
        [buttons[:3], buttons[3:]] if len(buttons) > 3 else [buttons],
    )


async def winners_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"winners": int(arg)}, goto="entry")


def entry_question(step: StepContext[Draft]) -> Question:
    winners = step.draft["winners"]
    buttons = [
        (ngettext("{n} min", "{n} min", m).format(n=number(m)), str(m)) for m in ENTRY_CHOICES
    ]
    return Question(
        _("{winners}. How long do entries stay open?").format(
            winners=ngettext("{n} winner", "{n} winners", winners).format(n=number(winners))
        ),
        [buttons[:3], buttons[3:]],
    )


async def entry_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"entry": int(arg)}, goto="task")


# --- when a drop drops (R-drop1) -------------------------------------------------------------


def when_question(step: StepContext[Draft]) -> Question:
    task = Task(TaskType(step.draft["task"]), step.draft.get("minutes"))
    later = [(in_minutes(m), str(m)) for m in LATER_CHOICES]
    return Question(
        _("⏰ Drop ({task}): when?").format(task=esc(task_words(task))) + "\n" + _(WHEN_HELP),
        [later[:3], later[3:]],
    )


async def when_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return await schedule(step, in_seconds=int(arg) * 60)


async def when_typed(step: StepContext[Draft], text: str) -> Outcome:
    try:
        at = read_when(text, current_language(), step.timezone, step.now)
    except ValueError as exc:
        hint = _("I couldn't read that time.")
        refusal = reading_refusal(exc, text)
        return Outcome(problem=f"{refusal}\n{hint}" if refusal else hint)
    return echoed(await schedule(step, at=at), read_back(at, zone=step.timezone))


async def schedule(
    step: StepContext[Draft], *, at: datetime | None = None, in_seconds: int | None = None
) -> Outcome:
    services, member, draft = step.services, step.member, step.draft
    assert member is not None
    session = await services.live.active_session(member.actor)
    if session is None:
        return Outcome(done=Done(_(SESSION_ENDED)))
    try:
        drop = await services.drops.schedule(
            member.actor,
            session.id,
            draft["voucher"],
            draft["task"],
            draft.get("minutes"),
            at=at,
            in_seconds=in_seconds,
        )
    except ValidationFailed as exc:
        if exc.errors and exc.errors[0].field == "session_id":
            return Outcome(
                done=Done(
                    _(
                        "⚠️ Your session already has 20 drops waiting, the most it can have. "
                        "Cancel one in /drops first."
                    )
                )
            )
        return Outcome(
            problem=_("That time doesn't work: a drop can be 1 minute to 6 hours ahead.")
        )
    voucher = await services.vouchers.get(member.actor, draft["voucher"])
    line = drop_line(drop, member.shop.timezone, services.clock.now(), voucher.name)
    return Outcome(
        done=Done(
            _("✅ Drop scheduled.") + f"\n{line}\n" + _("See or cancel your drops with /drops."),
            markup([button(_("✖ Cancel this drop"), Button.DROP_LIST, "c", drop.id)]),
        )
    )


# --- the tables -----------------------------------------------------------------------------


def issue_path(draft: Draft) -> list[str]:
    draw = ["winners", "entry"] if draft.get("draw") else []
    other = ["minutes"] if draft.get("other") else []
    later = ["when"] if draft.get("later") or draft.get("drop_only") else []
    return ["voucher", *draw, "task", *other, *later]


def issue_back(step: str, draft: Draft, editing: bool) -> tuple[str, dict[str, Any]] | None:
    """◀ Back out of a branch of the task step returns to the plain task step."""
    if step == "winners":
        return "task", {"draw": False}
    if step == "minutes":
        return "task", {"other": False}
    if step == "task" and draft.get("later") and not draft.get("drop_only"):
        return "task", {"later": False}
    if step == "task":
        return "voucher", {"draw": False, "other": False, "later": False}
    return None


def _next(step: str, draft: Draft, editing: bool) -> str:
    return "task"  # every answer that moves on says where (Outcome.goto)


TASK_LEADS = {
    "Watch n min / Follow / No task": END,
    "(drop) a task": "when",
    "Other watch time…": "minutes",
}
STEPS = {
    "golive": Step(
        "golive", golive_question, golive_tapped, leads={"Go live now": "voucher"}, counted=False
    ),
    "voucher": Step(
        "voucher", voucher_question, voucher_picked, load=load_vouchers, leads={"#id": "task"}
    ),
    "task": Step(
        "task",
        task_question,
        task_tapped,
        load=load_voucher,
        leads={**TASK_LEADS, "🎁 Lucky draw…": "winners", "⏰ Later…": "task"},
    ),
    "minutes": Step(
        "minutes",
        minutes_question,
        on_text=minutes_typed,
        leads={"a number (issue now)": END, "a number (a drop)": "when"},
    ),
    "winners": Step(
        "winners", winners_question, winners_tapped, load=load_voucher, leads={"n": "entry"}
    ),
    "entry": Step("entry", entry_question, entry_tapped, leads={"n min": "task"}),
    "when": Step(
        "when",
        when_question,
        when_tapped,
        when_typed,
        leads={"in n min / a time": END},
    ),
}
ISSUE: FlowTable[Draft] = FlowTable(
    prefix=Flow.ISSUE,
    title=N_("🎟 Issue a LIVE voucher"),
    steps=STEPS,
    path=issue_path,
    next_step=_next,
    expired=N_("⏱ Issuing timed out after 30 minutes without an answer. Use /issue again."),
    cancelled=lambda draft: (
        N_("Cancelled: no drop was scheduled.")
        if draft.get("later")
        else N_("Cancelled: nothing was issued.")
    ),
    access=Action.RUN_LIVE,
    back=issue_back,
    refusal_ends=True,
)
DROP: FlowTable[Draft] = FlowTable(
    prefix=Flow.DROP,
    title=N_("⏰ Schedule a drop"),
    steps={
        key: STEPS[key]
        if key != "task"
        else Step(
            "task",
            task_question,
            task_tapped,
            load=load_voucher,
            leads={"Watch n min / Follow / No task": "when", "Other watch time…": "minutes"},
        )
        for key in ("voucher", "task", "minutes", "when")
    },
    path=issue_path,
    next_step=_next,
    expired=N_(
        "⏱ Scheduling a drop timed out after 30 minutes without an answer. Nothing was scheduled."
    ),
    cancelled=N_("Cancelled: no drop was scheduled."),
    access=Action.RUN_LIVE,
    back=issue_back,
    refusal_ends=True,
)
