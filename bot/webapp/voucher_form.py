"""R-app2: the new voucher form. The same steps as the bot's /newvoucher — kind, discount,
maximum discount, minimum spend, products, quantity, claims per customer, claim period, name —
read with the same readers (`core.reading`: amounts as R-money-in and R-l10n4 say, counts,
the period) and checked by the same core calls (`VoucherService.preview`, which runs
`validate_draft`, the catalog and the R-v8 / R-adv2 warnings; `VoucherService.create` with
whether the seller accepted R-v8).

`FIELDS` is the form: one `FormField` per question, in order: its input, its label, the core
field paths whose errors it shows, and a reader from the typed text to the draft's attributes.
The targeting fields (R-seg, R-budget, R-code, R-redeem) are read here only as text → value
(the budget with the money reader); whether they are allowed is core's `validate_draft` and
`check_targeting`, as for the API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.i18n import N_, _, capital
from bot.telegram.voucher_draft import auto_name
from bot.telegram.wording import (
    field_problem,
    money_refusal,
    segment_label,
    segment_meaning,
    whole_number_wanted,
)
from bot.webapp.html import esc, hidden
from core.errors import FieldError
from core.money import MoneyInputError
from core.reading import read_amount, read_count, read_period
from core.rules.targeting import MAX_REDEMPTION_LIMIT, Segment, SegmentWindows
from core.rules.vouchers import MAX_PER_CUSTOMER, MAX_QUANTITY, VoucherDraft


@dataclass(frozen=True)
class Reading:
    """What a reader needs besides the text."""

    currency: str
    language: str
    timezone: str
    now: datetime


class Unreadable(ValueError):
    """A typed value refused before the core sees it; `text` is the sentence (HTML)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


Reader = Callable[[Mapping[str, str], Reading], dict[str, Any]]


@dataclass(frozen=True)
class FormField:
    name: str  # the input's name
    label: str  # N_() message
    reader: Reader  # the form's text → the draft's attributes
    targets: tuple[str, ...]  # core field paths (FieldError.field) whose errors show here
    kind: str = "text"  # text | choice | select | number | amount | period | code
    choices: tuple[tuple[str, str], ...] = ()  # (value, N_() label)
    shown_when: tuple[str, str] | None = None  # (field, value): asked only then
    hint: str | None = None  # N_() message under the input
    default: str = ""


def _choice(name: str, attr: str, default: str = "") -> Reader:
    return lambda form, r: {attr: form.get(name) or default}


def _amount(
    name: str,
    attr: str,
    *,
    allow_zero: bool = False,
    blank: int | None = None,
    optional: bool = False,
) -> Reader:
    """An amount (R-money-in); empty is `blank` when given, none when `optional`."""

    def read(form: Mapping[str, str], r: Reading) -> dict[str, Any]:
        text = form.get(name, "").strip()
        if not text and (blank is not None or optional):
            return {attr: blank}
        try:
            return {attr: read_amount(text, r.currency, r.language, allow_zero=allow_zero)}
        except MoneyInputError as refusal:
            raise Unreadable(money_refusal(refusal)) from refusal

    return read


def _count(
    name: str, attr: str, lo: int, hi: int, example: int, *, optional: bool = False
) -> Reader:
    """A whole number (R-l10n4); empty is none when `optional`."""

    def read(form: Mapping[str, str], r: Reading) -> dict[str, Any]:
        if optional and not form.get(name, "").strip():
            return {attr: None}
        try:
            return {attr: read_count(form.get(name, ""), r.language)}
        except ValueError as exc:
            raise Unreadable(esc(whole_number_wanted(lo, hi, example))) from exc

    return read


def _products(form: Mapping[str, str], r: Reading) -> dict[str, Any]:
    ids = [p for p in form.get("products", "").replace(",", " ").split() if p]
    return {"product_ids": tuple(ids)}


def _code(form: Mapping[str, str], r: Reading) -> dict[str, Any]:
    """R-code: the typed code as typed (core reads it case-insensitively and judges it)."""
    return {"code": form.get("code", "").strip() or None}


def _period(form: Mapping[str, str], r: Reading) -> dict[str, Any]:
    start, end = form.get("start", "").strip() or "now", form.get("end", "").strip()
    try:
        starts, ends = read_period(f"{start} to {end}", r.language, r.timezone, r.now)
    except ValueError as exc:
        raise Unreadable(esc(_("Choose when the claim period ends."))) from exc
    return {"starts_at": starts, "ends_at": ends}


