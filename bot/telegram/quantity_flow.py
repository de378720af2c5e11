"""/addqty: add to a voucher's total quantity (R-v7), directly (`/addqty 12 50`) or as a flow:
pick the voucher (when none was named) → how many (buttons or a typed number).

/addbudget: raise a voucher's budget the same way (R-budget: "raised like total_quantity"),
`/addbudget 12 50` or pick → how much (an amount in the shop's currency, R-money-in). Both read
typed numbers through core/reading.py and echo them as read (R-l10n4)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _, money, number
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
from bot.telegram.wording import money_refusal
from core.money import MoneyInputError
from core.reading import read_amount, read_count, without_plus
from core.rules.roles import Action
from core.rules.vouchers import unit_discount_cap
from core.services import Services
from core.services.accounts import Membership
from core.views import VoucherView

FLOW = Flow.ADD_QUANTITY
BUDGET_FLOW = Flow.ADD_BUDGET
ADD_CHOICES = (10, 50, 100, 500, 1000)
BUDGET_CHOICES = (10, 50, 100)  # times one claim's largest discount


async def _open_vouchers(step: StepContext[dict[str, Any]]) -> list[VoucherView]:
    vouchers = await step.services.vouchers.list(step.actor, limit=200)
    return [v for v in vouchers if v.status in ("upcoming", "ongoing")][:30]


async def load_open_vouchers(step: StepContext[dict[str, Any]]) -> list[VoucherView] | Done:
    open_ones = await _open_vouchers(step)
    if not open_ones:
        return Done(_("No upcoming or ongoing voucher to add quantity to."))
    return open_ones


def _voucher_rows(
    vouchers: list[VoucherView], figure: Callable[[VoucherView], str]
) -> list[list[tuple[str, str]]]:
    """One button a voucher: `#12 Name · <its figure>` (the pickers of both flows)."""
    return [[(f"#{v.id} {fit(v.name, 30)} · {figure(v)}", str(v.id))] for v in vouchers]


def pick_question(step: StepContext[dict[str, Any]]) -> Question:
    rows = _voucher_rows(
        step.data, lambda v: _("{total} total").format(total=number(v.total_quantity))
    )
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
        amount = read_count(without_plus(text), current_language())
    except ValueError as exc:
        refusal = reading_refusal(exc, text)
        return Outcome(problem=f"{refusal}\n{hint}" if refusal else hint)
    voucher = await step.services.vouchers.add_quantity(step.actor, step.draft["voucher"], amount)
    return Outcome(done=Done(added_text(voucher, amount)), echo=read_back(amount))


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


# --- /addbudget (R-budget) -------------------------------------------------------------------


async def load_budget_vouchers(step: StepContext[dict[str, Any]]) -> list[VoucherView] | Done:
    with_budget = [v for v in await _open_vouchers(step) if v.budget is not None]
    if not with_budget:
        return Done(_("No upcoming or ongoing voucher has a budget to raise."))
    return with_budget


def budget_pick_question(step: StepContext[dict[str, Any]]) -> Question:
    rows = _voucher_rows(
        step.data,
        lambda v: _("{left} of {budget} left").format(
            left=money(v.budget_left or 0, step.currency),
            budget=money(v.budget or 0, step.currency),
        ),
    )
    return Question(_("Raise the budget of which voucher?"), rows)


def _hold(v: VoucherView) -> int:
    """What one claim holds of the budget: its largest discount (R-budget), as core says."""
    return unit_discount_cap(v.draft()) or 1


def budget_question(step: StepContext[dict[str, Any]]) -> Question:
    v: VoucherView = step.data
    currency = step.currency
    text = _(
        "Add how much to the budget of <b>{name}</b> (#{id})? It has {budget}: {spent} spent, "
        "{reserved} reserved, {left} left. Tap, or send an amount in {currency}."
    ).format(
        name=esc(v.name),
        id=v.id,
        budget=esc(money(v.budget or 0, currency)),
        spent=esc(money(v.budget_spent, currency)),
        reserved=esc(money(v.budget_reserved, currency)),
        left=esc(money(v.budget_left or 0, currency)),
        currency=esc(currency),
    )
    amounts = [_hold(v) * n for n in BUDGET_CHOICES]
    return Question(text, [[(f"+{money(a, currency)}", str(a)) for a in amounts]])


async def _add_budget(step: StepContext[dict[str, Any]], amount: int, echo: str | None) -> Outcome:
    voucher = await step.services.vouchers.add_budget(step.actor, step.draft["voucher"], amount)
    return Outcome(done=Done(budget_added_text(voucher, amount, step.currency)), echo=echo)


async def budget_tapped(step: StepContext[dict[str, Any]], arg: str) -> Outcome:
    return await _add_budget(step, int(arg), None)


async def budget_typed(step: StepContext[dict[str, Any]], text: str) -> Outcome:
    """R-money-in: in the shop's currency and the person's writing, never reinterpreted."""
    try:
        amount = _budget_of([text], step.currency)
    except MoneyInputError as refusal:
        return Outcome(problem=money_refusal(refusal))
    return await _add_budget(step, amount, read_back(amount, currency=step.currency))


def budget_added_text(voucher: VoucherView, amount: int, currency: str) -> str:
    return _(
        "✅ Added {amount} to the budget of <b>{name}</b> (#{id}): {budget} in total, {left} left."
    ).format(
        amount=esc(money(amount, currency)),
        name=esc(voucher.name),
        id=voucher.id,
        budget=esc(money(voucher.budget or 0, currency)),
        left=esc(money(voucher.budget_left or 0, currency)),
    )


BUDGET_TABLE: FlowTable[dict[str, Any]] = FlowTable(
    prefix=BUDGET_FLOW,
    title=N_("💰 Raise the budget"),
    steps={
        "pick": Step(
            "pick",
            budget_pick_question,
            voucher_picked,
            load=load_budget_vouchers,
            leads={"#id": "amount"},
        ),
        "amount": Step(
            "amount",
            budget_question,
            budget_tapped,
            budget_typed,
            load=load_voucher,
            leads={"+amount / an amount": END},
        ),
    },
    path=TABLE.path,
    next_step=TABLE.next_step,
    expired=N_(
        "⏱ Raising the budget timed out after 30 minutes. Nothing changed; use /addbudget again."
    ),
    cancelled=N_("Cancelled: the budget did not change."),
    access=Action.MANAGE_VOUCHERS,
)


def _ids(args: list[str]) -> int | None:
    return read_count(args[0].lstrip("#"), current_language()) if args else None


def _args(update: Update, context: Ctx) -> list[str]:
    """The command's arguments, or the voucher id of a `v:<id>:<action>` button."""
    query = update.callback_query
    if query is not None:
        return [(query.data or "").split(":")[1]]
    return context.args or []


