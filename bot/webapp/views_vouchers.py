"""R-app2: the vouchers view — by status, remaining quota as bars, a voucher's details, and
for the seller Add quantity, Raise budget and Deactivate (what /vouchers, /voucher, /quota,
/addqty and /deactivate do in the chat), through the same VoucherService calls as the bot.
A voucher's targeting (R-seg, R-code, R-budget, R-redeem) is on its card, as /voucher shows it,
and in short on its row."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import _, ngettext, number
from bot.telegram.render import (
    STATUS_ORDER,
    discount,
    esc,
    kind_short,
    money,
    status_label,
    status_name,
    voucher_details,
)
from bot.telegram.render import _targeting_lines as targeting_lines
from bot.telegram.wording import money_refusal, whole_number_wanted
from bot.webapp.html import card, fragment, get_button, hidden, nav, notice, quota_bar
from bot.webapp.html import esc as attr
from bot.webapp.visitor import Visitor, services_of
from core.errors import ValidationFailed
from core.money import MoneyInputError
from core.reading import read_amount, read_count
from core.rules.roles import Action
from core.rules.vouchers import MAX_QUANTITY
from core.services.accounts import Membership
from core.views import VoucherView

OPEN = ("upcoming", "ongoing")


def left_text(v: VoucherView) -> str:
    if v.remaining <= 0:
        return _("sold out")
    return _("{remaining}/{total} left").format(
        remaining=number(v.remaining), total=number(v.total_quantity)
    )


def targeting_text(v: VoucherView, member: Membership) -> str:
    """A row's short targeting line (R-seg, R-code, R-budget, R-redeem), HTML; empty when the
    voucher has none."""
    parts = targeting_lines(v)  # the card's own lines (segment, code, uses allowed)
    if v.budget is not None:
        parts.append(
            _("budget {left} of {budget} left").format(
                left=money(v.budget_left or 0, member.shop), budget=money(v.budget, member.shop)
            )
        )
    return " · ".join(parts)


def _row(v: VoucherView, member: Membership) -> str:
    left = left_text(v)
    targeting = targeting_text(v, member)
    more = f'<span class="meta">{targeting}</span>' if targeting else ""
    return (
        f'<li><button type="button" class="row" data-get="/app/v/voucher/{v.id}">'
        f'<span class="title">{esc(v.name)}</span>'
        f'<span class="meta">{kind_short(v.kind)} · {discount(v, member.shop)} · '
        f"{status_label(v)}</span>{more}"
        f"{quota_bar(v.remaining, v.total_quantity, left)}"
        f'<span class="meta">{esc(left)}</span></button></li>'
    )


def _filters(chosen: str | None) -> str:
    chips = [("", _("All"))] + [(s, status_name(s)) for s in STATUS_ORDER]
    out = []
    for key, label in chips:
        pressed = "true" if (key or None) == chosen else "false"
        url = f"/app/v/vouchers?status={key}" if key else "/app/v/vouchers"
        out.append(
            f'<button type="button" class="chip" aria-pressed="{pressed}" data-get="{url}">'
            f"{esc(label)}</button>"
        )
    label = attr(_("Status"))
    return f'<div class="chips" role="group" aria-label="{label}">{"".join(out)}</div>'


async def vouchers(request: web.Request, v: Visitor, member: Membership) -> str:
    status = request.query.get("status") or None
    found = await services_of(request).vouchers.list(member.actor, status=status, limit=100)
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    found.sort(key=lambda x: (order.get(x.status, 9), -(x.id or 0)))
    seller = member.actor.may(Action.MANAGE_VOUCHERS)
    body = [nav("vouchers", seller=seller), "<h1>" + esc(_("Vouchers")) + "</h1>", _filters(status)]
    if found:
        body.append(f'<ul class="list">{"".join(_row(x, member) for x in found)}</ul>')
    else:
        body.append(notice(esc(_("No vouchers yet."))))
    return fragment("".join(body), view="vouchers")


async def voucher(request: web.Request, v: Visitor, member: Membership, said: str = "") -> str:
    voucher_id = int(request.match_info["id"])
    found = await services_of(request).vouchers.get(member.actor, voucher_id)
    return detail(found, member, said)


def detail(
    found: VoucherView,
    member: Membership,
    said: str = "",
    confirm: bool = False,
    errors: dict[str, str] | None = None,
) -> str:
    """A voucher's card and, for the seller, its actions; `errors` are refusals of a typed
    value, by the action's input name, shown under that input."""
    errors = errors or {}
    seller = member.actor.may(Action.MANAGE_VOUCHERS)
    body = [nav("vouchers", seller=seller)]
    if said:
        body.append(notice(said, "ok"))
    body.append(card(voucher_details(found, member.shop)))
    body.append(quota_bar(found.remaining, found.total_quantity, left_text(found)))
    if seller and found.status in OPEN:
        body.append(
            _inline_form(found, "add", "quantity", _("➕ Add quantity"), errors.get("quantity"))
        )
        if found.budget is not None:  # R-budget: raised like the quantity (R-v10)
            label = _("New budget ({currency})").format(currency=member.shop.currency)
            body.append(
                _inline_form(
                    found,
                    "budget",
                    "budget",
                    label,
                    errors.get("budget"),
                    button=_("💰 Raise budget"),
                    mode="decimal",
                )
            )
        body.append(_deactivate(found) if confirm else _deactivate_button(found))
    body.append(get_button(_("📊 Stats"), f"/app/v/stats/{found.id}", cls="secondary"))
    body.append(get_button(_("🔄 Refresh"), f"/app/v/voucher/{found.id}", cls="secondary"))
    body.append(get_button(_("Vouchers"), "/app/v/vouchers", cls="secondary"))
    return fragment("".join(body), view="voucher")


