"""/newvoucher: the guided creation (docs/bot-guide.md, docs/flows.md) as one table, run by
flow_runner.FlowRunner. The steps' questions and answers are in voucher_steps.py, the product
picker in voucher_products.py; here are the edit menu, the summary with Submit (R-v8), the table
that joins them, and what the seller sees after Submit (R-b6).

Nothing is saved until Submit (R-b1); the draft (`Draft`) lives in user_data as a plain dict
(persisted, R-b2); buttons carry `nv:<flow id>:<step>:<arg>` (R-b3). Submit calls `create` once,
saying whether the seller saw and accepted a low maximum discount (R-v8)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import NEW, Button, Flow
from bot.telegram.features import command
from bot.telegram.flow_runner import FlowRunner, Redirect
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.keyboards import button, markup
from bot.telegram.render import discount, low_discount_warning, voucher_details, warning_text
from bot.telegram.replies import ack
from bot.telegram.voucher_draft import FIELD_STEP, step_errors, to_draft
from bot.telegram.voucher_products import (
    load_products,
    products_question,
    products_tapped,
    products_typed,
)
from bot.telegram.voucher_steps import (
    EDIT_CHOICES,
    EXPIRED,
    Draft,
    discount_type_question,
    discount_type_tapped,
    kind_question,
    kind_tapped,
    max_question,
    max_tapped,
    max_typed,
    min_question,
    min_tapped,
    min_typed,
    name_question,
    name_tapped,
    name_typed,
    next_step,
    path,
    per_customer_question,
    per_customer_tapped,
    per_customer_typed,
    percent_tapped,
    period_question,
    period_tapped,
    period_typed,
    quantity_question,
    quantity_tapped,
    quantity_typed,
    scope_question,
    scope_tapped,
    value_question,
    value_typed,
)
from bot.telegram.voucher_targeting_steps import (
    budget_question,
    budget_tapped,
    budget_typed,
    code_question,
    code_tapped,
    code_typed,
    load_code,
    load_windows,
    segment_question,
    segment_tapped,
    uses_question,
    uses_tapped,
    uses_typed,
)
from bot.telegram.wording import code_share_text, field_problem, refusal_text
from core.errors import ValidationFailed, VoucherbotError
from core.refusal_codes import VoucherCode
from core.rules.roles import Action
from core.rules.vouchers import LOW_MAX_DISCOUNT
from core.services import Services
from core.services.accounts import Membership
from core.views import VoucherView

FLOW = Flow.NEW_VOUCHER

# --- the edit menu and the summary ---------------------------------------------------------


def edit_question(step: StepContext[Draft]) -> Question:
    # R-code: a LIVE voucher has no promo code to change.
    choices = [
        (_(label), key) for label, key in EDIT_CHOICES if key != "code" or step.draft.kind != "live"
    ]
    return Question(
        _("What do you want to change?"),
        [choices[i : i + 2] for i in range(0, len(choices), 2)] + [[(_("« Summary"), "summary")]],
    )


async def edit_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg == "summary":
        return Outcome(goto="summary")
    return Outcome(goto=arg if arg in STEP_KEYS else "kind", editing=True)


def summary_question(step: StepContext[Draft]) -> Question:
    view: VoucherView = step.data
    shop = step.shop
    assert shop is not None
    lines = ["<b>" + _("Check your voucher") + "</b>", voucher_details(view, shop, draft=True)]
    low = next((w for w in view.warnings if w.code == LOW_MAX_DISCOUNT), None)
    lines += [
        f"⚠️ {warning_text(w.code, w.data, shop)}"
        for w in view.warnings
        if w.code != LOW_MAX_DISCOUNT
    ]
    if low is not None:
        lines.append("\n" + low_discount_warning(low.data, view.percent or 0, shop))
        first = [(_("Continue"), "ok"), (_("Edit"), "edit")]
    else:
        first = [(_("✅ Submit"), "sub"), (_("✏️ Edit"), "edit")]
    return Question("\n".join(lines), [first])


# Refusals that read other vouchers, by the step that answers them (R-code, R-seg): the code
# was taken, or the period edited to overlap another new-customer voucher, since it was asked.
CONFLICT_STEP: dict[str, str] = {
    VoucherCode.CODE_TAKEN: "code",
    VoucherCode.NEW_CUSTOMERS_VOUCHER_EXISTS: "segment",
}


def _stale_field(exc: VoucherbotError, currency: str) -> Outcome | None:
    """A core refusal of the draft: back to the step that asks the first field named (or the
    step of a conflict with another voucher), in edit mode, with what is accepted; None for
    a refusal no step can answer."""
    if isinstance(exc, ValidationFailed):
        first = exc.errors[0]
        return Outcome(
            goto=FIELD_STEP.get(first.field, "kind"),
            problem=field_problem(first, currency),
            editing=True,
        )
    if exc.code in CONFLICT_STEP:
        return Outcome(
            goto=CONFLICT_STEP[exc.code], problem=refusal_text(exc, currency), editing=True
        )
    return None


async def load_summary(step: StepContext[Draft]) -> VoucherView:
    try:
        return await step.services.vouchers.preview(
            step.actor, to_draft(asdict(step.draft), step.now, step.currency)
        )
    except VoucherbotError as exc:  # something went stale since (a start now in the past)
        stale = _stale_field(exc, step.currency)
        if stale is None:
            raise
        raise Redirect(stale) from exc


async def load_advice(step: StepContext[Draft]) -> Any:
    return await step.services.advice.tiers(step.actor)


async def summary_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    """✏️ Edit, or ✅ Submit / Continue (R-v8: Continue accepts a low maximum discount)."""
    if arg == "edit":
        return Outcome(goto="edit")
    draft = to_draft(asdict(step.draft), step.now, step.currency)
    try:
        view = await step.services.vouchers.create(
            step.actor, draft, low_discount_acknowledged=arg == "ok"
        )
    except VoucherbotError as exc:
        stale = _stale_field(exc, step.currency)
        if stale is not None:
            return stale
        from core.services.vouchers import LOW_DISCOUNT_UNACKNOWLEDGED

        if exc.code == LOW_DISCOUNT_UNACKNOWLEDGED:  # appeared since the summary was shown
            return Outcome(goto="summary")
        raise
    assert step.member is not None
    text, keyboard = await created(step.services, step.member, view)
    return Outcome(done=Done(text, keyboard))


async def created(
    services: Services, member: Membership, view: VoucherView
) -> tuple[str, InlineKeyboardMarkup | None]:
    """R-b6: the new voucher, then its next steps as buttons."""
    rows = []
    if view.kind == "live":
        live = await services.live.active_session(member.actor)
        if live is not None and view.status == "ongoing":
            rows.append([button(_("🎟 Issue it now"), Flow.ISSUE, "start", view.id)])
            after = _("You're live: issue it now, or later with /issue.")
        else:
            after = _("Hosts can issue it during a livestream with /issue.")
    else:
        after = _("Buyers can claim it during its claim period.")
    rows.append(
        [
            button(_("📋 Its details"), Button.VOUCHER, view.id),
            button(_("➕ Create another"), FLOW, NEW),
        ]
    )
    done = _("✅ Voucher created.")
    text = f"{done}\n\n{voucher_details(view, member.shop)}\n\n{after}"
    if view.code:  # R-code: the code, and words to forward to buyers in the seller's language
        share = code_share_text(view.code, view.name, discount(view, member.shop))
        text += "\n\n" + _("Share it with your buyers, ready to forward:") + f"\n\n{share}"
    return text, markup(*rows)


async def check_step(step_key: str, state: dict[str, Any], step: StepContext[Draft]) -> str | None:
    """The core's rules for the fields this step answered (R-b1), in the seller's words."""
    problems = step_errors(state, step_key, step.now, step.currency)
    if not problems:
        return None
    return "\n".join(dict.fromkeys(field_problem(e, step.currency) for e in problems))


# --- the graph -------------------------------------------------------------------------------

TO_SUMMARY = "summary"


def asks(
    key: str,
    question: Any,
    tapped: Any,
    typed: Any = None,
    *,
    answer: str,
    then: str,
    load: Any = None,
) -> Step:
    """A step whose answer leads on to `then`, or back to the summary when editing."""
    return Step(
        key, question, tapped, typed, load=load, leads={answer: then, "(editing)": TO_SUMMARY}
    )


TABLE: FlowTable[Draft] = FlowTable(
    prefix=FLOW,
    title=N_("🎟 New voucher"),
    steps={
        s.key: s
        for s in (
            asks(
                "kind",
                kind_question,
                kind_tapped,
                answer="Regular / LIVE Interactive",
                then="dtype",
            ),
            Step("dtype", discount_type_question, discount_type_tapped, leads={"any": "value"}),
            Step(
                "value",
                value_question,
                percent_tapped,
                value_typed,
                leads={"percent": "max", "amount": "min", "(editing) amount": TO_SUMMARY},
            ),
            asks(
                "max",
                max_question,
                max_tapped,
                max_typed,
                answer="an amount",
                then="min",
                load=load_advice,
            ),
            asks(
                "min",
                min_question,
                min_tapped,
                min_typed,
                answer="an amount",
                then="scope",
                load=load_advice,
            ),
            Step(
                "scope",
                scope_question,
                scope_tapped,
                leads={
                    "Specific products": "products",
                    "Entire shop": "qty",
                    "(editing)": TO_SUMMARY,
                },
            ),
            Step(
                "products",
                products_question,
                products_tapped,
                products_typed,
                load=load_products,
                leads={"Done / Entire shop instead": "qty", "(editing) Done": TO_SUMMARY},
            ),
            asks(
                "qty",
                quantity_question,
                quantity_tapped,
                quantity_typed,
                answer="a number",
                then="per",
            ),
            asks(
                "per",
                per_customer_question,
                per_customer_tapped,
                per_customer_typed,
                answer="a number",
                then="period",
            ),
            asks(
                "period",
                period_question,
                period_tapped,
                period_typed,
                answer="a period",
                then="segment",
            ),
            asks(
                "segment",
                segment_question,
                segment_tapped,
                answer="who it is for",
                then="budget",
                load=load_windows,
            ),
            Step(
                "budget",
                budget_question,
                budget_tapped,
                budget_typed,
                leads={"Regular": "code", "LIVE": "uses", "(editing)": TO_SUMMARY},
            ),
            asks(
                "code",
                code_question,
                code_tapped,
                code_typed,
                answer="a code / No code",
                then="uses",
                load=load_code,
            ),
            asks(
                "uses",
                uses_question,
                uses_tapped,
                uses_typed,
                answer="a number / No limit",
                then="name",
            ),
            Step("name", name_question, name_tapped, name_typed, leads={"a name": TO_SUMMARY}),
            Step(
                "edit",
                edit_question,
                edit_tapped,
                leads={
                    **{label: key for label, key in EDIT_CHOICES},
                    "« Summary": TO_SUMMARY,
                },
                counted=False,
            ),
            Step(
                TO_SUMMARY,
                summary_question,
                summary_tapped,
                load=load_summary,
                leads={"Edit": "edit", "Submit / Continue": END, "(refused) a field": "kind"},
                counted=False,
            ),
        )
    },
    path=path,
    next_step=next_step,
    expired=EXPIRED,
    cancelled=N_("Cancelled: the voucher was not created."),
    access=Action.MANAGE_VOUCHERS,
    draft_of=Draft.of,
    check=check_step,
    back=lambda step, draft, editing: ("summary", {}) if step == "edit" else None,
)
STEP_KEYS = tuple(TABLE.steps)


class VoucherFlow:
    """/newvoucher and "➕ Create another": TABLE from its first step."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.runner = FlowRunner(TABLE, services)

    @member_only(Action.MANAGE_VOUCHERS, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> object:
        await ack(update)
        return await self.runner.begin(update, context, member, "kind", fresh=True)


def register(application: App, services: Services) -> VoucherFlow:
    flow = VoucherFlow(services)
    flow.runner.install(
        application,
        "newvoucher",
        [
            command("newvoucher", flow.start),
            CallbackQueryHandler(flow.start, pattern=rf"^{FLOW}:{NEW}$"),
        ],
    )
    return flow


__all__ = ["TABLE", "Draft", "VoucherFlow", "created", "register"]
