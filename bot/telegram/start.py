"""/start (with invite deep links), /setup, /help and /cancel, and the answer to old buttons."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_, _, activate, current, pick
from bot.telegram import flows
from bot.telegram.access import Ctx, guarded, membership
from bot.telegram.commands import Audience, CommandInfo, help_text, publish_for_user
from bot.telegram.keyboards import button, grid, markup
from bot.telegram.render import esc, role_label
from bot.telegram.replies import ack, say, show, stale
from core.errors import VoucherbotError
from core.rules.roles import Action, Role
from core.services import Services
from core.services.accounts import Membership
from core.services.languages import market, opening_settings, suggested_first

COMMANDS = [
    CommandInfo(
        "start", "/start", N_("welcome, or link your account with an invite"), Audience.ANYONE
    ),
    CommandInfo(
        "setup",
        N_("/setup <shop name>"),
        N_("create your shop (you become its seller)"),
        Audience.ANYONE,
    ),
    CommandInfo("help", "/help", N_("what you can do here"), Audience.ANYONE),
    CommandInfo("cancel", "/cancel", N_("leave the current guided flow"), Audience.ANYONE),
]
CURRENCIES = ("USD", "IDR", "VND", "THB", "MYR", "PHP", "SGD", "EUR", "GBP")
TIMEZONES = (
    "UTC",
    "Asia/Jakarta",
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Kuala_Lumpur",
    "Asia/Manila",
    "Asia/Singapore",
    "Europe/London",
    "America/New_York",
)
FLOW = "setup"
ASK_NAME = "setup:name"
ASK_NAME_TEXT = N_("What's your shop's name? Send it as a message (1–100 characters).")
EXPIRED = N_("The shop setup expired after 30 minutes without an answer. Start again with /setup.")


_INVITE_LINK = re.compile(r"(?:https?://)?t(?:elegram)?\.me/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]+)")


def invite_token(text: str) -> str:
    """`/start <token>` as Telegram sends it from a deep link, or the whole invite link pasted
    (`https://t.me/<bot>?start=<token>`), as a person does when the link didn't open the app."""
    found = _INVITE_LINK.search(text)
    return found.group(1) if found else text.strip()


def settings_keyboard() -> object:
    first = market(current())  # R-l10n5: the seller's market first
    return markup(
        *grid((button(c, "cur", c) for c in suggested_first(CURRENCIES, first.currencies)), 5),
        *grid(
            (
                button(z.split("/")[-1].replace("_", " "), "tz", z)
                for z in suggested_first(TIMEZONES, first.zones)
            ),
            3,
        ),
        [button(_("✔ Done"), "cx")],
    )


def _settings_text(name: str, currency: str, timezone: str) -> str:
    return _(
        "<b>{shop}</b> — currency <b>{currency}</b>, time zone <b>{timezone}</b>. "
        "Tap to change them."
    ).format(shop=esc(name), currency=currency, timezone=esc(timezone))


