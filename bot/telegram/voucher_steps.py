"""/newvoucher's steps (docs/bot-guide.md): the draft, its path, and each step's question and
answers. Questions are pure; answers read typed input only through core/reading.py (R-b1). The
table that joins them (with the product picker and the summary) is in voucher_flow.py.

    kind → dtype → value ─┬─(percent)→ max ─┐
                          └────────────────→ min → scope ─┬─(products)→ products ─┐
                                                          └───────────────────────→ qty → per
    → period → segment → budget ─┬─(regular)→ code ─┐
                                 └─────────────────→ uses → name
    → summary ─ Submit / Continue (R-v8) → created, with next-step buttons
              └ Edit → any step → back to the summary

The targeting steps (segment, budget, code, uses: R-seg, R-budget, R-code, R-redeem) are in
voucher_targeting_steps.py. A typed answer is echoed as it was read (`Outcome.echo`, R-l10n4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import N_, _, ngettext, number
from bot.i18n import current as current_language
from bot.i18n import money as fmt_money
from bot.telegram.flow_table import Outcome, Question, StepContext
from bot.telegram.read_back import read_back, reading_refusal
from bot.telegram.render import esc
from bot.telegram.voucher_draft import auto_name, tier_name, tier_text
from bot.telegram.wording import money_refusal, whole_number_wanted
from core.money import MoneyInputError, example_amount
from core.reading import DATE_FORMAT, read_amount, read_count, read_percent, read_period
from core.rules.advice import MIN_ORDERS_FOR_TIERS

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
    (N_("Buyers"), "segment"),
    (N_("Budget"), "budget"),
    (N_("Promo code"), "code"),
    (N_("Uses allowed"), "uses"),
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
    segment: str | None = None  # R-seg; None: not asked yet (everyone)
    budget: int | None = None  # R-budget; None: no budget
    code: str | None = None  # R-code, regular vouchers only; None: no code
    uses: int | None = None  # R-redeem's redemption_limit; None: no limit

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> Draft:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})


# --- the graph ----------------------------------------------------------------------------


def path(draft: Draft) -> list[str]:
    steps = ["kind", "dtype", "value"]
    if draft.dtype == "percent":
        steps.append("max")
    steps += ["min", "scope"]
    if draft.scope == "products":
        steps.append("products")
    steps += ["qty", "per", "period", "segment", "budget"]
    if draft.kind != "live":  # R-code: promo codes are for regular vouchers
        steps.append("code")
    return [*steps, "uses", "name"]


def next_step(step: str, draft: Draft, editing: bool) -> str:
    # An answer that opens a dependent question asks it even when editing from the summary.
    if step == "dtype":
        return "value"
    if step == "value" and draft.dtype == "percent":
        return "max"
    if step == "scope" and draft.scope == "products":
        return "products"
    if editing or step in ("name", "summary"):
        return "summary"
    route = path(draft)
    if step == "products" and step not in route:  # "Entire shop instead" from the picker
        return "qty"
    return route[route.index(step) + 1] if step in route[:-1] else "summary"


# --- questions (pure) ---------------------------------------------------------------------


def kind_question(step: StepContext[Draft]) -> Question:
    return Question(
        _(
            "Which kind?\n"
            "• <b>Regular Voucher</b>: claimable by any buyer during its claim period.\n"
            "• <b>LIVE Interactive Voucher</b>: only for your livestream viewers, issued by a "
            "host with a task (watch, follow or no task)."
        ),
        [[(_("Regular"), "r"), (_("LIVE Interactive"), "l")]],
    )


def discount_type_question(step: StepContext[Draft]) -> Question:
    return Question(_("Discount type?"), [[(_("Amount off"), "a"), (_("Percentage off"), "p")]])


def value_question(step: StepContext[Draft]) -> Question:
    if step.draft.dtype == "percent":
        return Question(
            _("What percentage off? Tap, or send a whole number from 1 to 99."),
            [[(f"{p}%", str(p)) for p in PERCENT_CHOICES]],
        )
    example = esc(fmt_money(example_amount(step.currency), step.currency))
    return Question(
        _("How much off? Send an amount in {currency}, like {example}.").format(
            currency=esc(step.currency), example=example
        )
    )


def max_suggestions(step: StepContext[Draft]) -> list[int]:
    """R-adv1's tiers give maximum discounts when there is order history; otherwise round
    amounts around a typical discount in the currency."""
    tiers = getattr(step.data, "tiers", ()) or ()
    found = sorted({t.max_discount for t in tiers if t.max_discount > 0})
    if found:
        return found[:4]
    base = example_amount(step.currency)
    return [base, base * 2, base * 4, base * 10]


def max_question(step: StepContext[Draft]) -> Question:
    amounts = max_suggestions(step)
    text = _(
        "Maximum discount per order? {percent}% off never takes more than this from one order. "
        "Tap a suggestion, or send an amount in {currency}."
    ).format(percent=step.draft.percent, currency=esc(step.currency))
    if getattr(step.data, "tiers", ()):
        text += "\n" + _("The suggestions follow your shop's order history.")
    return Question(text, [[(fmt_money(a, step.currency), str(a)) for a in amounts]])


def min_question(step: StepContext[Draft]) -> Question:
    advice = step.data
    if step.draft.dtype != "percent" and step.draft.amount:
        text = _("Minimum spend? Tap, or send an amount above the discount ({amount}).").format(
            amount=esc(fmt_money(step.draft.amount, step.currency))
        )
    else:
        text = _("Minimum spend? Tap, or send an amount.")
    if advice is not None and advice.tiers and advice.aov:
        text += "\n" + _(
            "Your average order value (last 30 days) is {aov}; Seller Center suggests a "
            "minimum spend 1.2–1.5× higher, with deeper discounts for higher tiers:"
        ).format(aov=esc(fmt_money(advice.aov, step.currency)))
        text += "".join(f"\n• {tier_text(t, step.currency)}" for t in advice.tiers)
    elif advice is not None and advice.history_note:
        text += f"\n<i>{esc(_history_note(advice))}</i>"
    tiers = advice.tiers if advice is not None else ()
    return Question(
        text,
        [
            [
                (f"{tier_name(t.name)} {fmt_money(t.min_spend, step.currency)}", str(t.min_spend))
                for t in tiers
            ],
            [(_("No minimum"), "0")],
        ],
    )


def scope_question(step: StepContext[Draft]) -> Question:
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


def quantity_question(step: StepContext[Draft]) -> Question:
    return Question(
        _("Total voucher quantity? Tap, or send a number from 1 to {max}.").format(
            max=number(1_000_000)
        ),
        [[(number(q), str(q)) for q in QTY_CHOICES]],
    )


def per_customer_question(step: StepContext[Draft]) -> Question:
    text = _(
        "Number of claims per customer? Tap, or send a number from 1 to 100 "
        "(at most the total quantity)."
    )
    if step.draft.kind == "live":
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


def period_question(step: StepContext[Draft]) -> Question:
    text = _(
        "Claim period? Tap, or send the start and end in shop time ({timezone}), like "
        "<code>{example}</code> (the start may be <code>now</code>)."
    ).format(timezone=esc(step.timezone), example=period_example(step.now, step.timezone))
    choices = [(_(label), str(h)) for label, h in PERIOD_CHOICES]
    return Question(text, [choices[:2], choices[2:]])


def name_question(step: StepContext[Draft]) -> Question:
    suggested = auto_name(asdict(step.draft), step.currency)
    current = step.draft.name
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


# --- answers ------------------------------------------------------------------------------


async def kind_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg == "l":  # R-code: a LIVE voucher has no promo code
        return Outcome({"kind": "live", "code": None})
    return Outcome({"kind": "regular"})


async def discount_type_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    dtype = "percent" if arg == "p" else "amount"
    changes: dict[str, Any] = {"dtype": dtype}
    if dtype != step.draft.dtype:
        changes.update(amount=None, percent=None, max=None)
    return Outcome(changes)


async def percent_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"percent": int(arg)})


async def value_typed(step: StepContext[Draft], text: str) -> Outcome:
    if step.draft.dtype == "percent":
        try:
            percent = read_percent(text, current_language())
        except ValueError as exc:
            return Outcome(problem=with_reason(exc, text, whole_number_wanted(1, 99, 20)))
        return Outcome({"percent": percent}, echo=read_back(percent, as_percent=True))
    return money_typed(step, text, "amount")


def money_typed(step: StepContext[Any], text: str, key: str) -> Outcome:
    """R-money-in: read in the shop's locale or refused with the accepted form, never guessed;
    what was read is echoed (R-l10n4)."""
    try:
        amount = read_amount(text, step.currency, current_language(), allow_zero=key == "min")
    except MoneyInputError as refusal:
        return Outcome(problem=money_refusal(refusal))
    return Outcome({key: amount}, echo=read_back(amount, currency=step.currency))


def with_reason(exc: ValueError, text: str, hint: str) -> str:
    """The step's hint, after why the reader refused the text when it says more (R-l10n4)."""
    reason = reading_refusal(exc, text)
    return f"{reason}\n{hint}" if reason else hint