def _inline_form(
    found: VoucherView,
    action: str,
    name: str,
    label: str,
    error: str | None,
    *,
    button: str | None = None,
    mode: str = "numeric",
) -> str:
    """One typed value and its button (Add quantity, Raise budget), its refusal under it."""
    fid = f"{action}-{name}"
    problem = f'<p class="field-error" id="{fid}-error">{error}</p>' if error else ""
    described = f' aria-describedby="{fid}-error" aria-invalid="true"' if error else ""
    return (
        f'<form class="inline" data-post="/app/a/voucher/{found.id}/{action}">'
        f'<label for="{fid}">{esc(label)}</label>'
        f'<input id="{fid}" name="{name}" inputmode="{mode}" autocomplete="off"{described}>'
        f'{problem}<button type="submit">{esc(button or label)}</button></form>'
    )


def _deactivate_button(found: VoucherView) -> str:
    return (
        f'<form data-post="/app/a/voucher/{found.id}/deactivate">'
        '<button type="submit" class="danger">' + esc(_("⛔ Deactivate")) + "</button></form>"
    )


def _deactivate(found: VoucherView) -> str:
    question = ngettext(
        "Deactivate <b>{name}</b> (#{id})? This ends the promotion for good: no new "
        "claims, its distributions stop, and the {n} claimed voucher that is not used "
        "yet can no longer be used.",
        "Deactivate <b>{name}</b> (#{id})? This ends the promotion for good: no new "
        "claims, its distributions stop, and the {n} claimed vouchers that are not used "
        "yet can no longer be used.",
        found.claimed,
    ).format(name=esc(found.name), id=found.id, n=number(found.claimed))
    return (
        f'<form class="confirm" data-post="/app/a/voucher/{found.id}/deactivate">'
        f'<p role="alert">{question}</p>{hidden("confirm", "1")}'
        '<button type="submit" class="danger">'
        + esc(_("⛔ Yes, deactivate"))
        + "</button>"
        + get_button(_("Keep it"), f"/app/v/voucher/{found.id}", cls="secondary")
        + "</form>"
    )


async def add_quantity(request: web.Request, v: Visitor, member: Membership) -> str:
    voucher_id = int(request.match_info["id"])
    form = await request.post()
    services = services_of(request)
    try:
        n = read_count(str(form.get("quantity", "")), v.language)
        if n < 1:
            raise ValueError("below 1")
    except ValueError:
        found = await services.vouchers.get(member.actor, voucher_id)
        wanted = esc(whole_number_wanted(1, MAX_QUANTITY, 50))
        return detail(found, member, errors={"quantity": wanted})
    found = await services.vouchers.add_quantity(member.actor, voucher_id, n)
    said = _(
        "✅ Added {amount} to <b>{name}</b> (#{id}): {total} in total, {remaining} left."
    ).format(
        amount=number(n),
        name=esc(found.name),
        id=found.id,
        total=number(found.total_quantity),
        remaining=number(found.remaining),
    )
    return detail(found, member, said)


async def raise_budget(request: web.Request, v: Visitor, member: Membership) -> str:
    """R-budget / R-v10: the new budget, read as money (R-money-in), raised by core (which
    refuses a smaller one, or a voucher without a budget)."""
    voucher_id = int(request.match_info["id"])
    form = await request.post()
    services = services_of(request)
    shop = member.shop
    try:
        budget = read_amount(str(form.get("budget", "")), shop.currency, v.language)
        found = await services.vouchers.edit(member.actor, voucher_id, {"budget": budget})
    except (MoneyInputError, ValidationFailed) as exc:
        found = await services.vouchers.get(member.actor, voucher_id)
        if isinstance(exc, MoneyInputError):
            why = money_refusal(exc)
        else:
            why = _("The new budget must be at least {amount}.").format(
                amount=money(found.budget or 0, shop)
            )
        return detail(found, member, errors={"budget": why})
    said = _("✅ The budget of <b>{name}</b> (#{id}) is now {budget}, {left} left.").format(
        name=esc(found.name),
        id=found.id,
        budget=money(found.budget or 0, shop),
        left=money(found.budget_left or 0, shop),
    )
    return detail(found, member, said)


async def deactivate(request: web.Request, v: Visitor, member: Membership) -> str:
    voucher_id = int(request.match_info["id"])
    form = await request.post()
    services = services_of(request)
    if form.get("confirm") != "1":
        found = await services.vouchers.get(member.actor, voucher_id)
        return detail(found, member, confirm=True)
    found = await services.vouchers.deactivate(member.actor, voucher_id)
    said = _(
        "⛔ <b>{name}</b> (#{id}) is deactivated: no new claims, its distributions "
        "stopped, and unused claimed vouchers can no longer be used."
    ).format(name=esc(found.name), id=found.id)
    return detail(found, member, said)