class StartHandlers:
    def __init__(
        self,
        services: Services,
        catalog: list[CommandInfo],
        default_currency: str,
        default_timezone: str,
    ) -> None:
        self.services = services
        self.catalog = catalog
        self.currency = default_currency
        self.timezone = default_timezone

    async def _publish(self, context: Ctx, user_id: int, member: Membership | None) -> None:
        await publish_for_user(
            context.bot, self.catalog, user_id, member.account.role if member else None
        )

    # --- /start ------------------------------------------------------------------------------

    @guarded
    async def start(self, update: Update, context: Ctx) -> None:
        user = update.effective_user
        if user is None:
            return
        token = invite_token(context.args[0]) if context.args else None
        if token:
            member = await self.services.accounts.accept_invite(token, user.id, user.full_name)
            # R-l10n5: greeted in their own language, else the shop's.
            activate(
                await self.services.languages.for_member(
                    user.id, pick(user.language_code), member.shop.language
                )
            )
            await self._publish(context, user.id, member)
            await say(
                update,
                _(
                    "🔗 You're now linked to <b>{shop}</b> as its <b>{role}</b> account.\n"
                    "Record your platform handle (your LIVE host name) with /handle so Follow "
                    "tasks recognise your followers. Go live with /live, then /issue vouchers."
                ).format(shop=esc(member.shop.name), role=role_label(member.account.role)),
            )
            return
        member = await membership(self.services, update)
        if member is None:
            await say(
                update,
                _(
                    "👋 Hi! I run <b>Seller Vouchers</b> for your livestream shop: Regular and "
                    "LIVE Interactive vouchers, issued by your hosts mid-stream.\n"
                    "• Sellers: create your shop with <code>/setup Your Shop Name</code>.\n"
                    "• Hosts: open the invite link your seller sent you.\n"
                    "🌐 /language changes the language I speak."
                ),
            )
            return
        await self._publish(context, user.id, member)
        await say(
            update,
            _("👋 Welcome back! You're the <b>{role}</b> of <b>{shop}</b>.").format(
                role=role_label(member.account.role), shop=esc(member.shop.name)
            )
            + "\n\n"
            + help_text(self.catalog, member.account.role),
        )

    # --- /help and /cancel ---------------------------------------------------------------

    async def help(self, update: Update, context: Ctx) -> None:
        chat = update.effective_chat
        if chat is not None and chat.type != "private":
            await say(update, help_text(self.catalog, None, group=True))
            return
        member = await membership(self.services, update)
        await say(update, help_text(self.catalog, member.account.role if member else None))

    async def cancel(self, update: Update, context: Ctx) -> None:
        await say(update, _("Nothing to cancel: you're not in a guided flow."))

    # --- /setup --------------------------------------------------------------------------

    @guarded
    async def setup(self, update: Update, context: Ctx) -> object:
        member = await membership(self.services, update)
        args = context.args or []
        if member is not None:
            return await self._settings(update, member, args)
        if not args:
            flow = flows.begin(context, FLOW, self.services.clock)
            await say(
                update, _(ASK_NAME_TEXT), markup([button(_("✖ Cancel"), FLOW, flow["fid"], "cx")])
            )
            return ASK_NAME
        await self._create(update, context, " ".join(args))
        return flows.END

    async def setup_name(self, update: Update, context: Ctx) -> object:
        if await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED)) is None:
            return flows.END
        text = (update.effective_message.text or "").strip() if update.effective_message else ""
        try:
            await self._create(update, context, text)
        except VoucherbotError as exc:
            from bot.telegram.render import error_text

            await say(update, f"⚠️ {error_text(exc)}\n\n{_(ASK_NAME_TEXT)}")
            return ASK_NAME
        return flows.finish(context, FLOW)

    async def _create(self, update: Update, context: Ctx, name: str) -> None:
        user = update.effective_user
        assert user is not None
        currency, timezone = opening_settings(current(), self.currency, self.timezone)  # R-l10n5
        shop, _owner = await self.services.shops.create(
            name,
            owner_telegram_user_id=user.id,
            owner_name=user.full_name,
            currency=currency,
            timezone=timezone,
            language=current(),
        )
        await self._publish(context, user.id, await membership(self.services, update))
        await say(
            update,
            _(
                "✅ Your shop <b>{shop}</b> is ready and you're its seller.\n"
                "Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b> — tap to change them "
                "(or <code>/setup currency IDR</code>, <code>/setup timezone Asia/Jakarta</code>)."
                "\nNext: /newvoucher to create a voucher, /link to invite your hosts, and /team "
                "in your team group. /language sets the language your team chat gets."
            ).format(shop=esc(shop.name), currency=shop.currency, timezone=esc(shop.timezone)),
            settings_keyboard(),  # type: ignore[arg-type]
        )

    async def _settings(self, update: Update, member: Membership, args: list[str]) -> object:
        if member.account.role != Role.SELLER:
            await say(
                update,
                _(
                    "You're already linked to <b>{shop}</b> as its {role} account, and a "
                    "Telegram account belongs to one shop. To create a shop of your own, ask "
                    "your seller to unlink you first. /help lists what you can do."
                ).format(shop=esc(member.shop.name), role=role_label(member.account.role)),
            )
            return flows.END
        if args and args[0].lower() not in ("currency", "timezone"):
            # `/setup Another Name` by a seller: one shop per account; show what can change.
            await say(
                update,
                _(
                    "You already run <b>{shop}</b>: a Telegram account runs one shop, so I "
                    "didn't create “{name}”. You can change its currency (<b>{currency}</b>) "
                    "and time zone (<b>{timezone}</b>) here:"
                ).format(
                    shop=esc(member.shop.name),
                    name=esc(" ".join(args)[:100]),
                    currency=member.shop.currency,
                    timezone=esc(member.shop.timezone),
                ),
                settings_keyboard(),  # type: ignore[arg-type]
            )
            return flows.END
        if len(args) == 2 and args[0].lower() in ("currency", "timezone"):
            field = args[0].lower()
            value = args[1].upper() if field == "currency" else args[1]
            shop = await self.services.shops.update_settings(member.actor, **{field: value})
            await say(
                update,
                _("✅ Saved. Currency: <b>{currency}</b> · Time zone: <b>{timezone}</b>").format(
                    currency=shop.currency, timezone=esc(shop.timezone)
                ),
            )
            return flows.END
        await say(
            update,
            _settings_text(member.shop.name, member.shop.currency, member.shop.timezone),
            settings_keyboard(),  # type: ignore[arg-type]
        )
        return flows.END

    @guarded
    async def setting_button(self, update: Update, context: Ctx) -> None:
        member = await membership(self.services, update)
        if member is None or not member.actor.may(Action.MANAGE_SHOP):
            await ack(update, _("Only the shop's seller can change its settings."))
            return
        field, value = (update.callback_query.data or "").split(":", 1)  # type: ignore[union-attr]
        changes = {"currency": value} if field == "cur" else {"timezone": value}
        shop = await self.services.shops.update_settings(member.actor, **changes)
        await ack(update, _("Saved."))
        await show(
            update,
            _settings_text(shop.name, shop.currency, shop.timezone),
            settings_keyboard(),  # type: ignore[arg-type]
        )

    async def setup_timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, FLOW)

    async def setup_cancel(self, update: Update, context: Ctx) -> int:
        await ack(update, _("Cancelled."))
        await show(update, _("Cancelled: no shop was created."))
        return flows.finish(context, FLOW)

    async def setup_button(self, update: Update, context: Ctx) -> object:
        if await flows.live_flow(update, context, FLOW, self.services.clock, _(EXPIRED)) is None:
            return flows.END
        return await self.setup_cancel(update, context)

    # --- anything left over ---------------------------------------------------------------

    async def old_button(self, update: Update, context: Ctx) -> None:
        await stale(update)

    async def unknown_text(self, update: Update, context: Ctx) -> None:
        text = (update.effective_message.text or "") if update.effective_message else ""
        if _INVITE_LINK.search(text):  # an invite link pasted as a message
            context.args = [text]
            await self.start(update, context)
            return
        await say(update, _("I didn't get that. /help lists what you can do."))

    async def unknown_command(self, update: Update, context: Ctx) -> None:
        """R-b5: a command no feature took (`/foo`, `/Quota`: commands are lower case)."""
        text = (update.effective_message.text or "") if update.effective_message else ""
        first = text.split()[0] if text.split() else "/"
        chat = update.effective_chat
        # In a group, commands may be meant for other bots: answer only those addressed to
        # this one (`/foo@voucherbot`).
        addressee = first.partition("@")[2].lower()
        if (
            chat is not None
            and chat.type != "private"
            and addressee != context.bot.username.lower()
        ):
            return
        word = first.split("@")[0]
        hint = ""
        if word.lower() != word and word.lower()[1:] in {c.name for c in self.catalog}:
            hint = " " + _("Commands are lower case: try {command}.").format(
                command=esc(word.lower())
            )
        await say(
            update,
            _("I don't know {command}.").format(command=esc(word[:40]))
            + hint
            + " "
            + _("/help lists what you can do."),
        )

    async def picker_cancel(self, update: Update, context: Ctx) -> None:
        """✖ Cancel under a picker that is not a guided flow (/link, /stop, /apikey revoke…)."""
        await ack(update, _("Cancelled."))
        await show(update, _("Cancelled: nothing changed."))