async def max_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"max": int(arg)})


async def max_typed(step: StepContext[Draft], text: str) -> Outcome:
    return money_typed(step, text, "max")


async def min_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"min": int(arg)})


async def min_typed(step: StepContext[Draft], text: str) -> Outcome:
    if text.lower() in NO_MINIMUM:
        return Outcome({"min": 0})
    return money_typed(step, text, "min")


async def scope_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg == "p":
        return Outcome({"scope": "products"})
    return Outcome({"scope": "shop", "pids": []})


def whole_number(key: str, text: str, lo: int, hi: int, example: int) -> Outcome:
    """A typed count (R-l10n4: `5,5` is refused, never 55), echoed as it was read."""
    try:
        n = read_count(text, current_language())
    except ValueError as exc:
        return Outcome(problem=with_reason(exc, text, whole_number_wanted(lo, hi, example)))
    return Outcome({key: n}, echo=read_back(n))


async def quantity_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"qty": int(arg)})


async def quantity_typed(step: StepContext[Draft], text: str) -> Outcome:
    return whole_number("qty", text, 1, 1_000_000, 100)


async def per_customer_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"per": int(arg)})


async def per_customer_typed(step: StepContext[Draft], text: str) -> Outcome:
    return whole_number("per", text, 1, 100, 1)


async def period_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"start": None, "end": None, "hours": int(arg)})


async def period_typed(step: StepContext[Draft], text: str) -> Outcome:
    try:
        starts, ends = read_period(text, current_language(), step.timezone, step.now)
    except ValueError:
        return Outcome(
            problem=_(
                "Send the start and the end as <code>YYYY-MM-DD HH:MM</code>, like "
                "<code>{example}</code>."
            ).format(example=period_example(step.now, step.timezone))
        )
    return Outcome(
        {
            "start": None if starts == step.now else starts.isoformat(),
            "end": ends.isoformat(),
            "hours": None,
        },
        echo=read_back((starts, ends), zone=step.timezone),
    )


async def name_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg == "keep" and step.draft.name:
        return Outcome({"name": step.draft.name})
    return Outcome({"name": auto_name(asdict(step.draft), step.currency)})


async def name_typed(step: StepContext[Draft], text: str) -> Outcome:
    return Outcome({"name": text})
