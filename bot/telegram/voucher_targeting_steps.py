"""/newvoucher's targeting steps (issues 20 and 21): who the voucher is for (R-seg), a budget
cap (R-budget), a promo code for a Regular voucher (R-code) and how many orders may use it
(R-redeem). Questions are pure; answers read typed text through core/reading.py only and are
echoed as read (R-l10n4); every rule is the core's: the table's check runs `validate_draft`
on each answer (a budget below one claim's largest discount, a malformed code), and the two
rules that read other vouchers (a code already used, a second new-customer voucher) are asked of
`VoucherService.preview`, the very call the API's dry run makes.

    period → segment → budget ─┬─(regular)→ code ─┐
                               └─────────────────→ uses → name
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from bot.i18n import _, capital, number
from bot.i18n import current as current_language
from bot.i18n import money as fmt_money
from bot.telegram.flow_table import Outcome, Question, StepContext
from bot.telegram.read_back import read_back
from bot.telegram.render import esc
from bot.telegram.voucher_draft import to_draft
from bot.telegram.voucher_steps import Draft, money_typed, whole_number
from bot.telegram.wording import refusal_text, segment_label, segment_meaning
from core.errors import ValidationFailed, VoucherbotError
from core.reading import Keyword, read_keyword
from core.refusal_codes import VoucherCode
from core.rules.targeting import (
    MAX_REDEMPTION_LIMIT,
    Segment,
    SegmentWindows,
    generate_code,
    normal_code,
)
from core.rules.vouchers import unit_discount_cap

NO = "none"  # the "No budget" / "No code" / "No limit" buttons' argument
USE = "use:"  # "Use <generated code>": `use:<code>`


def now_line(value: str) -> str:
    """What the draft holds, under a question reached again (◀ Back, or Edit)."""
    return _("Now: <b>{value}</b>").format(value=esc(value))


def _said_none(text: str) -> bool:
    """`none`, `tanpa`, `ไม่มี`…: the person's word for "no budget / no code / no limit"."""
    return read_keyword(text, current_language()) is Keyword.NONE


async def _refused_by_core(
    step: StepContext[Draft], changes: dict[str, Any], codes: tuple[str, ...]
) -> str | None:
    """The core's refusal (among `codes`) of the draft with these changes, in the seller's
    words: `preview` checks what needs the other vouchers. Other problems are left to the
    steps that ask for them and to the summary."""
    state = {**asdict(step.draft), **changes}
    try:
        await step.services.vouchers.preview(
            step.actor, to_draft(state, step.now, step.currency, fill=True)
        )
    except ValidationFailed:
        return None
    except VoucherbotError as exc:
        if exc.code in codes:
            return refusal_text(exc, step.currency)
    return None


# --- who it is for (R-seg) -------------------------------------------------------------------


async def load_windows(step: StepContext[Draft]) -> SegmentWindows:
    return await step.services.shops.segment_windows(step.actor)


def segment_question(step: StepContext[Draft]) -> Question:
    windows: SegmentWindows | None = step.data
    lines = [_("Who can claim it? Tap one:")]
    lines += [
        f"• <b>{esc(capital(segment_label(s)))}</b>: {esc(segment_meaning(s, windows))}"
        for s in Segment
    ]
    buttons = [(capital(segment_label(s)), s.value) for s in Segment]
    return Question("\n".join(lines), [buttons[:1], buttons[1:3], buttons[3:]])


async def segment_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    changes: dict[str, Any] = {"segment": arg}
    if arg == Segment.NEW_CUSTOMERS:  # R-seg: one new-customer voucher at a time
        problem = await _refused_by_core(step, changes, (VoucherCode.NEW_CUSTOMERS_VOUCHER_EXISTS,))
        if problem:
            return Outcome(problem=problem)
    return Outcome(changes)


# --- budget (R-budget) -----------------------------------------------------------------------


def budget_question(step: StepContext[Draft]) -> Question:
    hold = unit_discount_cap(to_draft(asdict(step.draft), step.now, step.currency, fill=True))
    text = _(
        "Budget? The most this voucher may cost in discounts. Each claim holds its largest "
        "discount ({hold}) until it is used or given back, so the budget is never exceeded. "
        "Send an amount in {currency}, or tap No budget."
    ).format(hold=esc(fmt_money(hold, step.currency)), currency=esc(step.currency))
    if step.draft.budget is not None:
        text += "\n" + now_line(fmt_money(step.draft.budget, step.currency))
    return Question(text, [[(_("No budget"), NO)]])


async def budget_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"budget": None})


async def budget_typed(step: StepContext[Draft], text: str) -> Outcome:
    """R-money-in: the shop's currency in the seller's writing; below one claim's largest
    discount is refused by the table's check, as the core words it."""
    if _said_none(text):
        return Outcome({"budget": None})
    return money_typed(step, text, "budget")


# --- promo code (R-code) ---------------------------------------------------------------------


async def load_code(step: StepContext[Draft]) -> str:
    """A readable code from the core to offer (no 0/O or 1/I); it is checked when chosen."""
    return generate_code()


def code_question(step: StepContext[Draft]) -> Question:
    offered: str = step.data
    text = _(
        "Promo code? Buyers enter it at checkout to get this voucher. Tap to use "
        "<b>{code}</b>, send your own (6–12 letters A–Z and digits), or tap No code."
    ).format(code=esc(offered))
    rows = [[(_("Use {code}").format(code=offered), USE + offered)]]
    if step.draft.code:
        text += "\n" + now_line(step.draft.code)
        rows.append([(_("Keep {code}").format(code=step.draft.code), USE + step.draft.code)])
    rows.append([(_("No code"), NO)])
    return Question(text, rows)


async def _code_chosen(step: StepContext[Draft], code: str, echo: str | None) -> Outcome:
    changes: dict[str, Any] = {"code": code}
    if normal_code(code) == code:  # well formed: is it free among the shop's vouchers?
        problem = await _refused_by_core(step, changes, (VoucherCode.CODE_TAKEN,))
        if problem:
            return Outcome(problem=problem, echo=echo)
    return Outcome(changes, echo=echo)


async def code_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    if arg.startswith(USE):
        return await _code_chosen(step, arg.removeprefix(USE), None)
    return Outcome({"code": None})


async def code_typed(step: StepContext[Draft], text: str) -> Outcome:
    """Read case-insensitively (R-code); a malformed one is refused by the table's check with
    the core's rule, never changed into another code."""
    if _said_none(text):
        return Outcome({"code": None})
    code = normal_code(text) or text.strip()
    return await _code_chosen(step, code, read_back(code))


# --- uses allowed (R-redeem) -----------------------------------------------------------------


def uses_question(step: StepContext[Draft]) -> Question:
    text = _(
        "How many orders may use it? Once that many orders used it, its claims can no longer "
        "be used (a cancelled order frees a place). Send a number, or tap No limit."
    )
    if step.draft.uses is not None:
        text += "\n" + now_line(number(step.draft.uses))
    return Question(text, [[(_("No limit"), NO)]])


async def uses_tapped(step: StepContext[Draft], arg: str) -> Outcome:
    return Outcome({"uses": None})


async def uses_typed(step: StepContext[Draft], text: str) -> Outcome:
    if _said_none(text):
        return Outcome({"uses": None})
    return whole_number("uses", text, 1, MAX_REDEMPTION_LIMIT, 100)
