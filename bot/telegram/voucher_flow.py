"""/newvoucher: the guided creation (docs/bot-guide.md) as a table of steps (flow_table.py).

    kind → dtype → value ─┬─(percent)→ max ─┐
                          └────────────────→ min → scope ─┬─(products)→ products ─┐
                                                          └───────────────────────→ qty → per
    → period → name → summary ─ Submit / Continue (R-v8) → created, with next-step buttons
                              └ Edit → any step → back to the summary

Nothing is saved until Submit (R-b1); the draft (`Draft`, a dataclass) lives in user_data as a
plain dict (persisted, R-b2); buttons carry `nv:<flow id>:<step>:<arg>` (R-b3). Submit calls
`create` once, saying whether the seller saw and accepted a low maximum discount (R-v8)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import N_, _, current, ngettext, number, person_language, speaking
from bot.i18n import current as current_language
from bot.i18n import money as fmt_money
from bot.telegram import flows
from bot.telegram.access import Ctx, member_only, membership, refusal
from bot.telegram.flow_table import (
    BACK,
    CANCEL,
    FlowTable,
    Outcome,
    Question,
    Step,
    StepContext,
    button_parts,
)
from bot.telegram.keyboards import button, markup
from bot.telegram.render import (
    esc,
    low_discount_warning,
    voucher_details,
    warning_text,
)
from bot.telegram.replies import ack, say, show
from bot.telegram.voucher_draft import (
    FIELD_STEP,
    auto_name,
    step_errors,
    tier_name,
    tier_text,
    to_draft,
)
from bot.telegram.wording import (
    field_problem,
    money_refusal,
    refusal_text,
    whole_number_wanted,
)
from core.errors import NotFound, ValidationFailed, VoucherbotError
from core.money import MoneyInputError, example_amount
from core.reading import DATE_FORMAT, read_amount, read_count, read_period
from core.rules.advice import MIN_ORDERS_FOR_TIERS
from core.rules.roles import Action
from core.rules.vouchers import LOW_MAX_DISCOUNT, MAX_PRODUCTS
from core.services import Services
from core.services.accounts import Membership
from core.services.vouchers import LOW_DISCOUNT_UNACKNOWLEDGED
from core.views import ProductView, ShopView, VoucherView

FLOW = "nv"
EXPIRED = N_(
    "⏱ Your voucher draft expired after 30 minutes without an answer. Nothing was saved; "
    "start again with /newvoucher."
)
PERCENT_CHOICES = (5, 10, 15, 20, 30, 50)
QTY_CHOICES = (10, 50, 100, 500, 1000)
PER_CHOICES = (1, 2, 3, 5)
PERIOD_CHOICES = (
    (N_("Now, 24 hours"), 24),
    (N_("Now, 3 days"), 72),
    (N_("Now, 7 days"), 168),
    (N_("Now, 30 days"), 720),
)
EDIT_CHOICES = (
    (N_("Name"), "name"),
    (N_("Kind"), "kind"),
    (N_("Discount"), "dtype"),
    (N_("Minimum spend"), "min"),
    (N_("Products"), "scope"),
    (N_("Quantity"), "qty"),
    (N_("Claims per customer"), "per"),
    (N_("Claim period"), "period"),
)
PRODUCT_PAGE = 8
NO_MINIMUM = ("0", "none", "no", "no minimum")


@dataclass
class Draft:
    """What the seller answered so far (None: not asked yet)."""

    kind: str | None = None
    dtype: str | None = None
    amount: int | None = None
    percent: int | None = None
    max: int | None = None
    min: int | None = None
    scope: str | None = None
    pids: list[str] = field(default_factory=list)
    qty: int | None = None
    per: int | None = None
    start: str | None = None  # ISO instants; None = now
    end: str | None = None
    hours: int | None = None  # "Now, 24 hours"
    name: str | None = None

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> Draft:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})


# --- the graph ----------------------------------------------------------------------------


def path(d: Draft) -> list[str]:
    steps = ["kind", "dtype", "value"]
    if d.dtype == "percent":
        steps.append("max")
    steps += ["min", "scope"]
    if d.scope == "products":
        steps.append("products")
    return [*steps, "qty", "per", "period", "name"]


def next_step(step: str, d: Draft, editing: bool) -> str:
    # An answer that opens a dependent question asks it even when editing from the summary.
    if step == "dtype":
        return "value"
    if step == "value" and d.dtype == "percent":
        return "max"
    if step == "scope" and d.scope == "products":
        return "products"
    if editing or step in ("name", "summary"):
        return "summary"
    route = path(d)
    if step == "products" and step not in route:  # "Entire shop instead" from the picker
        return "qty"
    return route[route.index(step) + 1] if step in route[:-1] else "summary"


# --- questions (pure) ---------------------------------------------------------------------


def q_kind(c: StepContext[Draft]) -> Question:
    return Question(
        _(
            "Which kind?\n"
            "• <b>Regular Voucher</b>: claimable by any buyer during its claim period.\n"
            "• <b>LIVE Interactive Voucher</b>: only for your livestream viewers, issued by a "
            "host with a task (watch, follow or no task)."
        ),
        [[(_("Regular"), "r"), (_("LIVE Interactive"), "l")]],
    )


def q_dtype(c: StepContext[Draft]) -> Question:
    return Question(_("Discount type?"), [[(_("Amount off"), "a"), (_("Percentage off"), "p")]])


def q_value(c: StepContext[Draft]) -> Question:
    if c.draft.dtype == "percent":
        return Question(
            _("What percentage off? Tap, or send a whole number from 1 to 99."),
            [[(f"{p}%", str(p)) for p in PERCENT_CHOICES]],
        )
    example = esc(fmt_money(example_amount(c.currency), c.currency))
    return Question(
        _("How much off? Send an amount in {currency}, like {example}.").format(
            currency=esc(c.currency), example=example
        )
    )


def max_suggestions(c: StepContext[Draft]) -> list[int]:
    """R-adv1's tiers give maximum discounts when there is order history; otherwise round
    amounts around a typical discount in the currency."""
    tiers = getattr(c.data, "tiers", ()) or ()
    found = sorted({t.max_discount for t in tiers if t.max_discount > 0})
    if found:
        return found[:4]
    base = example_amount(c.currency)
    return [base, base * 2, base * 4, base * 10]


def q_max(c: StepContext[Draft]) -> Question:
    amounts = max_suggestions(c)
    text = _(
        "Maximum discount per order? {percent}% off never takes more than this from one order. "
        "Tap a suggestion, or send an amount in {currency}."
    ).format(percent=c.draft.percent, currency=esc(c.currency))
    if getattr(c.data, "tiers", ()):
        text += "\n" + _("The suggestions follow your shop's order history.")
    return Question(text, [[(fmt_money(a, c.currency), str(a)) for a in amounts]])


def q_min(c: StepContext[Draft]) -> Question:
    advice = c.data
    if c.draft.dtype != "percent" and c.draft.amount:
        text = _("Minimum spend? Tap, or send an amount above the discount ({amount}).").format(
            amount=esc(fmt_money(c.draft.amount, c.currency))
        )
    else:
        text = _("Minimum spend? Tap, or send an amount.")
    if advice is not None and advice.tiers and advice.aov:
        text += "\n" + _(
            "Your average order value (last 30 days) is {aov}; Seller Center suggests a "
            "minimum spend 1.2–1.5× higher, with deeper discounts for higher tiers:"
        ).format(aov=esc(fmt_money(advice.aov, c.currency)))
        text += "".join(f"\n• {tier_text(t, c.currency)}" for t in advice.tiers)
    elif advice is not None and advice.history_note:
        text += f"\n<i>{esc(_history_note(advice))}</i>"
    tiers = advice.tiers if advice is not None else ()
    return Question(
        text,
        [
            [
                (f"{tier_name(t.name)} {fmt_money(t.min_spend, c.currency)}", str(t.min_spend))
                for t in tiers
            ],
            [(_("No minimum"), "0")],
        ],
    )


def q_scope(c: StepContext[Draft]) -> Question:
    return Question(
        _("Which products does it apply to?"),
        [[(_("Entire shop"), "e"), (_("Specific products"), "p")]],
    )


def _history_note(advice: Any) -> str:
    """Why R-adv1 has no tiers yet (core's note, in the reader's language)."""
    n = int(getattr(advice, "orders_30d", 0) or 0)
    return ngettext(
        "Not enough order history yet: tiers need at least {needed} orders in the last 30 days "
        "to estimate the average order value, and the shop has {n}.",
        "Not enough order history yet: tiers need at least {needed} orders in the last 30 days "
        "to estimate the average order value, and the shop has {n}.",
        n,
    ).format(needed=MIN_ORDERS_FOR_TIERS, n=number(n))


@dataclass(frozen=True)
class ProductData:
    categories: list[str]
    products: list[ProductView] | None  # a page of a category or search, None at the top
    cursor: int | None
    total_in_shop: int


def q_products(c: StepContext[Draft]) -> Question:
    data: ProductData = c.data
    pids = c.draft.pids
    find = c.ui.get("find")
    lines = [
        "<b>"
        + _("Specific products")
        + "</b> — "
        + ngettext("{n} selected", "{n} selected", len(pids)).format(n=number(len(pids)))
        + (f": {esc(', '.join(pids[:20]))}" if pids else "")
    ]
    rows: list[list[tuple[str, str]]] = []
    if not data.categories and data.products is None:
        lines.append(
            _(
                "Your shop has no products here yet: they come from the platform, which sends "
                "them through the API. You can still type product ids (separated by spaces or "
                "commas), or go back and choose the entire shop."
            )
        )
        rows.append([(_("« Entire shop instead"), "shop")])
    elif data.products is not None:
        label = (
            _("category {category}").format(category=esc(find["category"]))
            if find.get("category")
            else f"“{esc(find['query'])}”"
        )
        if data.products:
            lines.append(_("Products in {label} — tap to select or unselect:").format(label=label))
        else:
            lines.append(
                _(
                    "No product matches {label}. Type a name or product ids, or pick a category."
                ).format(label=label)
            )
        rows += [
            [(_product_label(p, p.product_id in pids, c.currency), f"tg.{i}")]
            for i, p in enumerate(data.products)
        ]
        nav = [(_("« Categories"), "all")]
        if data.cursor is not None:
            nav.append((_("More ▶"), f"pg.{data.cursor}"))
        rows.append(nav)
    else:
        lines.append(
            _(
                "Find products by category below, type a name to search, or type product ids "
                "(separated by spaces or commas)."
            )
        )
        cats = [
            (cat or _("(no category)"), f"cat.{i}") for i, cat in enumerate(data.categories[:30])
        ]
        rows += [cats[i : i + 3] for i in range(0, len(cats), 3)]
        rows.append([(_("« Entire shop instead"), "shop")])
    rows.append([(_("✅ Done ({n})").format(n=len(pids)), "done")])
    return Question("\n".join(lines), rows)


def q_qty(c: StepContext[Draft]) -> Question:
    return Question(
        _("Total voucher quantity? Tap, or send a number from 1 to {max}.").format(
            max=number(1_000_000)
        ),
        [[(number(q), str(q)) for q in QTY_CHOICES]],
    )


def q_per(c: StepContext[Draft]) -> Question:
    text = _(
        "Number of claims per customer? Tap, or send a number from 1 to 100 "
        "(at most the total quantity)."
    )
    if c.draft.kind == "live":
        text += "\n" + _("For a Follow LIVE Host task, 1 is recommended.")
    return Question(text, [[(str(p), str(p)) for p in PER_CHOICES]])


def period_example(now: datetime, zone: str) -> str:
    """An example that is valid when it is read: tomorrow 20:00 for a week, shop time."""
    start = (now.astimezone(ZoneInfo(zone)) + timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    return _("{start} to {end}").format(
        start=start.strftime(DATE_FORMAT), end=(start + timedelta(days=7)).strftime(DATE_FORMAT)
    )


def q_period(c: StepContext[Draft]) -> Question:
    text = _(
        "Claim period? Tap, or send the start and end in shop time ({timezone}), like "
        "<code>{example}</code> (the start may be <code>now</code>)."
    ).format(timezone=esc(c.timezone), example=period_example(c.now, c.timezone))
    choices = [(_(label), str(h)) for label, h in PERIOD_CHOICES]
    return Question(text, [choices[:2], choices[2:]])


def q_name(c: StepContext[Draft]) -> Question:
    suggested = auto_name(asdict(c.draft), c.currency)
    current = c.draft.name
    if current:
        text = _(
            "Name the voucher (1–100 characters): buyers see it. Send a name. Now: <b>{name}</b>"
        ).format(name=esc(current))
        rows = [[(_("Keep this name"), "keep")]]
    else:
        text = _(
            "Name the voucher (1–100 characters): buyers see it. Send a name, or tap to use "
            "<b>{name}</b>."
        ).format(name=esc(suggested))
        rows = [[(_("Use “{name}”").format(name=suggested[:40]), "auto")]]
    return Question(text, rows)


def q_edit(c: StepContext[Draft]) -> Question:
    choices = [(_(label), key) for label, key in EDIT_CHOICES]
    return Question(
        _("What do you want to change?"),
        [choices[i : i + 2] for i in range(0, len(choices), 2)] + [[(_("« Summary"), "summary")]],
    )


def q_summary(c: StepContext[Draft]) -> Question:
    view: VoucherView = c.data
    shop = c.shop
    lines = ["<b>" + _("Check your voucher") + "</b>", voucher_details_preview(view, shop)]
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


# --- answers ------------------------------------------------------------------------------


async def a_kind(c: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"kind": "live" if arg == "l" else "regular"})


async def a_dtype(c: StepContext[Draft], arg: str) -> Outcome:
    dtype = "percent" if arg == "p" else "amount"
    changes: dict[str, Any] = {"dtype": dtype}
    if dtype != c.draft.dtype:
        changes.update(amount=None, percent=None, max=None)
    return Outcome(changes)


async def a_percent(c: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"percent": int(arg)})


async def t_value(c: StepContext[Draft], text: str) -> Outcome:
    if c.draft.dtype == "percent":
        try:
            return Outcome({"percent": read_count(text, current_language())})
        except ValueError:
            return Outcome(problem=whole_number_wanted(1, 99, 20))
    return _money(c, text, "amount")


def _money(c: StepContext[Draft], text: str, key: str) -> Outcome:
    """R-money-in: read in the shop's locale or refused with the accepted form, never guessed."""
    try:
        amount = read_amount(text, c.currency, current_language(), allow_zero=key == "min")
        return Outcome({key: amount})
    except MoneyInputError as refusal:
        return Outcome(problem=money_refusal(refusal))


