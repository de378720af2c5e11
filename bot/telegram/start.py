"""/start (with invite deep links), /setup, /help and /cancel, and the answer to old buttons."""

from __future__ import annotations

import re

from telegram import Update

from bot.i18n import N_, _, activate, current, pick
from bot.telegram import flows, setup_flow
from bot.telegram.access import App, Ctx, guarded, membership
from bot.telegram.commands import Audience, CommandInfo, help_text, publish_for_user
from bot.telegram.features import Wiring, command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.render import esc, role_label
from bot.telegram.replies import ack, say, show, stale
from core.rules.roles import Role
from core.services.accounts import Membership
from core.services.languages import opening_settings

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
_INVITE_LINK = re.compile(r"(?:https?://)?t(?:elegram)?\.me/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]+)")


def invite_token(text: str) -> str:
    """`/start <token>` as Telegram sends it from a deep link, or the whole invite link pasted
    (`https://t.me/<bot>?start=<token>`), as a person does when the link didn't open the app."""
    found = _INVITE_LINK.search(text)
    return found.group(1) if found else text.strip()


class StartHandlers:
    def __init__(self, wiring: Wiring) -> None:
        self.services = wiring.services
        self.catalog = wiring.catalog
        self.currency = wiring.settings.default_currency
        self.timezone = wiring.settings.default_timezone
        self.setup_runner = FlowRunner(setup_flow.TABLE, self.services, catalog=self.catalog)

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
            joined = await self.services.accounts.accept_invite(token, user.id, user.full_name)
            # R-l10n5: greeted in their own language, else the shop's.
            activate(
                await self.services.languages.for_member(
                    user.id, pick(user.language_code), joined.shop.language
                )
            )
            await self._publish(context, user.id, joined)
            await say(
                update,
                _(
                    "🔗 You're now linked to <b>{shop}</b> as its <b>{role}</b> account.\n"
                    "Record your platform handle (your LIVE host name) with /handle so Follow "
                    "tasks recognise your followers. Go live with /live, then /issue vouchers."
                ).format(shop=esc(joined.shop.name), role=role_label(joined.account.role)),
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

    # --- /setup (setup_flow.py) ------------------------------------------------------------

    @guarded
    async def setup(self, update: Update, context: Ctx) -> object:
        member = await membership(self.services, update)
        args = context.args or []
        if member is not None:
            return await self._settings(update, context, member, args)
        if not args:
            draft = {"currency": self.currency, "timezone": self.timezone}
            return await self.setup_runner.begin(update, context, None, "name", draft)
        user = update.effective_user
        assert user is not None
        currency, timezone = opening_settings(current(), self.currency, self.timezone)  # R-l10n5
        await self.services.shops.create(
            " ".join(args),
            owner_telegram_user_id=user.id,
            owner_name=user.full_name,
            currency=currency,
            timezone=timezone,
            language=current(),
        )
        member = await membership(self.services, update)
        await self._publish(context, user.id, member)
        return await self.setup_runner.begin(
            update, context, member, "settings", {"intro": "created", "created": True}
        )

    async def _settings(
        self, update: Update, context: Ctx, member: Membership, args: list[str]
    ) -> object:
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
        # `/setup Another Name` by a seller: one shop per account; show what can change.
        draft: dict[str, object] = {"seller": True}
        if args and args[0].lower() not in ("currency", "timezone"):
            draft.update(intro="attempted", attempted=" ".join(args))
        return await self.setup_runner.begin(update, context, member, "settings", draft)

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


def register(application: App, wiring: Wiring) -> None:
    h = StartHandlers(wiring)
    h.setup_runner.install(application, "setup", [command("setup", h.setup)])
    application.add_handler(command("start", h.start))
    application.add_handler(command("help", h.help))
