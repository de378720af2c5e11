"""/vouchers, /voucher, /addqty, /deactivate and /quota (the /newvoucher flow is in
voucher_flow.py). Buttons: `vl:<status>:<page>` list pages, `vp:<page>` picker pages,
`v:<id>` details, `v:<id>:dx` / `v:<id>:dx!` deactivate and confirm (/addqty, /addbudget and
their `v:<id>:add` / `v:<id>:budget` buttons: quantity_flow.py)."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    filters,
)

from bot.i18n import N_, _, ngettext, number
from bot.i18n import current as current_language
from bot.telegram import quantity_flow, voucher_flow
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import Button
from bot.telegram.commands import Audience, CommandInfo
from bot.telegram.features import DetailButtons, Wiring, command, new_messages
from bot.telegram.keyboards import button, fit, grid, markup, pager
from bot.telegram.render import (
    STATUS_LABELS,
    STATUS_ORDER,
    clip,
    esc,
    paginate,
    status_label,
    status_name,
    voucher_details,
    voucher_line,
)
from bot.telegram.replies import ack, say, show, stale
from bot.telegram.wording import status_word
from core.reading import read_count
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership
from core.services.vouchers import VOUCHER_STATUSES
from core.views import VoucherView

COMMANDS = [
    CommandInfo("newvoucher", "/newvoucher", N_("create a voucher, step by step"), Audience.SELLER),
    CommandInfo(
        "vouchers",
        N_("/vouchers [status]"),
        N_("list vouchers with remaining quota"),
        Audience.LINKED,
    ),
    CommandInfo("voucher", N_("/voucher <id>"), N_("a voucher's details"), Audience.LINKED),
    CommandInfo(
        "addqty",
        N_("/addqty <id> <n>"),
        N_("add n vouchers to the total quantity"),
        Audience.SELLER,
    ),
    CommandInfo(
        "addbudget",
        N_("/addbudget <id> <amount>"),
        N_("raise a voucher's budget"),
        Audience.SELLER,
    ),
    CommandInfo(
        "deactivate", N_("/deactivate <id>"), N_("end a voucher promotion"), Audience.SELLER
    ),
    CommandInfo("quota", N_("/quota [<id>]"), N_("remaining quota"), Audience.LINKED),
]
LIST_PAGE = 8
PICK_PAGE = 8


def _manage_buttons(v: VoucherView, member: Membership) -> list[InlineKeyboardButton]:
    if not member.actor.may(Action.MANAGE_VOUCHERS) or v.status not in ("upcoming", "ongoing"):
        return []
    budget = [button(_("💰 Raise the budget"), "v", v.id, "budget")] if v.budget is not None else []
    return [
        button(_("➕ Add quantity"), "v", v.id, "add"),
        *budget,
        button(_("⛔ Deactivate"), "v", v.id, "dx"),
    ]


def detail_keyboard(
    v: VoucherView, member: Membership, extras: Sequence[DetailButtons] = ()
) -> InlineKeyboardMarkup | None:
    extra = [b for make in extras for b in make(v, member)]
    return markup(_manage_buttons(v, member), extra, [button(_("🔄 Refresh"), "v", v.id)])


def _voucher_id(text: str) -> int:
    return read_count(text.lstrip("#"), current_language())


class VoucherHandlers:
    def __init__(self, services: Services, detail_buttons: Sequence[DetailButtons] = ()) -> None:
        self.services = services
        self.detail_buttons = tuple(detail_buttons)

    async def _all(self, member: Membership, status: str | None = None) -> list[VoucherView]:
        """Every voucher of the shop (pages of 50 from the core), newest first."""
        found: list[VoucherView] = []
        after: int | None = None
        while True:
            batch = await self.services.vouchers.list(
                member.actor, status=status, limit=50, after_id=after
            )
            found += batch
            if len(batch) < 50:
                break
            after = batch[-1].id
        return sorted(found, key=lambda v: -(v.id or 0))

    # --- /vouchers ------------------------------------------------------------------------

    @member_only(Action.READ)
    async def list_vouchers(self, update: Update, context: Ctx, member: Membership) -> None:
        status = context.args[0] if context.args else None
        if status is not None and status.lower() not in VOUCHER_STATUSES:
            await say(
                update,
                _("Unknown status. Use one of: {statuses} — or tap:").format(
                    statuses=", ".join(VOUCHER_STATUSES)
                ),
                _status_keyboard(),
            )
            return
        await self._list_page(update, member, status.lower() if status else None, 0)

    @member_only(Action.READ)
    async def list_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        _prefix, status, page = (update.callback_query.data or "").split(":")
        await ack(update)
        await self._list_page(update, member, None if status == "all" else status, int(page))

    async def _list_page(
        self, update: Update, member: Membership, status: str | None, page: int
    ) -> None:
        vouchers = await self._all(member, status)
        if not vouchers:
            text = (
                _("No {status} vouchers.").format(status=status_word(status))
                if status
                else _("No vouchers yet.")
            )
            if member.actor.may(Action.MANAGE_VOUCHERS):
                text += " " + _("Create one with /newvoucher.")
            await show(update, text, _status_keyboard())
            return
        # Grouped by status, then cut into pages of LIST_PAGE vouchers each; every page has the
        # title and the heading of each status group it shows (R-b4, R-b6).
        ordered = [v for group in STATUS_ORDER for v in vouchers if v.status == group]
        pages = max(1, -(-len(ordered) // LIST_PAGE))
        page = max(0, min(page, pages - 1))
        chosen = ordered[page * LIST_PAGE : (page + 1) * LIST_PAGE]
        counts = {g: sum(1 for v in vouchers if v.status == g) for g in STATUS_ORDER}
        lines: list[str] = []
        for group in STATUS_ORDER:
            members = [v for v in chosen if v.status == group]
            if members:
                lines += ["", f"<b>{_(STATUS_LABELS[group])}</b> ({number(counts[group])})"]
                lines += [voucher_line(v, member.shop) for v in members]
        of = (
            " · " + _("page {page} of {pages}").format(page=page + 1, pages=pages)
            if pages > 1
            else ""
        )
        what = f" — {status_word(status)}" if status else ""
        count = ngettext("{n} voucher", "{n} vouchers", len(vouchers)).format(
            n=number(len(vouchers))
        )
        title = "🎟 <b>" + _("Vouchers") + f"</b>{what} · {count}{of}"
        keyboard = markup(
            pager(page, pages, "vl", status or "all"),
            *_status_keyboard().inline_keyboard,
        )
        body = clip("\n".join(lines).strip())
        tap = _("Tap a /v_ number for its details.")
        await show(update, f"{title}\n\n{body}\n\n{tap}", keyboard)

    # --- /voucher and /v_12 ----------------------------------------------------------------

    @member_only(Action.READ)
    async def tapped_voucher(self, update: Update, context: Ctx, member: Membership) -> None:
        """`/v_12` from a list: the voucher's details."""
        text = (update.effective_message.text or "") if update.effective_message else ""
        await self._details(update, member, int(text.split()[0].split("@")[0][3:]))

    @member_only(Action.READ)
    async def show_voucher(self, update: Update, context: Ctx, member: Membership) -> None:
        if not context.args:
            await self._pick(update, member, 0, _("Which voucher?"), None, "v")
            return
        try:
            voucher_id = _voucher_id(context.args[0])
        except ValueError:
            await say(
                update,
                _("Send a voucher id, like <code>/voucher 12</code>, or /voucher to pick one."),
            )
            return
        await self._details(update, member, voucher_id)

    @member_only(Action.READ)
    async def details_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        voucher_id = int((update.callback_query.data or "").split(":")[1])
        await ack(update)
        await self._details(update, member, voucher_id)

    async def _details(self, update: Update, member: Membership, voucher_id: int) -> None:
        v = await self.services.vouchers.get(member.actor, voucher_id)
        await show(
            update, voucher_details(v, member.shop), detail_keyboard(v, member, self.detail_buttons)
        )

    @member_only(Action.READ)
    async def pick_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        _prefix, action, page = (update.callback_query.data or "").split(":")
        await ack(update)
        statuses = ("upcoming", "ongoing") if action in ("dx", "add") else None
        await self._pick(update, member, int(page), _("Which voucher?"), statuses, action)

    async def _pick(
        self,
        update: Update,
        member: Membership,
        page: int,
        title: str,
        statuses: tuple[str, ...] | None,
        action: str,
    ) -> None:
        """A paged list of voucher buttons; pressing one sends `v:<id>[:<action>]`."""
        vouchers = [v for v in await self._all(member) if statuses is None or v.status in statuses]
        if not vouchers:
            await show(update, _("There's no voucher to choose from."))
            return
        pages = max(1, -(-len(vouchers) // PICK_PAGE))
        page = max(0, min(page, pages - 1))
        chosen = vouchers[page * PICK_PAGE : (page + 1) * PICK_PAGE]
        suffix = () if action == "v" else (action,)
        rows = [
            [
                button(
                    f"#{v.id} {fit(v.name, 30)} · "
                    + _("{remaining} left").format(remaining=number(v.remaining)),
                    "v",
                    v.id,
                    *suffix,
                )
            ]
            for v in chosen
        ]
        keyboard = markup(
            *rows, pager(page, pages, "vp", action), [button(_("✖ Cancel"), Button.PICKER_CANCEL)]
        )
        of = (
            " (" + _("page {page} of {pages}").format(page=page + 1, pages=pages) + ")"
            if pages > 1
            else ""
        )
        await show(update, title + of, keyboard)

    # --- /deactivate ---------------------------------------------------------------------

    @member_only(Action.MANAGE_VOUCHERS)
    async def deactivate(self, update: Update, context: Ctx, member: Membership) -> None:
        if not context.args:
            await self._pick(
                update,
                member,
                0,
                _("Which voucher do you want to deactivate?"),
                ("upcoming", "ongoing"),
                "dx",
            )
            return
        try:
            voucher_id = _voucher_id(context.args[0])
        except ValueError:
            await say(
                update,
                _(
                    "Send a voucher id, like <code>/deactivate 12</code>, or /deactivate to pick "
                    "one."
                ),
            )
            return
        await self._confirm_deactivate(update, member, voucher_id)

    @member_only(Action.MANAGE_VOUCHERS)
    async def deactivate_button(self, update: Update, context: Ctx, member: Membership) -> None:
        assert update.callback_query is not None, "registered for buttons only"
        _prefix, raw_id, action = (update.callback_query.data or "").split(":")
        voucher_id = int(raw_id)
        if action == "dx":
            await ack(update)
            await self._confirm_deactivate(update, member, voucher_id)
            return
        v = await self.services.vouchers.get(member.actor, voucher_id)
        if v.status not in ("upcoming", "ongoing"):
            await stale(
                update,
                _("Voucher #{id} is already {status}.").format(
                    id=voucher_id, status=status_word(v.status)
                ),
            )
            return
        v = await self.services.vouchers.deactivate(member.actor, voucher_id)
        await ack(update, _("Deactivated."))
        await show(
            update,
            _(
                "⛔ <b>{name}</b> (#{id}) is deactivated: no new claims, its distributions "
                "stopped, and unused claimed vouchers can no longer be used."
            ).format(name=esc(v.name), id=v.id),
        )

    async def _confirm_deactivate(
        self, update: Update, member: Membership, voucher_id: int
    ) -> None:
        v = await self.services.vouchers.get(member.actor, voucher_id)
        if v.status not in ("upcoming", "ongoing"):
            await show(
                update,
                _(
                    "Voucher #{id} is {status}: only upcoming or ongoing vouchers can be "
                    "deactivated."
                ).format(id=v.id, status=status_word(v.status)),
            )
            return
        await show(
            update,
            ngettext(
                "Deactivate <b>{name}</b> (#{id})? This ends the promotion for good: no new "
                "claims, its distributions stop, and the {n} claimed voucher that is not used "
                "yet can no longer be used.",
                "Deactivate <b>{name}</b> (#{id})? This ends the promotion for good: no new "
                "claims, its distributions stop, and the {n} claimed vouchers that are not used "
                "yet can no longer be used.",
                v.claimed,
            ).format(name=esc(v.name), id=v.id, n=number(v.claimed)),
            markup(
                [
                    button(_("⛔ Yes, deactivate"), "v", v.id, "dx!"),
                    button(_("Keep it"), "v", v.id),
                ]
            ),
        )

    # --- /quota ----------------------------------------------------------------------------

    @member_only(Action.READ)
    async def quota(self, update: Update, context: Ctx, member: Membership) -> None:
        if context.args:
            try:
                voucher_id = _voucher_id(context.args[0])
            except ValueError:
                await say(
                    update,
                    _("Send a voucher id, like <code>/quota 12</code>, or /quota for all ongoing."),
                )
                return
            v = await self.services.vouchers.get(member.actor, voucher_id)
            await say(update, f"{_quota_line(v)} · {status_label(v)}")
            return
        ongoing = await self._all(member, "ongoing")
        if not ongoing:
            await say(update, _("No ongoing vouchers right now."))
            return
        shown = paginate([_quota_line(v) for v in ongoing], 0, per_page=40)
        more = "\n" + _("…and more: /vouchers ongoing") if shown.count > 1 else ""
        title = _("📦 <b>Remaining quota</b> (ongoing)")
        await say(update, f"{title}\n{shown.text}{more}")


def _quota_line(v: VoucherView) -> str:
    if v.remaining <= 0:
        return f"/v_{v.id} <b>{esc(v.name)}</b>: " + _("<b>sold out</b> ({total} claimed)").format(
            total=number(v.total_quantity)
        )
    return f"/v_{v.id} <b>{esc(v.name)}</b>: " + _("<b>{remaining}</b> of {total} left").format(
        remaining=number(v.remaining), total=number(v.total_quantity)
    )


def _status_keyboard() -> InlineKeyboardMarkup:
    buttons = [button(_("All"), "vl", "all", 0)] + [
        button(status_name(s), "vl", s, 0) for s in STATUS_ORDER
    ]
    return InlineKeyboardMarkup(grid(buttons, 5))


def register(application: App, wiring: Wiring) -> None:
    services = wiring.services
    voucher_flow.register(application, services)
    quantity_flow.register(application, services)
    h = VoucherHandlers(services, wiring.detail_buttons)
    application.add_handler(command("vouchers", h.list_vouchers))
    application.add_handler(command("voucher", h.show_voucher))
    application.add_handler(command("deactivate", h.deactivate))
    application.add_handler(command("quota", h.quota))
    application.add_handler(
        new_messages(filters.Regex(r"^/v_\d{1,9}(@\w+)?(\s|$)"), h.tapped_voucher)
    )
    application.add_handler(CallbackQueryHandler(h.list_button, pattern=r"^vl:\w+:\d+$"))
    application.add_handler(CallbackQueryHandler(h.pick_button, pattern=r"^vp:\w+:\d+$"))
    application.add_handler(CallbackQueryHandler(h.deactivate_button, pattern=r"^v:\d+:dx!?$"))
    application.add_handler(CallbackQueryHandler(h.details_button, pattern=r"^v:\d+$"))