def register(
    application: Application,
    services: Services,
    catalog: list[CommandInfo],
    *,
    currency: str,
    timezone: str,
) -> StartHandlers:
    h = StartHandlers(services, catalog, currency, timezone)
    application.add_handler(
        flows.conversation(
            "setup",
            [CommandHandler("setup", h.setup)],
            {
                ASK_NAME: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, h.setup_name),
                    CallbackQueryHandler(h.setup_button, pattern=rf"^{FLOW}:[0-9a-f]{{4}}:cx$"),
                ]
            },
            h.setup_cancel,
            h.setup_timeout,
        )
    )
    application.add_handler(CommandHandler("start", h.start))
    application.add_handler(CommandHandler("help", h.help))
    application.add_handler(CallbackQueryHandler(h.setting_button, pattern=r"^(cur|tz):"))
    return h


def register_leftovers(application: Application, h: StartHandlers) -> None:
    """Last in line: /cancel outside a flow, old buttons, and stray private text."""
    application.add_handler(CommandHandler("cancel", h.cancel))
    application.add_handler(CallbackQueryHandler(h.picker_cancel, pattern=r"^cx$"))
    application.add_handler(CallbackQueryHandler(h.old_button))
    application.add_handler(MessageHandler(filters.COMMAND, h.unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, h.unknown_text)
    )
