"""/link, /accounts, /unlink, /handle, /team and /apikey (R-acc1…R-acc4, R-n1).

Buttons: `lk:<role>` create an invite, `ac:<id>:u` / `ac:<id>:u!` unlink and confirm,
`ak:<key id>` / `ak:<key id>:!` revoke an API key and confirm; /handle's flow is HANDLE."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import N_, _
from bot.i18n import current as current_language
from bot.telegram import flows
from bot.telegram.access import App, Ctx, member_only
from bot.telegram.callbacks import Button, Flow
from bot.telegram.commands import Audience, CommandInfo, publish_for_user
from bot.telegram.features import Wiring, command
from bot.telegram.flow_runner import FlowRunner
from bot.telegram.flow_table import END, Done, FlowTable, Outcome, Question, Step, StepContext
from bot.telegram.keyboards import button, markup
from bot.telegram.render import esc, local, role_label
from bot.telegram.replies import ack, button_data, say, show, stale
from core.errors import VoucherbotError
from core.reading import read_count
from core.rules.roles import LINKABLE_ROLES, Action, Role
from core.services import Services
from core.services.accounts import Membership
from core.views import AccountView

COMMANDS = [
    CommandInfo(
        "link",
        N_("/link official|marketing"),
        N_("invite a host account (deep link)"),
        Audience.SELLER,
    ),
    CommandInfo("accounts", "/accounts", N_("the shop's accounts"), Audience.SELLER),
    CommandInfo(
        "unlink", N_("/unlink <account id>"), N_("remove a linked account at once"), Audience.SELLER
    ),
    CommandInfo(
        "handle", N_("/handle <platform handle>"), N_("record your LIVE host name"), Audience.LINKED
    ),
    CommandInfo("team", "/team", N_("(in a group) send team notifications here"), Audience.GROUP),
    CommandInfo(
        "apikey",
        N_("/apikey [revoke <key id>]"),
        N_("create (or revoke) an API key"),
        Audience.SELLER,
    ),
]
ASK_HANDLE = N_(
    "Send your platform handle — your LIVE host name on the platform, like "
    "<code>acme_live</code> (letters, digits, _ . : -) — or /cancel."
)
HANDLE_EXPIRED = N_("⏱ Setting your handle timed out. Use /handle again.")


def _account_line(a: AccountView) -> str:
    handle = f"@{esc(a.platform_handle)}" if a.platform_handle else _("no handle yet")
    name = esc(a.display_name or _("account {id}").format(id=a.id))
    return f"#{a.id} <b>{name}</b> · {role_label(a.role)} · {handle}"


class AccountHandlers:
    def __init__(self, services: Services, catalog: list[CommandInfo]) -> None:
        self.handle_runner = FlowRunner(HANDLE, services)
        self.services = services
        self.catalog = catalog

    # --- invites ----------------------------------------------------------------------------

    @member_only(Action.MANAGE_SHOP)
    async def link(self, update: Update, context: Ctx, member: Membership) -> None:
        role = (context.args or [""])[0].lower()
        if role not in LINKABLE_ROLES:
            prefix = "" if not role else _("The role is <b>official</b> or <b>marketing</b>.") + " "
            await say(
                update,
                prefix
                + _(
                    "Which account do you want to link? A shop has 1 official account and up to "
                    "4 marketing accounts."
                ),
                markup(
                    [
                        button(_("Official account"), Button.LINK, "official"),
                        button(_("Marketing account"), Button.LINK, "marketing"),
                    ],
                    [button(_("✖ Cancel"), Button.PICKER_CANCEL)],
                ),
            )
            return
        await self._invite(update, context, member, role)

    @member_only(Action.MANAGE_SHOP)
    async def link_button(self, update: Update, context: Ctx, member: Membership) -> None:
        await ack(update)
        data = update.callback_query.data if update.callback_query else None
        await self._invite(update, context, member, (data or "").split(":")[1])

    async def _invite(self, update: Update, context: Ctx, member: Membership, role: str) -> None:
        invite = await self.services.accounts.create_invite(member.actor, role)
        link = invite.deep_link(context.bot.username)
        await show(
            update,
            (
                _("🔗 Invite for an <b>official</b> account of <b>{shop}</b>:")
                if role == "official"
                else _("🔗 Invite for a <b>marketing</b> account of <b>{shop}</b>:")
            ).format(shop=esc(member.shop.name))
            + f"\n{esc(link)}\n\n"
            + _(
                "Send it to the host: opening it links their Telegram account. It works once and "
                "expires {when} ({timezone})."
            ).format(
                when=local(invite.expires_at, member.shop), timezone=esc(member.shop.timezone)
            ),
        )

    # --- accounts and unlinking -----------------------------------------------------------

    @member_only(Action.MANAGE_SHOP)
    async def accounts(self, update: Update, context: Ctx, member: Membership) -> None:
        await self._accounts(update, member)

    async def _accounts(self, update: Update, member: Membership, prefix: str = "") -> None:
        accounts = await self.services.accounts.list(member.actor)
        lines = [prefix + _("👥 <b>Accounts of {shop}</b>").format(shop=esc(member.shop.name))]
        lines += [_account_line(a) for a in accounts]
        linked = [a for a in accounts if a.role != Role.SELLER]
        if not linked:
            lines.append(_("No linked accounts yet: invite one with /link."))
        rows = [
            [
                button(
                    _("✂️ Unlink #{id} {name}").format(
                        id=a.id, name=(a.display_name or role_label(a.role))[:30]
                    ),
                    Button.ACCOUNT,
                    a.id,
                    "u",
                )
            ]
            for a in linked
        ]
        await show(update, "\n".join(lines), markup(*rows))

    @member_only(Action.MANAGE_SHOP)
    async def unlink(self, update: Update, context: Ctx, member: Membership) -> None:
        try:
            account_id = read_count((context.args or [""])[0].lstrip("#"), current_language())
        except ValueError:
            await self._accounts(
                update,
                member,
                _("Tap the account to unlink (or send <code>/unlink &lt;account id&gt;</code>).")
                + "\n",
            )
            return
        await self._unlink(update, context, member, account_id)

    @member_only(Action.MANAGE_SHOP)
    async def unlink_button(self, update: Update, context: Ctx, member: Membership) -> None:
        _prefix, raw_id, action = button_data(update).split(":")
        account_id = int(raw_id)
        if action == "u":
            a = await self.services.accounts.get(member.actor, account_id)
            await ack(update)
            await show(
                update,
                _(
                    "Unlink {account}? They lose every permission at once and their live session "
                    "and distributions stop."
                ).format(account=_account_line(a)),
                markup(
                    [
                        button(_("✂️ Yes, unlink"), Button.ACCOUNT, a.id, "u!"),
                        button(_("Keep"), Button.ACCOUNT, a.id, "k"),
                    ]
                ),
            )
            return
        if action == "k":
            await ack(update, _("Kept."))
            await self._accounts(update, member)
            return
        try:
            await self.services.accounts.get(member.actor, account_id)
        except VoucherbotError:
            await stale(update, _("That account is already unlinked."))
            return
        await ack(update)
        await self._unlink(update, context, member, account_id)

    async def _unlink(
        self, update: Update, context: Ctx, member: Membership, account_id: int
    ) -> None:
        a = await self.services.accounts.unlink(member.actor, account_id)
        if a.telegram_user_id is not None:
            await publish_for_user(context.bot, self.catalog, a.telegram_user_id, None)
        await show(
            update,
            _("✂️ Unlinked {account}. Their permissions ended now.").format(
                account=_account_line(a)
            ),
        )

    # --- /handle ----------------------------------------------------------------------------

    @member_only(Action.READ, ends_flow=True)
    async def handle(self, update: Update, context: Ctx, member: Membership) -> object:
        if context.args:
            await self._set_handle(update, member, context.args[0])
            return flows.END
        return await self.handle_runner.begin(update, context, member, "handle")

    async def _set_handle(self, update: Update, member: Membership, handle: str) -> None:
        account = await self.services.accounts.set_handle(member.actor, handle)
        await say(update, handle_set_text(account))

    # --- /team -------------------------------------------------------------------------------

    async def team(self, update: Update, context: Ctx) -> None:
        chat = update.effective_chat
        if chat is None or chat.type not in ("group", "supergroup"):
            await say(
                update,
                _(
                    "Use /team inside your team's Telegram group (add me to the group first): "
                    "that group then receives the shop's notifications."
                ),
            )
            return
        await self._team(update, context)

    @member_only(Action.MANAGE_SHOP)
    async def _team(self, update: Update, context: Ctx, member: Membership) -> None:
        message = update.effective_message
        topic = message.message_thread_id if message and message.is_topic_message else None
        chat = update.effective_chat
        assert chat is not None, "a command or a button press comes from a chat"
        chat_id = chat.id
        shop = await self.services.shops.set_team_chat(member.actor, chat_id, topic)
        await say(
            update,
            _(
                "✅ This group is now the team chat of <b>{shop}</b>. I'll post here: low maximum "
                "discount warnings, claim periods opening and closing, quota running out, "
                "distributions started and stopped, deactivations, accounts linked and unlinked, "
                "and live sessions ending. The seller chooses its language with /language."
            ).format(shop=esc(shop.name)),
        )

    # --- /apikey ----------------------------------------------------------------------------

    async def apikey(self, update: Update, context: Ctx) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != "private":
            await say(update, _("🔒 For safety, /apikey only works in a private chat with me."))
            return
        await self._apikey(update, context)

    @member_only(Action.MANAGE_SHOP)
    async def _apikey(self, update: Update, context: Ctx, member: Membership) -> None:
        args = context.args or []
        if args and args[0].lower() == "revoke":
            if len(args) > 1:
                view = await self.services.api_keys.revoke(args[1], actor=member.actor)
                await say(
                    update,
                    _("✅ API key <code>{key}</code> is revoked: it stops working now.").format(
                        key=esc(view.key_id)
                    ),
                )
            else:
                await self._key_list(update, member, _("Which API key do you want to revoke?"))
            return
        key = await self.services.api_keys.create(member.actor)
        await say(
            update,
            _("🔑 New API key for <b>{shop}</b> — shown only once, store it now:").format(
                shop=esc(member.shop.name)
            )
            + f"\n<code>{esc(key.secret)}</code>\n"
            + _(
                "Key id: <code>{key}</code>. The platform sends it as "
                "<code>Authorization: Bearer …</code>. Revoke it with "
                "<code>/apikey revoke {key}</code>."
            ).format(key=esc(key.key_id)),
        )

    async def _key_list(self, update: Update, member: Membership, title: str) -> None:
        keys = [k for k in await self.services.api_keys.list(member.actor) if k.revoked_at is None]
        if not keys:
            await show(update, _("There are no active API keys. Create one with /apikey."))
            return
        rows = [
            [
                button(
                    _("Revoke {key} (created {when})").format(
                        key=k.key_id, when=local(k.created_at, member.shop)
                    ),
                    Button.API_KEY,
                    k.key_id,
                )
            ]
            for k in keys[:30]
        ]
        await show(update, title, markup(*rows, [button(_("✖ Cancel"), Button.PICKER_CANCEL)]))

    @member_only(Action.MANAGE_SHOP)
    async def apikey_button(self, update: Update, context: Ctx, member: Membership) -> None:
        parts = button_data(update).split(":")
        key_id = parts[1]
        if len(parts) == 2:
            await ack(update)
            await show(
                update,
                _("Revoke API key <code>{key}</code>? Requests using it will fail at once.").format(
                    key=esc(key_id)
                ),
                markup(
                    [
                        button(_("Yes, revoke"), Button.API_KEY, key_id, "!"),
                        button(_("✖ Cancel"), Button.PICKER_CANCEL),
                    ]
                ),
            )
            return
        keys = {k.key_id: k for k in await self.services.api_keys.list(member.actor)}
        if key_id not in keys or keys[key_id].revoked_at is not None:
            await stale(update, _("That key is already revoked."))
            return
        await self.services.api_keys.revoke(key_id, actor=member.actor)
        await ack(update, _("Revoked."))
        await show(
            update,
            _("✅ API key <code>{key}</code> is revoked: it stops working now.").format(
                key=esc(key_id)
            ),
        )


def register(application: App, wiring: Wiring) -> None:
    h = AccountHandlers(wiring.services, wiring.catalog)
    h.handle_runner.install(application, "handle", [command("handle", h.handle)])
    application.add_handler(command("link", h.link))
    application.add_handler(command("accounts", h.accounts))
    application.add_handler(command("unlink", h.unlink))
    application.add_handler(command("team", h.team))
    application.add_handler(command("apikey", h.apikey))
    application.add_handler(
        CallbackQueryHandler(h.link_button, pattern=rf"^{Button.LINK}:(official|marketing)$")
    )
    application.add_handler(
        CallbackQueryHandler(h.unlink_button, pattern=rf"^{Button.ACCOUNT}:\d+:(u|u!|k)$")
    )
    application.add_handler(
        CallbackQueryHandler(h.apikey_button, pattern=rf"^{Button.API_KEY}:[A-Za-z0-9]+(:!)?$")
    )


# --- the /handle flow ---------------------------------------------------------------------------


def handle_set_text(account: AccountView) -> str:
    return _(
        "✅ Your platform handle is <b>@{handle}</b>: Follow LIVE Host tasks count new "
        "followers of this handle."
    ).format(handle=esc(account.platform_handle))


def handle_question(step: StepContext[dict[str, Any]]) -> Question:
    return Question(_(ASK_HANDLE))


async def handle_typed(step: StepContext[dict[str, Any]], text: str) -> Outcome:
    account = await step.services.accounts.set_handle(step.actor, text)
    return Outcome(done=Done(handle_set_text(account)))


HANDLE: FlowTable[dict[str, Any]] = FlowTable(
    prefix=Flow.HANDLE,
    title=N_("🏷 Your platform handle"),
    steps={
        "handle": Step("handle", handle_question, on_text=handle_typed, leads={"a handle": END})
    },
    path=lambda draft: ["handle"],
    next_step=lambda step, draft, editing: END,
    expired=HANDLE_EXPIRED,
    cancelled=N_("Cancelled: your handle did not change."),
    access=Action.READ,
)
