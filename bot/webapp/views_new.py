"""R-app2: creating a voucher from the page — the form (bot/webapp/voucher_form.py), the
summary with estimated spend and warnings (VoucherService.preview), R-v8's Continue, and the
creation itself (VoucherService.create, refusing an unaccepted low maximum discount).

R-seg / R-code refusals that need other vouchers (a code taken, a second new-customers
voucher) come from core as conflicts; they are shown under the field they are about, like the
field errors."""

from __future__ import annotations

from aiohttp import web

from bot.i18n import _
from bot.telegram.render import low_discount_warning, voucher_details, warning_text
from bot.telegram.wording import refusal_text
from bot.webapp.html import card, esc, fragment, hidden, nav, notice
from bot.webapp.views_vouchers import detail
from bot.webapp.visitor import Visitor, services_of
from bot.webapp.voucher_form import (
    GENERATE,
    Reading,
    carried,
    place_errors,
    read_form,
    render_form,
)
from core.errors import ValidationFailed, VoucherbotError
from core.refusal_codes import VoucherCode
from core.rules.targeting import SegmentWindows, generate_code
from core.rules.vouchers import LOW_MAX_DISCOUNT
from core.services.accounts import Membership
from core.services.vouchers import LOW_DISCOUNT_UNACKNOWLEDGED
from core.views import VoucherView

# Core's conflicts that are about one field of the form: shown under it (R-code, R-seg).
CONFLICT_FIELDS: dict[str, str] = {
    VoucherCode.CODE_TAKEN: "code",
    VoucherCode.NEW_CUSTOMERS_VOUCHER_EXISTS: "segment",
}


async def _form_page(
    request: web.Request,
    form: dict[str, str],
    problems: dict[str, list[str]],
    member: Membership,
    said: str = "",
) -> str:
    windows: SegmentWindows = await services_of(request).shops.segment_windows(member.actor)
    body = [nav("new", seller=True), "<h1>" + esc(_("New voucher")) + "</h1>"]
    if said:
        body.append(notice(said, "error"))
    body.append(
        '<form class="voucher-form" data-post="/app/a/new" novalidate>'
        + render_form(form, problems, member.shop.timezone, member.shop.currency, windows)
        + hidden("step", "review")
        + '<button type="submit">'
        + esc(_("Check your voucher"))
        + "</button></form>"
    )
    return fragment("".join(body), view="new")


async def new_form(request: web.Request, v: Visitor, member: Membership) -> str:
    return await _form_page(request, {}, {}, member)


def _summary(form: dict[str, str], view: VoucherView, member: Membership) -> str:
    shop = member.shop
    body = [nav("new", seller=True), "<h1>" + esc(_("Check your voucher")) + "</h1>"]
    body.append(card(voucher_details(view, shop, draft=True)))
    low = next((w for w in view.warnings if w.code == LOW_MAX_DISCOUNT), None)
    for w in view.warnings:
        if w.code != LOW_MAX_DISCOUNT:
            body.append(notice("⚠️ " + warning_text(w.code, w.data, shop), "warn"))
    if low is not None:
        body.append(notice(low_discount_warning(low.data, view.percent or 0, shop), "warn"))
        go, ack = _("Continue"), "1"
    else:
        go, ack = _("✅ Submit"), "0"
    body.append(
        '<form class="actions" data-post="/app/a/new">'
        + carried(form)
        + hidden("ack", ack)
        + f'<button type="submit" name="step" value="create">{esc(go)}</button>'
        + '<button type="submit" name="step" value="edit" class="secondary">'
        + esc(_("Edit"))
        + "</button></form>"
    )
    return fragment("".join(body), view="new")


async def submit(request: web.Request, v: Visitor, member: Membership) -> str:
    posted = await request.post()
    form = {k: str(val) for k, val in posted.items() if isinstance(val, str)}
    step = form.pop("step", "review")
    ack = form.pop("ack", "0") == "1"
    services = services_of(request)
    if step == "edit":
        return await _form_page(request, form, {}, member)
    if form.pop(GENERATE, "") == "1":  # R-code: core's readable generated code
        form["code"] = generate_code()
    shop = member.shop
    reading = Reading(shop.currency, v.language, shop.timezone, services.clock.now())
    draft, problems = read_form(form, reading)
    if draft is None:
        return await _form_page(request, form, problems, member)
    try:
        if step == "create":
            created = await services.vouchers.create(
                member.actor, draft, low_discount_acknowledged=ack
            )
            return detail(created, member, _("✅ Voucher created."))
        view = await services.vouchers.preview(member.actor, draft)
    except ValidationFailed as exc:
        return await _form_page(request, form, place_errors(exc.errors, shop.currency), member)
    except VoucherbotError as exc:
        if exc.code == LOW_DISCOUNT_UNACKNOWLEDGED:  # R-v8 appeared since the summary: show it
            return _summary(form, await services.vouchers.preview(member.actor, draft), member)
        words = refusal_text(exc, shop.currency)
        field = CONFLICT_FIELDS.get(exc.code)
        if field is not None:
            return await _form_page(request, form, {field: [words]}, member)
        return await _form_page(request, form, {}, member, words)
    return _summary(form, view, member)