def _quantity_of(words: list[str], currency: str) -> int:
    return read_count(without_plus(words[0]), current_language())


def _budget_of(words: list[str], currency: str) -> int:
    """R-money-in: in the shop's currency and the person's writing, never reinterpreted."""
    text = without_plus(" ".join(words))
    return read_amount(text, currency, current_language(), allow_zero=False)


async def _quantity_now(services: Services, member: Membership, voucher_id: int, n: int) -> str:
    voucher = await services.vouchers.add_quantity(member.actor, voucher_id, n)
    return f"{read_back(n)}\n{added_text(voucher, n)}"


async def _budget_now(services: Services, member: Membership, voucher_id: int, n: int) -> str:
    voucher = await services.vouchers.add_budget(member.actor, voucher_id, n)
    currency = member.shop.currency
    return f"{read_back(n, currency=currency)}\n{budget_added_text(voucher, n, currency)}"


@dataclass(frozen=True)
class Raise:
    """What /addqty and /addbudget differ in: their table, command and button, how the typed
    amount is read, and the raise made at once when the command names voucher and amount."""

    table: FlowTable[dict[str, Any]]
    command: str
    button: str  # the voucher detail button's action: `v:<id>:<button>`
    usage: str  # N_(): the command's shape, said when its arguments cannot be read
    amount_of: Callable[[list[str], str], int]
    now: Callable[[Services, Membership, int, int], Awaitable[str]]


QUANTITY = Raise(
    table=TABLE,
    command="addqty",
    button="add",
    usage=N_(
        "Use <code>/addqty &lt;id&gt; &lt;n&gt;</code>, like "
        "<code>/addqty 12 50</code>, or /addqty to pick."
    ),
    amount_of=_quantity_of,
    now=_quantity_now,
)
BUDGET = Raise(
    table=BUDGET_TABLE,
    command="addbudget",
    button="budget",
    usage=N_(
        "Use <code>/addbudget &lt;id&gt; &lt;amount&gt;</code>, like "
        "<code>/addbudget 12 50</code>, or /addbudget to pick."
    ),
    amount_of=_budget_of,
    now=_budget_now,
)


class RaiseFlow:
    """The entry of /addqty and /addbudget: `/cmd`, `/cmd <id>`, `/cmd <id> <amount>`, or the
    voucher's button (`v:<id>:add`, `v:<id>:budget`): raised at once, or the table's flow
    from picking the voucher or from the amount."""

    def __init__(self, services: Services, spec: Raise) -> None:
        self.services = services
        self.spec = spec
        self.runner = FlowRunner(spec.table, services)

    @member_only(Action.MANAGE_VOUCHERS, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> object:
        args = _args(update, context)
        await ack(update)
        try:
            voucher_id = _ids(args)
            amount = self.spec.amount_of(args[1:], member.shop.currency) if args[1:] else None
        except MoneyInputError as refusal:
            await say(update, money_refusal(refusal))
            return flows.END
        except ValueError:
            await say(update, _(self.spec.usage))
            return flows.END
        if voucher_id is not None and amount is not None:
            await show(update, await self.spec.now(self.services, member, voucher_id, amount))
            return flows.END
        if voucher_id is None:
            return await self.runner.begin(update, context, member, "pick", {"picked": True})
        return await self.runner.begin(update, context, member, "amount", {"voucher": voucher_id})


def register(application: App, services: Services) -> RaiseFlow:
    flows_made = [RaiseFlow(services, spec) for spec in (QUANTITY, BUDGET)]
    for flow in flows_made:
        spec = flow.spec
        flow.runner.install(
            application,
            spec.command,
            [
                command(spec.command, flow.start),
                CallbackQueryHandler(flow.start, pattern=rf"^{Button.VOUCHER}:\d+:{spec.button}$"),
            ],
        )
    return flows_made[0]
