"""/addqty: add to a voucher's total quantity (R-v7), directly (`/addqty 12 50`) or as a flow:
pick the voucher (when none was named) → how many (buttons or a typed number)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _, number
from bot.i18n import current as current_language
from bot.telegram import flows
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import Button, Flow
from bot.telegram.features import command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.keyboards import fit
from bot.telegram.read_back import read_back, reading_refusal
from bot.telegram.render import esc
from bot.telegram.replies import ack, say, show
from core.reading import read_count
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.views import VoucherView

FLOW = Flow.ADD_QUANTITY
ADD_CHOICES = (10, 50, 100, 500, 1000)


async def load_open_vouchers(step: StepContext[dict[str, Any]]) -> list[VoucherView] | Done:
    vouchers = await step.services.vouchers.list(step.actor, limit=200)
    open_ones = [v for v in vouchers if v.status in ("upcoming", "ongoing")]
    if not open_ones:
        return Done(_("No upcoming or ongoing voucher to add quantity to."))
    return open_ones[:30]


def pick_question(step: StepContext[dict[str, Any]]) -> Question:
    vouchers: list[VoucherView] = step.data
    rows = [
        [
            (
                f"#{v.id} {fit(v.name, 30)} · "
                + _("{total} total").format(total=number(v.total_quantity)),
                str(v.id),
            )
        ]
        for v in vouchers
    ]
    return Question(_("Add quantity to which voucher?"), rows)


async def voucher_picked(step: StepContext[dict[str, Any]], arg: str) -> Outcome:
    return Outcome({"voucher": int(arg)})


async def load_voucher(step: StepContext[dict[str, Any]]) -> VoucherView:
    return await step.services.vouchers.get(step.actor, step.draft["voucher"])


def amount_question(step: StepContext[dict[str, Any]]) -> Question:
    v: VoucherView = step.data
    return Question(
        _(
            "Add how many to <b>{name}</b> (#{id})? It has {total} in total, {remaining} left. "
            "Tap, or send a whole number."
        ).format(
            name=esc(v.name),
            id=v.id,
            total=number(v.total_quantity),
            remaining=number(v.remaining),
        ),
        [[(f"+{number(n)}", str(n)) for n in ADD_CHOICES]],
    )


async def amount_answered(step: StepContext[dict[str, Any]], text: str) -> Outcome:
    hint = _("Send a whole number of at least 1, like 50.")
    try:
        amount = read_count(text, current_language())
    except ValueError as exc:
        refusal = reading_refusal(exc, text)
        return Outcome(problem=f"{refusal}\n{hint}" if refusal else hint)
    voucher = await step.services.vouchers.add_quantity(step.actor, step.draft["voucher"], amount)
    return Outcome(done=Done(f"{read_back(amount)}\n{added_text(voucher, amount)}"))


def added_text(voucher: VoucherView, amount: int) -> str:
    return _(
        "✅ Added {amount} to <b>{name}</b> (#{id}): {total} in total, {remaining} left."
    ).format(
        amount=number(amount),
        name=esc(voucher.name),
        id=voucher.id,
        total=number(voucher.total_quantity),
        remaining=number(voucher.remaining),
    )


TABLE: FlowTable[dict[str, Any]] = FlowTable(
    prefix=FLOW,
    title=N_("➕ Add quantity"),
    steps={
        "pick": Step(
            "pick", pick_question, voucher_picked, load=load_open_vouchers, leads={"#id": "amount"}
        ),
        "amount": Step(
            "amount",
            amount_question,
            amount_answered,
            amount_answered,
            load=load_voucher,
            leads={"+n / a number": END},
        ),
    },
    path=lambda d: [*(["pick"] if d.get("picked") else []), "amount"],
    next_step=lambda step, d, editing: "amount",
    expired=N_("⏱ Adding quantity timed out after 30 minutes. Nothing changed; use /addqty again."),
    cancelled=N_("Cancelled: the quantity did not change."),
    access=Action.MANAGE_VOUCHERS,
)


class QuantityFlow:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.runner = FlowRunner(TABLE, services)

    @member_only(Action.MANAGE_VOUCHERS, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> object:
        """`/addqty`, `/addqty <id>`, `/addqty <id> <n>`, or "➕ Add quantity" (`v:<id>:add`)."""
        args = context.args or []
        query = update.callback_query
        if query is not None:
            await ack(update)
            args = [(query.data or "").split(":")[1]]
        try:
            voucher_id = read_count(args[0].lstrip("#"), current_language()) if args else None
            amount = read_count(args[1], current_language()) if len(args) > 1 else None
        except ValueError:
            await say(
                update,
                _(
                    "Use <code>/addqty &lt;id&gt; &lt;n&gt;</code>, like "
                    "<code>/addqty 12 50</code>, or /addqty to pick."
                ),
            )
            return flows.END
        if voucher_id is not None and amount is not None:
            voucher = await self.services.vouchers.add_quantity(member.actor, voucher_id, amount)
            await show(update, f"{read_back(amount)}\n{added_text(voucher, amount)}")
            return flows.END
        if voucher_id is None:
            return await self.runner.begin(update, context, member, "pick", {"picked": True})
        return await self.runner.begin(update, context, member, "amount", {"voucher": voucher_id})


def register(application: App, services: Services) -> QuantityFlow:
    flow = QuantityFlow(services)
    flow.runner.install(
        application,
        "addqty",
        [
            command("addqty", flow.start),
            CallbackQueryHandler(flow.start, pattern=rf"^{Button.VOUCHER}:\d+:add$"),
        ],
    )
    return flow