async def a_max(c: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"max": int(arg)})


async def t_max(c: StepContext[Draft], text: str) -> Outcome:
    return _money(c, text, "max")


async def a_min(c: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"min": int(arg)})


async def t_min(c: StepContext[Draft], text: str) -> Outcome:
    if text.lower() in NO_MINIMUM:
        return Outcome({"min": 0})
    return _money(c, text, "min")


async def a_scope(c: StepContext[Draft], arg: str) -> Outcome:
    if arg == "p":
        return Outcome({"scope": "products"})
    return Outcome({"scope": "shop", "pids": []})


async def a_whole(key: str, text: str, lo: int, hi: int, example: int) -> Outcome:
    try:
        return Outcome({key: read_count(text, current_language())})
    except ValueError:
        return Outcome(problem=whole_number_wanted(lo, hi, example))


async def a_qty(c: StepContext[Draft], arg: str) -> Outcome:
    return await a_whole("qty", arg, 1, 1_000_000, 100)


async def a_per(c: StepContext[Draft], arg: str) -> Outcome:
    return await a_whole("per", arg, 1, 100, 1)


async def a_period(c: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"start": None, "end": None, "hours": int(arg)})


async def t_period(c: StepContext[Draft], text: str) -> Outcome:
    try:
        starts, ends = read_period(text, current_language(), c.timezone, c.now)
    except ValueError:
        return Outcome(
            problem=_(
                "Send the start and the end as <code>YYYY-MM-DD HH:MM</code>, like "
                "<code>{example}</code>."
            ).format(example=period_example(c.now, c.timezone))
        )
    return Outcome(
        {
            "start": None if starts == c.now else starts.isoformat(),
            "end": ends.isoformat(),
            "hours": None,
        }
    )


