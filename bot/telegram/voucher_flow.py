"""/newvoucher: the guided creation of SPEC §10, one question per step, buttons for the usual
answers and typed input for the rest. Nothing is saved until Submit (R-b1); the draft lives in
user_data (persisted, R-b2); buttons carry `nv:<flow id>:<action>[:<arg>]` (R-b3)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram import flows
from bot.telegram.access import Ctx, member_only, membership, refusal
from bot.telegram.keyboards import button, grid, markup
from bot.telegram.render import (
    KIND_LABELS,
    esc,
    low_discount_warning,
    money,
    voucher_details,
)
from bot.telegram.replies import ack, say, show
from bot.telegram.voucher_draft import (
    FIELD_STEP,
    auto_name,
    describe,
    parse_period,
    parse_whole,
    step_errors,
    tier_text,
    to_draft,
)
from core.errors import NotFound, ValidationFailed, VoucherbotError
from core.money import MoneyInputError, example_amount, format_money, parse_money
from core.rules.roles import Action
from core.rules.vouchers import LOW_MAX_DISCOUNT, MAX_PRODUCTS
from core.services import Services
from core.services.accounts import Membership
from core.views import ProductView, ShopView

FLOW = "nv"
STEPS = ("kind", "dtype", "value", "max", "min", "scope", "products", "qty", "per", "period")
ALL_STATES = (*STEPS, "name", "summary", "edit")
EXPIRED = (
    "⏱ Your voucher draft expired after 30 minutes without an answer. Nothing was saved; "
    "start again with /newvoucher."
)
PERCENT_CHOICES = (5, 10, 15, 20, 30, 50)
QTY_CHOICES = (10, 50, 100, 500, 1000)
PER_CHOICES = (1, 2, 3, 5)
PERIOD_CHOICES = (
    ("Now, 24 hours", 24),
    ("Now, 3 days", 72),
    ("Now, 7 days", 168),
    ("Now, 30 days", 720),
)
EDIT_CHOICES = (
    ("Name", "name"),
    ("Kind", "kind"),
    ("Discount", "dtype"),
    ("Minimum spend", "min"),
    ("Products", "scope"),
    ("Quantity", "qty"),
    ("Claims per customer", "per"),
    ("Claim period", "period"),
)
PRODUCT_PAGE = 8


def next_step(step: str, flow: dict[str, Any]) -> str:
    if step == "dtype":
        return "value"
    if step == "value" and flow.get("dtype") == "percent":
        return "max"
    if step == "scope" and flow.get("scope") == "products":
        return "products"
    if flow.get("back") or step in ("name", "period"):
        return "summary"
    following = STEPS[STEPS.index(step) + 1 :]
    for candidate in following:
        if candidate == "max" and flow.get("dtype") != "percent":
            continue
        if candidate == "products" and flow.get("scope") != "products":
            continue
        return candidate
    return "summary"


class VoucherFlow:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.services.clock

    # --- entry, cancel, timeout ------------------------------------------------------------

    @member_only(Action.MANAGE_VOUCHERS, ends_flow=True)
    async def start(self, update: Update, context: Ctx, member: Membership) -> str:
        flow = flows.begin(context, FLOW, self.clock)
        return await self._ask(update, member, flow, "kind")

    async def cancel(self, update: Update, context: Ctx) -> int:
        await ack(update, "Cancelled.")
        await say(update, "Cancelled: the voucher was not created.")
        return flows.finish(context, FLOW)

    async def timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, FLOW)
        if isinstance(update, Update):
            await say(update, EXPIRED)

    # --- dispatch ---------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.clock, EXPIRED)
        if flow is None:
            return self._lost(context)
        member = await self._seller(update, context)
        if member is None:
            return flows.END
        args = flows.flow_args(update)
        action, arg = args[0], (args[1] if len(args) > 1 else "")
        if action == "cx":
            return await self.cancel(update, context)
        await ack(update)
        handler = getattr(self, f"_press_{action}", None)
        if handler is None:
            return None
        try:
            return await handler(update, context, member, flow, arg)
        except VoucherbotError as exc:
            return await self._ask(update, member, flow, flow["step"], problem=_errors(exc))

    async def on_text(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, FLOW, self.clock, EXPIRED)
        if flow is None:
            return self._lost(context)
        member = await self._seller(update, context)
        if member is None:
            return flows.END
        text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
        handler = getattr(self, f"_type_{flow['step']}", None)
        if handler is None:
            return await self._ask(
                update, member, flow, flow["step"], problem="Please use the buttons below."
            )
        try:
            return await handler(update, member, flow, text)
        except VoucherbotError as exc:
            return await self._ask(update, member, flow, flow["step"], problem=_errors(exc))

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

    # --- answering a step -----------------------------------------------------------------------

    async def _answer(
        self, update: Update, member: Membership, flow: dict[str, Any], step: str, **values: Any
    ) -> str:
        """Stores an answer, checks it with the core's rules, then asks the next question (or
        the same one again, with what is accepted)."""
        before = {k: flow.get(k) for k in values}
        flow.update(values)
        problems = step_errors(flow, step, self.clock.now())
        if problems:
            flow.update(before)
            return await self._ask(update, member, flow, step, problem="\n".join(problems))
        return await self._ask(update, member, flow, next_step(step, flow))

    async def _press_k(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "kind", kind="live" if arg == "l" else "regular")

    async def _press_t(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        dtype = "percent" if arg == "p" else "amount"
        if dtype != flow.get("dtype"):
            for key in ("amount", "percent", "max"):
                flow.pop(key, None)
        return await self._answer(update, m, flow, "dtype", dtype=dtype)

    async def _press_pc(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "value", percent=int(arg))

    async def _type_value(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        if flow.get("dtype") == "percent":
            try:
                return await self._answer(update, m, flow, "value", percent=parse_whole(text))
            except ValueError:
                return await self._ask(
                    update, m, flow, "value", problem="Send a whole number from 1 to 99, like 20."
                )
        return await self._money_answer(update, m, flow, "value", "amount", text)

    async def _type_max(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        return await self._money_answer(update, m, flow, "max", "max", text)

    async def _press_m(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "min", min=int(arg))

    async def _type_min(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        if text.lower() in ("0", "none", "no", "no minimum"):
            return await self._answer(update, m, flow, "min", min=0)
        return await self._money_answer(update, m, flow, "min", "min", text)

    async def _money_answer(
        self, update: Update, m: Membership, flow: dict[str, Any], step: str, key: str, text: str
    ) -> str:
        try:
            value = parse_money(text, m.shop.currency, allow_zero=step == "min")
        except MoneyInputError as refusal:
            return await self._ask(update, m, flow, step, problem=esc(str(refusal)))
        return await self._answer(update, m, flow, step, **{key: value})

    async def _press_s(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        scope = "products" if arg == "p" else "shop"
        if scope == "shop":
            flow["pids"] = []
        return await self._answer(update, m, flow, "scope", scope=scope)

    async def _press_q(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "qty", qty=int(arg))

    async def _type_qty(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        return await self._whole_answer(update, m, flow, "qty", "qty", text, "from 1 to 1,000,000")

    async def _press_pe(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "per", per=int(arg))

    async def _type_per(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        return await self._whole_answer(update, m, flow, "per", "per", text, "from 1 to 100")

    async def _whole_answer(
        self,
        update: Update,
        m: Membership,
        flow: dict[str, Any],
        step: str,
        key: str,
        text: str,
        accepted: str,
    ) -> str:
        try:
            value = parse_whole(text)
        except ValueError:
            return await self._ask(
                update, m, flow, step, problem=f"Send a whole number {accepted}."
            )
        return await self._answer(update, m, flow, step, **{key: value})

    async def _press_pd(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        return await self._answer(update, m, flow, "period", start=None, end=None, hours=int(arg))

    async def _type_period(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        try:
            starts, ends = parse_period(text, m.shop.timezone, self.clock.now())
        except ValueError:
            return await self._ask(
                update,
                m,
                flow,
                "period",
                problem="Send the start and the end as <code>YYYY-MM-DD HH:MM</code>, like "
                "<code>2026-06-01 20:00 to 2026-06-08 20:00</code>.",
            )
        now = self.clock.now()
        return await self._answer(
            update,
            m,
            flow,
            "period",
            start=None if starts == now else starts.isoformat(),
            end=ends.isoformat(),
            hours=None,
        )

    async def _type_name(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        return await self._answer(update, m, flow, "name", name=text)

    # --- products ----------------------------------------------------------------------------

    async def _press_cat(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        categories = await self.services.products.categories(m.actor)
        index = int(arg)
        if not 0 <= index < len(categories):
            return await self._ask(
                update, m, flow, "products", problem="That category is gone; pick another."
            )
        flow["find"] = {"category": categories[index], "query": None, "after": None}
        return await self._ask(update, m, flow, "products")

    async def _press_pg(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        find = flow.get("find") or {}
        find["after"] = int(arg) if arg else None
        flow["find"] = find
        return await self._ask(update, m, flow, "products")

    async def _press_tg(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        shown = flow.get("shown") or []
        index = int(arg)
        if 0 <= index < len(shown):
            self._toggle(flow, shown[index])
        return await self._ask(update, m, flow, "products")

    async def _press_done(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        flow.pop("find", None)
        flow.pop("shown", None)
        if not flow.get("pids"):
            return await self._ask(
                update, m, flow, "products", problem="Select at least one product."
            )
        return await self._answer(update, m, flow, "products", pids=list(flow.get("pids") or []))

    async def _press_all(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        flow["find"] = None
        return await self._ask(update, m, flow, "products")

    async def _type_products(
        self, update: Update, m: Membership, flow: dict[str, Any], text: str
    ) -> str:
        """Product ids (separated by spaces or commas) are added; anything else is a name search."""
        tokens = [t for t in text.replace(",", " ").split() if t]
        found: list[str] = []
        for token in tokens:
            try:
                found.append((await self.services.products.get(m.actor, token)).product_id)
            except (NotFound, ValidationFailed):
                found = []
                break
        if found:
            for pid in found:
                if pid not in (flow.get("pids") or []):
                    self._toggle(flow, pid)
            flow["find"] = None
            return await self._ask(update, m, flow, "products")
        flow["find"] = {"category": None, "query": text[:64], "after": None}
        return await self._ask(update, m, flow, "products")

    @staticmethod
    def _toggle(flow: dict[str, Any], product_id: str) -> None:
        pids = list(flow.get("pids") or [])
        if product_id in pids:
            pids.remove(product_id)
        elif len(pids) < MAX_PRODUCTS:
            pids.append(product_id)
        flow["pids"] = pids

    # --- summary, edit, submit ----------------------------------------------------------------

    async def _press_e(
        self, update: Update, _c: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> str:
        if arg == "menu":
            return await self._ask(update, m, flow, "edit")
        if arg == "back":
            return await self._ask(update, m, flow, "summary")
        flow["back"] = True
        return await self._ask(update, m, flow, arg if arg in ALL_STATES else "summary")

    async def _press_sub(
        self, update: Update, context: Ctx, m: Membership, flow: dict[str, Any], arg: str
    ) -> object:
        draft = to_draft(flow, self.clock.now(), m.shop.currency)
        preview = await self._preview_or_reask(update, m, flow, draft)
        if isinstance(preview, str):
            return preview
        if arg != "ok" and any(w.code == LOW_MAX_DISCOUNT for w in preview):
            # The warning was not on screen when Submit was pressed: show it first.
            return await self._ask(update, m, flow, "summary")
        view = await self.services.vouchers.create(m.actor, draft)
        flows.finish(context, FLOW)
        after = (
            "Hosts can issue it during a livestream with /issue."
            if view.kind == "live"
            else "Buyers can claim it during its claim period."
        )
        await show(update, f"✅ Voucher created.\n\n{voucher_details(view, m.shop)}\n\n{after}")
        return flows.END

    async def _preview_or_reask(
        self, update: Update, m: Membership, flow: dict[str, Any], draft: Any
    ) -> Any:
        try:
            view = await self.services.vouchers.preview(m.actor, draft)
        except ValidationFailed as exc:
            first = exc.errors[0]
            step = FIELD_STEP.get(first.field, "summary")
            flow["back"] = True
            return await self._ask(update, m, flow, step, problem=describe(first))
        return view.warnings

    # --- questions ----------------------------------------------------------------------------

    async def _ask(
        self,
        update: Update,
        m: Membership,
        flow: dict[str, Any],
        step: str,
        problem: str | None = None,
    ) -> str:
        if step == "summary":
            try:
                view = await self.services.vouchers.preview(
                    m.actor, to_draft(flow, self.clock.now(), m.shop.currency)
                )
            except ValidationFailed as exc:
                # Something went stale since it was answered (e.g. a start now in the past).
                first = exc.errors[0]
                step, problem = FIELD_STEP.get(first.field, "kind"), describe(first)
                flow["back"] = True
            else:
                text, keyboard = self._summary(m, flow, view)
        flow["step"] = step
        if step != "summary":
            text, keyboard = await getattr(self, f"_q_{step}")(m, flow)
            rows = list(keyboard.inline_keyboard) if keyboard else []
            rows.append([button("✖ Cancel", FLOW, flow["fid"], "cx")])
            keyboard = InlineKeyboardMarkup(rows)
        full = f"⚠️ {problem}\n\n{text}" if problem else text
        if problem and update.callback_query is None:
            await say(update, full, keyboard)
        else:
            await show(update, full, keyboard)
        return step

    def _b(self, flow: dict[str, Any], label: str, *parts: object) -> InlineKeyboardButton:
        return button(label, FLOW, flow["fid"], *parts)

    async def _q_kind(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        text = (
            "🎟 <b>New voucher</b>\nWhich kind?\n"
            "• <b>Regular Voucher</b>: claimable by any buyer during its claim period.\n"
            "• <b>LIVE Interactive Voucher</b>: only for your livestream viewers, issued by a "
            "host with a task (watch, follow or no task)."
        )
        return text, markup(
            [self._b(flow, "Regular", "k", "r"), self._b(flow, "LIVE Interactive", "k", "l")]
        )

    async def _q_dtype(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        return "Discount type?", markup(
            [self._b(flow, "Amount off", "t", "a"), self._b(flow, "Percentage off", "t", "p")]
        )

    async def _q_value(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        if flow.get("dtype") == "percent":
            return "What percentage off? Tap, or send a whole number from 1 to 99.", markup(
                *grid((self._b(flow, f"{p}%", "pc", p) for p in PERCENT_CHOICES), 6)
            )
        example = esc(format_money(example_amount(m.shop.currency), m.shop.currency))
        return f"How much off? Send an amount in {m.shop.currency}, like {example}.", None

    async def _q_max(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        return (
            f"Maximum discount per order? Send an amount in {m.shop.currency} — "
            f"{flow.get('percent')}% "
            "off never takes more than this from one order.",
            None,
        )

    async def _q_min(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        advice = await self.services.advice.tiers(m.actor)
        text = "Minimum spend? Tap, or send an amount"
        if flow.get("dtype") != "percent" and flow.get("amount"):
            text += f" above the discount ({money(flow['amount'], m.shop)})"
        text += "."
        if advice.tiers and advice.aov:
            text += (
                f"\nYour average order value (last 30 days) is {money(advice.aov, m.shop)}; Seller "
                "Center suggests a minimum spend 1.2–1.5× higher, with deeper discounts for "
                "higher tiers:"
            )
            text += "".join(f"\n• {tier_text(t, m.shop.currency)}" for t in advice.tiers)
        elif advice.history_note:
            text += f"\n<i>{esc(advice.history_note)}</i>"
        buttons = [
            self._b(
                flow,
                f"{t.name.capitalize()} {format_money(t.min_spend, m.shop.currency)}",
                "m",
                t.min_spend,
            )
            for t in advice.tiers
        ]
        return text, markup(buttons, [self._b(flow, "No minimum", "m", 0)])

    async def _q_scope(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        return "Which products does it apply to?", markup(
            [self._b(flow, "Entire shop", "s", "e"), self._b(flow, "Specific products", "s", "p")]
        )

    async def _q_products(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        pids = list(flow.get("pids") or [])
        find = flow.get("find")
        rows: list[list[InlineKeyboardButton]] = []
        lines = [
            f"<b>Specific products</b> — {len(pids)} selected"
            + (f": {esc(', '.join(pids[:20]))}" if pids else "")
        ]
        if find:
            products, cursor = await self.services.products.search_page(
                m.actor,
                query=find.get("query"),
                category=find.get("category"),
                limit=PRODUCT_PAGE,
                after_id=find.get("after"),
            )
            label = (
                f"category {esc(find['category'])}"
                if find.get("category")
                else f"“{esc(find.get('query'))}”"
            )
            if not products:
                lines.append(
                    f"No product matches {label}. Type a name or product ids, or pick a category."
                )
            else:
                lines.append(f"Products in {label} — tap to select or unselect:")
            flow["shown"] = [p.product_id for p in products]
            rows += [
                [self._b(flow, _product_label(p, p.product_id in pids, m.shop), "tg", i)]
                for i, p in enumerate(products)
            ]
            nav = [self._b(flow, "« Categories", "all", "")]
            if cursor is not None:
                nav.append(self._b(flow, "More ▶", "pg", cursor))
            rows.append(nav)
        else:
            categories = await self.services.products.categories(m.actor)
            lines.append(
                "Find products by category below, type a name to search, or type product ids "
                "(separated by spaces or commas)."
            )
            rows += grid(
                (
                    self._b(flow, c or "(no category)", "cat", i)
                    for i, c in enumerate(categories[:30])
                ),
                3,
            )
        rows.append([self._b(flow, f"✅ Done ({len(pids)})", "done", "")])
        return "\n".join(lines), InlineKeyboardMarkup(rows)

    async def _q_qty(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        return "Total voucher quantity? Tap, or send a number from 1 to 1,000,000.", markup(
            *grid((self._b(flow, f"{q:,}", "q", q) for q in QTY_CHOICES), 5)
        )

    async def _q_per(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        text = (
            "Number of claims per customer? Tap, or send a number from 1 to 100 "
            "(at most the total quantity)."
        )
        if flow.get("kind") == "live":
            text += "\nFor a Follow LIVE Host task, 1 is recommended."
        return text, markup(*grid((self._b(flow, str(p), "pe", p) for p in PER_CHOICES), 4))

    async def _q_period(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        text = (
            "Claim period? Tap, or send the start and end in shop time "
            f"({esc(m.shop.timezone)}), like <code>2026-06-01 20:00 to 2026-06-08 20:00</code> "
            "(the start may be <code>now</code>)."
        )
        return text, markup(
            *grid((self._b(flow, label, "pd", h) for label, h in PERIOD_CHOICES), 2)
        )

    async def _q_name(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        current = flow.get("name") or auto_name(flow, m.shop.currency)
        return f"Send a name for the voucher (1–100 characters). Now: <b>{esc(current)}</b>", None

    async def _q_edit(self, m: Membership, flow: dict[str, Any]) -> tuple[str, Any]:
        rows = grid((self._b(flow, label, "e", step) for label, step in EDIT_CHOICES), 2)
        rows.append([self._b(flow, "« Back to summary", "e", "back")])
        return "What do you want to change?", InlineKeyboardMarkup(rows)

    def _summary(self, m: Membership, flow: dict[str, Any], view: Any) -> tuple[str, Any]:
        flow["back"] = False
        lines = ["<b>Check your voucher</b>", voucher_details_preview(view, m.shop)]
        low = next((w for w in view.warnings if w.code == LOW_MAX_DISCOUNT), None)
        lines += [f"⚠️ {esc(w.message)}" for w in view.warnings if w.code != LOW_MAX_DISCOUNT]
        if low is not None:
            lines.append("\n" + low_discount_warning(low.data, view.percent or 0, m.shop))
            first = [self._b(flow, "Continue", "sub", "ok"), self._b(flow, "Edit", "e", "menu")]
        else:
            first = [self._b(flow, "✅ Submit", "sub", ""), self._b(flow, "✏️ Edit", "e", "menu")]
        return "\n".join(lines), markup(first, [self._b(flow, "✖ Cancel", "cx", "")])


def voucher_details_preview(view: Any, shop: ShopView) -> str:
    """The details of a draft, without the id and counters it doesn't have yet."""
    lines = voucher_details(view, shop).split("\n")
    lines[0] = f"🎟 <b>{esc(view.name)}</b>"
    lines[1] = KIND_LABELS.get(view.kind, view.kind)
    kept = [x for x in lines if not x.startswith(("Quantity:", "⚠️"))]
    kept.insert(6, f"Total quantity: {view.total_quantity:,}")
    return "\n".join(kept)


def _product_label(p: ProductView, selected: bool, shop: ShopView) -> str:
    mark = "✅" if selected else "▫️"
    return f"{mark} {p.name[:40]} · {format_money(p.price, shop.currency)} · {p.product_id[:20]}"


def _errors(exc: VoucherbotError) -> str:
    if isinstance(exc, ValidationFailed):
        return "\n".join(describe(e) for e in exc.errors)
    return esc(exc.detail)


def register(application: Any, services: Services) -> VoucherFlow:
    flow = VoucherFlow(services)
    step_handlers = [
        CallbackQueryHandler(flow.on_button, pattern=rf"^{FLOW}:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, flow.on_text),
    ]
    application.add_handler(
        flows.conversation(
            "newvoucher",
            [CommandHandler("newvoucher", flow.start)],
            {state: step_handlers for state in ALL_STATES},
            flow.cancel,
            flow.timeout,
        )
    )
    return flow