FIELDS: tuple[FormField, ...] = (
    FormField(
        "kind",
        N_("Kind"),
        _choice("kind", "kind"),
        ("kind",),
        "choice",
        (("regular", N_("Regular")), ("live", N_("LIVE"))),
        default="regular",
    ),
    FormField(
        "dtype",
        N_("Discount"),
        _choice("dtype", "discount_type"),
        ("discount.type",),
        "choice",
        (("amount", N_("Amount off")), ("percent", N_("Percentage off"))),
        default="amount",
    ),
    FormField(
        "amount",
        N_("The discount"),
        _amount("amount", "amount"),
        ("discount.amount",),
        "amount",
        shown_when=("dtype", "amount"),
    ),
    FormField(
        "percent",
        N_("The percentage"),
        _count("percent", "percent", 1, 99, 20),
        ("discount.percent",),
        "number",
        shown_when=("dtype", "percent"),
    ),
    FormField(
        "max",
        N_("The maximum discount per order"),
        _amount("max", "max_discount"),
        ("discount.max_discount",),
        "amount",
        shown_when=("dtype", "percent"),
    ),
    FormField(
        "min",
        N_("Minimum spend"),
        _amount("min", "min_spend", allow_zero=True, blank=0),
        ("min_spend",),
        "amount",
    ),
    FormField(
        "scope",
        N_("Products"),
        _choice("scope", "scope"),
        ("scope.type",),
        "choice",
        (("shop", N_("Entire shop")), ("products", N_("Specific products"))),
        default="shop",
    ),
    FormField(
        "products",
        N_("Specific products"),
        _products,
        ("scope.product_ids",),
        shown_when=("scope", "products"),
        hint=N_("Product ids, separated by commas."),
    ),
    FormField(
        "qty",
        N_("Quantity"),
        _count("qty", "total_quantity", 1, MAX_QUANTITY, 100),
        ("total_quantity",),
        "number",
        default="100",
    ),
    FormField(
        "per",
        N_("Claims per customer"),
        _count("per", "per_customer_limit", 1, MAX_PER_CUSTOMER, 1),
        ("per_customer_limit",),
        "number",
        default="1",
    ),
    FormField(
        "period",
        N_("Claim period"),
        _period,
        ("starts_at", "ends_at", "redeem_until", "valid_days"),
        "period",
    ),
    FormField(
        "segment",
        N_("Who can claim it"),
        _choice("segment", "segment", Segment.ALL.value),
        ("segment",),
        "select",
        # Worded by segment_option (the bot's segment words and meanings), not by a label here.
        tuple((s.value, "") for s in Segment),
        default=Segment.ALL.value,
    ),
    FormField(
        "budget",
        N_("Budget"),
        _amount("budget", "budget", optional=True),
        ("budget",),
        "amount",
        hint=N_("The most the discounts may cost in all. Leave it empty for no cap."),
    ),
    FormField(
        "code",
        N_("Promo code"),
        _code,
        ("code",),
        "code",
        shown_when=("kind", "regular"),
        hint=N_("Buyers type it at checkout: 6–12 letters and digits. Leave it empty for no code."),
    ),
    FormField(
        "uses",
        N_("Uses allowed"),
        _count("uses", "redemption_limit", 1, MAX_REDEMPTION_LIMIT, 50, optional=True),
        ("redemption_limit",),
        "number",
        hint=N_("How many orders may use it in all. Leave it empty for no limit."),
    ),
    FormField(
        "name",
        N_("Name"),
        lambda form, r: {"name": form.get("name", "").strip()},
        ("name",),
        hint=N_("Buyers see it. Leave it empty for a name made from the discount."),
    ),
)
# Inputs that belong to a field besides its own name.
EXTRA_INPUTS = {"period": ("start", "end")}


def asked(field: FormField, form: Mapping[str, str]) -> bool:
    if field.shown_when is None:
        return True
    other, value = field.shown_when
    default = next((f.default for f in FIELDS if f.name == other), "")
    return (form.get(other) or default) == value


def read_form(
    form: Mapping[str, str], r: Reading
) -> tuple[VoucherDraft | None, dict[str, list[str]]]:
    """The draft the form describes, or the problems per field (sentences, HTML)."""
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for field in FIELDS:
        if not asked(field, form):
            continue
        try:
            values.update(field.reader(form, r))
        except Unreadable as refusal:
            problems.setdefault(field.name, []).append(refusal.text)
    if problems:
        return None, problems
    if not values.get("name"):
        values["name"] = auto_name(_state(values), r.currency)
    return VoucherDraft(**values), problems


def _state(values: Mapping[str, Any]) -> dict[str, Any]:
    """The bot's draft keys, for its automatic name."""
    return {
        "dtype": values.get("discount_type"),
        "amount": values.get("amount"),
        "percent": values.get("percent"),
        "min": values.get("min_spend"),
        "kind": values.get("kind"),
    }


def place_errors(errors: list[FieldError], currency: str) -> dict[str, list[str]]:
    """The core's field errors, each under the field that asks for it (R-b1)."""
    problems: dict[str, list[str]] = {}
    for error in errors:
        owner = next((f for f in FIELDS if error.field in f.targets), FIELDS[-1])
        problems.setdefault(owner.name, []).append(field_problem(error, currency))
    return problems