async def a_name(c: StepContext[Draft], arg: str) -> Outcome:
    if arg == "keep" and c.draft.name:
        return Outcome({"name": c.draft.name})
    return Outcome({"name": auto_name(asdict(c.draft), c.currency)})


async def t_name(c: StepContext[Draft], text: str) -> Outcome:
    return Outcome({"name": text})


TABLE: FlowTable[Draft] = FlowTable(
    prefix=FLOW,
    title=N_("🎟 New voucher"),
    steps={
        s.key: s
        for s in (
            Step("kind", q_kind, a_kind),
            Step("dtype", q_dtype, a_dtype),
            Step("value", q_value, a_percent, t_value),
            Step("max", q_max, a_max, t_max),
            Step("min", q_min, a_min, t_min),
            Step("scope", q_scope, a_scope),
            Step("products", q_products),  # its parsers need the services: VoucherFlow
            Step("qty", q_qty, a_qty, a_qty),
            Step("per", q_per, a_per, a_per),
            Step("period", q_period, a_period, t_period),
            Step("name", q_name, a_name, t_name),
            Step("edit", q_edit, counted=False),
            Step("summary", q_summary, counted=False),
        )
    },
    path=path,
    next_step=next_step,
)
STATES = tuple(TABLE.steps)


class VoucherFlow:
    """Runs TABLE: loads what a question needs, asks it, parses answers, submits once."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.services.clock

    # --- entry, cancel, timeout ------------------------------------------------------------

    @member_only(Action.MANAGE_VOUCHERS, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> str:
        await ack(update)
        flow = flows.begin(context, FLOW, self.clock, draft={}, ui={}, editing=False)
        return await self._ask(update, member, flow, "kind", fresh=True)

    async def cancel(self, update: Update, context: Ctx) -> int:
        await ack(update, _("Cancelled."))
        await show(update, _("Cancelled: the voucher was not created."))
        return flows.finish(context, FLOW)

    async def timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, FLOW)
        if isinstance(update, Update):
            # A timeout runs from the JobQueue, outside the update's language: use the one the
            # person was last answered in.
            user = update.effective_user
            with speaking(person_language(user.id if user else None) or current()):
                await say(update, _(EXPIRED))

    # --- dispatch ---------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.clock, _(EXPIRED))
        if flow is None:
            return self._lost(context)
        member = await self._seller(update, context)
        if member is None:
            return flows.END
        parts = button_parts(update)
        if parts[:1] == [CANCEL]:
            return await self.cancel(update, context)
        if parts[:1] != [BACK] and (len(parts) < 2 or parts[0] != flow["step"]):
            await ack(update, _("That button is from an earlier question."))
            return flow["step"]
        await ack(update)
        draft = Draft.of(flow.get("draft"))
        if parts[:1] == [BACK]:
            back = TABLE.back_of(flow["step"], draft, flow.get("editing", False))
            if back is None:
                return flow["step"]
            flow["ui"] = {}
            return await self._ask(update, member, flow, back)
        step, arg = parts[0], parts[1]
        try:
            if step == "summary":
                return await self._summary_button(update, context, member, flow, arg)
            if step == "edit":
                if arg == "summary":
                    return await self._ask(update, member, flow, "summary")
                flow["editing"] = True
                return await self._ask(update, member, flow, arg if arg in TABLE.steps else "kind")
            if step == "products":
                outcome = await self._products_button(member, flow, draft, arg)
            else:
                parser = TABLE.steps[step].on_button
                if parser is None:
                    return step
                outcome = await parser(self._context(member, flow, draft, None), arg)
            return await self._apply(update, member, flow, step, outcome)
        except VoucherbotError as exc:
            problem = refusal_text(exc, member.shop.currency)
            return await self._ask(update, member, flow, flow["step"], problem=problem)

    async def on_text(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.clock, _(EXPIRED))
        if flow is None:
            return self._lost(context)
        member = await self._seller(update, context)
        if member is None:
            return flows.END
        text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
        step = flow["step"]
        draft = Draft.of(flow.get("draft"))
        if step == "products":
            outcome = await self._products_text(member, flow, draft, text)
        else:
            parser = TABLE.steps[step].on_text
            if parser is None:
                return await self._ask(
                    update, member, flow, step, problem=_("Please use the buttons below.")
                )
            outcome = await parser(self._context(member, flow, draft, None), text)
        return await self._apply(update, member, flow, step, outcome)

    def _lost(self, context: Ctx) -> object:
        return None if flows.current(context, FLOW) is not None else flows.END

    async def _seller(self, update: Update, context: Ctx) -> Membership | None:
        """The role is checked on every step: an account unlinked mid-flow can't submit."""
        member = await membership(self.services, update)
        if member is None or not member.actor.may(Action.MANAGE_VOUCHERS):
            flows.finish(context, FLOW)
            await say(update, refusal(Action.MANAGE_VOUCHERS))
            return None
        return member

    def _context(
        self, member: Membership, flow: dict[str, Any], draft: Draft, data: Any
    ) -> StepContext[Draft]:
        return StepContext(
            draft=draft,
            ui=flow.setdefault("ui", {}),
            data=data,
            shop=member.shop,
            now=self.clock.now(),
        )

    async def _apply(
        self, update: Update, member: Membership, flow: dict[str, Any], step: str, o: Outcome
    ) -> str:
        """An answer's outcome: re-ask with its problem, stay, or store it, check it with the
        core's rules and ask the next question."""
        if o.problem is not None:
            return await self._ask(update, member, flow, step, problem=o.problem)
        if o.stay:
            return await self._ask(update, member, flow, step)
        draft = Draft.of(flow.get("draft"))
        changed = Draft.of({**asdict(draft), **o.changes})
        state = asdict(changed)
        problems = step_errors(state, step, self.clock.now(), member.shop.currency)
        if problems:
            text = "\n".join(
                dict.fromkeys(field_problem(e, member.shop.currency) for e in problems)
            )
            return await self._ask(update, member, flow, step, problem=text)
        flow["draft"] = state
        flow["ui"] = {}
        return await self._ask(
            update, member, flow, TABLE.next_step(step, changed, flow.get("editing", False))
        )

    # --- products (their parsers look products up) -------------------------------------------

    async def _products_button(
        self, member: Membership, flow: dict[str, Any], draft: Draft, arg: str
    ) -> Outcome:
        ui = flow.setdefault("ui", {})
        action, _dot, value = arg.partition(".")
        if action == "shop":
            return Outcome({"scope": "shop", "pids": []})
        if action == "done":
            if not draft.pids:
                return Outcome(
                    problem=_("Select at least one product, or go back to the entire shop.")
                )
            return Outcome({"pids": list(draft.pids)})
        if action == "all":
            ui["find"] = None
        elif action == "cat":
            categories = await self.services.products.categories(member.actor)
            index = int(value)
            if not 0 <= index < len(categories):
                return Outcome(problem=_("That category is gone; pick another."))
            ui["find"] = {"category": categories[index], "query": None, "after": None}
        elif action == "pg":
            find = ui.get("find") or {}
            find["after"] = int(value) if value else None
            ui["find"] = find
        elif action == "tg":
            shown = ui.get("shown") or []
            index = int(value)
            if 0 <= index < len(shown):
                flow["draft"] = asdict(_toggle(draft, shown[index]))
        return Outcome(stay=True)

    async def _products_text(
        self, member: Membership, flow: dict[str, Any], draft: Draft, text: str
    ) -> Outcome:
        """Product ids (separated by spaces or commas) are added and unknown ones named;
        anything that looks like no id at all is a name search."""
        tokens = [t for t in text.replace(",", " ").split() if t]
        found: list[str] = []
        unknown: list[str] = []
        for token in tokens:
            try:
                found.append((await self.services.products.get(member.actor, token)).product_id)
            except (NotFound, ValidationFailed):
                unknown.append(token)
        ui = flow.setdefault("ui", {})
        if not found:
            ui["find"] = {"category": None, "query": text[:64], "after": None}
            return Outcome(stay=True)
        for pid in found:
            if pid not in draft.pids:
                draft = _toggle(draft, pid)
        flow["draft"] = asdict(draft)
        ui["find"] = None
        if unknown:
            return Outcome(
                problem=_("Added {found}. Not found in your shop: {unknown}.").format(
                    found=esc(", ".join(found)), unknown=esc(", ".join(unknown))
                )
            )
        return Outcome(stay=True)

    # --- summary and submit ---------------------------------------------------------------------

    async def _summary_button(
        self, update: Update, context: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> object:
        if arg == "edit":
            return await self._ask(update, m, flow, "edit")
        draft = to_draft(flow["draft"], self.clock.now(), m.shop.currency)
        try:
            view = await self.services.vouchers.create(
                m.actor, draft, low_discount_acknowledged=arg == "ok"
            )
        except ValidationFailed as exc:
            first = exc.errors[0]
            flow["editing"] = True
            step = FIELD_STEP.get(first.field, "kind")
            return await self._ask(
                update, m, flow, step, problem=field_problem(first, m.shop.currency)
            )
        except VoucherbotError as exc:
            if exc.code == LOW_DISCOUNT_UNACKNOWLEDGED:  # appeared since the summary was shown
                return await self._ask(update, m, flow, "summary")
            raise
        flows.finish(context, FLOW)
        await show(update, *await self.created(m, view))
        return flows.END

    async def created(self, m: Membership, view: VoucherView) -> tuple[str, Any]:
        """R-b6: the new voucher, then its next steps as buttons."""
        rows = []
        if view.kind == "live":
            live = await self.services.live.active_session(m.actor)
            if live is not None and view.status == "ongoing":
                rows.append([button(_("🎟 Issue it now"), "is", "start", view.id)])
                after = _("You're live: issue it now, or later with /issue.")
            else:
                after = _("Hosts can issue it during a livestream with /issue.")
        else:
            after = _("Buyers can claim it during its claim period.")
        rows.append(
            [
                button(_("📋 Its details"), "v", view.id),
                button(_("➕ Create another"), "nv", "new"),
            ]
        )
        created = _("✅ Voucher created.")
        text = f"{created}\n\n{voucher_details(view, m.shop)}\n\n{after}"
        return text, markup(*rows)

    # --- asking ----------------------------------------------------------------------------

    async def _load(self, m: Membership, flow: dict[str, Any], step: str) -> Any:
        ui = flow.setdefault("ui", {})
        if step in ("min", "max"):
            return await self.services.advice.tiers(m.actor)
        if step == "products":
            categories = await self.services.products.categories(m.actor)
            find = ui.get("find")
            if not find:
                ui.pop("shown", None)
                return ProductData(categories, None, None, len(categories))
            products, cursor = await self.services.products.search_page(
                m.actor,
                query=find.get("query"),
                category=find.get("category"),
                limit=PRODUCT_PAGE,
                after_id=find.get("after"),
            )
            ui["shown"] = [p.product_id for p in products]
            return ProductData(categories, list(products), cursor, len(categories))
        if step == "summary":
            return await self.services.vouchers.preview(
                m.actor, to_draft(flow["draft"], self.clock.now(), m.shop.currency)
            )
        return None

    async def _ask(
        self,
        update: Update,
        m: Membership,
        flow: dict[str, Any],
        step: str,
        problem: str | None = None,
        *,
        fresh: bool = False,
    ) -> str:
        try:
            data = await self._load(m, flow, step)
        except ValidationFailed as exc:
            # Something went stale since it was answered (e.g. a start now in the past).
            first = exc.errors[0]
            step, problem = (
                FIELD_STEP.get(first.field, "kind"),
                field_problem(first, m.shop.currency),
            )
            flow["editing"] = True
            data = await self._load(m, flow, step)
        if step == "summary":
            flow["editing"] = False
        flow["step"] = step
        draft = Draft.of(flow.get("draft"))
        question = TABLE.steps[step].question(self._context(m, flow, draft, data))
        keyboard = TABLE.keyboard(flow["fid"], step, question, draft, flow.get("editing", False))
        text = f"{TABLE.heading(step, draft)}\n{question.text}"
        full = f"⚠️ {problem}\n\n{text}" if problem else text
        if fresh or (problem and update.callback_query is None):
            await say(update, full, keyboard)
        else:
            await show(update, full, keyboard)
        return step


def _toggle(draft: Draft, product_id: str) -> Draft:
    pids = list(draft.pids)
    if product_id in pids:
        pids.remove(product_id)
    elif len(pids) < MAX_PRODUCTS:
        pids.append(product_id)
    return Draft.of({**asdict(draft), "pids": pids})


def voucher_details_preview(view: Any, shop: ShopView) -> str:
    """The details of a draft, without the id and counters it doesn't have yet."""
    return voucher_details(view, shop, draft=True)


def _product_label(p: ProductView, selected: bool, currency: str) -> str:
    mark = "✅" if selected else "▫️"
    return f"{mark} {p.name[:40]} · {fmt_money(p.price, currency)} · {p.product_id[:20]}"


def register(application: Any, services: Services) -> VoucherFlow:
    flow = VoucherFlow(services)
    step_handlers = [
        CallbackQueryHandler(flow.on_button, pattern=rf"^{FLOW}:[0-9a-f]+:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, flow.on_text),
    ]
    application.add_handler(
        flows.conversation(
            "newvoucher",
            [
                CommandHandler("newvoucher", flow.start),
                CallbackQueryHandler(flow.start, pattern=rf"^{FLOW}:new$"),
            ],
            {state: step_handlers for state in STATES},
            flow.cancel,
            flow.timeout,
        )
    )
    return flow


__all__ = ["TABLE", "Draft", "VoucherFlow", "register"]