def render_form(
    form: Mapping[str, str],
    problems: Mapping[str, list[str]],
    timezone: str,
    currency: str,
    windows: SegmentWindows | None = None,
) -> str:
    """The form's fields; amounts are labelled with the shop's currency, the period with its
    time zone (what a typed value is read in), segments with the shop's windows (R-seg)."""
    parts = []
    for field in FIELDS:
        unit = currency if field.kind == "amount" else timezone
        parts.append(_render_field(field, form, problems.get(field.name, []), unit, windows))
    return "".join(parts)


def segment_option(segment: str, windows: SegmentWindows | None) -> str:
    """A segment as a choice: its name and what it means in one line (R-seg)."""
    label = segment_label(segment)
    return _("{segment} — {meaning}").format(
        segment=capital(label), meaning=segment_meaning(segment, windows)
    )


# The checkbox asking for a generated code (R-code); views_new fills the code when it is ticked.
GENERATE = "generate_code"


def _render_field(
    field: FormField,
    form: Mapping[str, str],
    problems: list[str],
    unit: str,
    windows: SegmentWindows | None = None,
) -> str:
    fid = f"f-{field.name}"
    shown = "" if asked(field, form) else " hidden"
    when = (
        f' data-shown-when="{field.shown_when[0]}={field.shown_when[1]}"'
        if field.shown_when
        else ""
    )
    error_id = f"{fid}-error"
    invalid = f' aria-invalid="true" aria-describedby="{error_id}"' if problems else ""
    value = form.get(field.name, field.default)
    if field.kind == "choice":
        options = "".join(
            f'<label class="option"><input type="radio" name="{field.name}" value="{v}"'
            f"{' checked' if (value or field.default) == v else ''}> {esc(_(label))}</label>"
            for v, label in field.choices
        )
        control = (
            f'<fieldset id="{fid}"{invalid}><legend>{esc(_(field.label))}</legend>{options}'
            "</fieldset>"
        )
    elif field.kind == "select":
        chosen = value or field.default
        options = "".join(
            f'<option value="{v}"{" selected" if chosen == v else ""} '
            f'data-meaning="{esc(segment_meaning(v, windows))}">'
            f"{esc(segment_option(v, windows))}</option>"
            for v, _label in field.choices
        )
        # The chosen one's meaning in full under the select (a closed select cuts its text at
        # 360 px); app.js keeps it in step with the choice.
        hint_id = f"{fid}-hint"
        described = "" if problems else f' aria-describedby="{hint_id}"'
        control = (
            f'<label for="{fid}">{esc(_(field.label))}</label>'
            f'<select id="{fid}" name="{field.name}" data-meaning-in="{hint_id}"'
            f"{invalid}{described}>{options}</select>"
            f'<p class="hint" id="{hint_id}">{esc(segment_meaning(chosen, windows))}</p>'
        )
    elif field.kind == "period":
        start, end = form.get("start", ""), form.get("end", "")
        starts_label, ends_label = esc(_("Starts")), esc(_("Ends"))
        control = (
            f'<fieldset id="{fid}"{invalid}><legend>{esc(_(field.label))} ({esc(unit)})'
            f'</legend><label for="f-start">{starts_label}</label>'
            f'<input id="f-start" type="datetime-local" name="start" value="{esc(start)}">'
            f'<label for="f-end">{ends_label}</label>'
            f'<input id="f-end" type="datetime-local" name="end" value="{esc(end)}"></fieldset>'
        )
    else:
        mode = {"number": "numeric", "amount": "decimal"}.get(field.kind, "text")
        # R-code: a code is typed in capitals (core reads it case-insensitively anyway).
        extra = ' autocapitalize="characters"' if field.kind == "code" else ""
        hint_id = f"{fid}-hint"
        described = f' aria-describedby="{hint_id}"' if field.hint and not problems else ""
        label = esc(_(field.label)) + (f" ({esc(unit)})" if field.kind == "amount" else "")
        control = (
            f'<label for="{fid}">{label}</label>'
            f'<input id="{fid}" name="{field.name}" value="{esc(value)}" inputmode="{mode}" '
            f'autocomplete="off"{extra}{invalid}{described}>'
        )
        if field.hint:
            control += f'<p class="hint" id="{hint_id}">{esc(_(field.hint))}</p>'
        if field.kind == "code":
            make_up = esc(_("Make up a code for me"))
            control += (
                f'<label class="option"><input type="checkbox" name="{GENERATE}" value="1">'
                f" {make_up}</label>"
            )
    errors = (
        f'<p class="field-error" id="{error_id}">{"<br>".join(problems)}</p>' if problems else ""
    )
    return f'<div class="field"{when}{shown}>{control}{errors}</div>'


def carried(form: Mapping[str, str]) -> str:
    """The form's values as hidden inputs, for the summary's buttons."""
    names = [f.name for f in FIELDS] + [n for ns in EXTRA_INPUTS.values() for n in ns]
    return "".join(hidden(n, form[n]) for n in names if n in form)
