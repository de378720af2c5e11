"""Who is asking, and the polite refusals of R-acc4, shared by every handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any, Protocol, TypeAlias, TypeVar, cast

from telegram import Update
from telegram.ext import Application, ContextTypes, ConversationHandler

from bot.i18n import N_, _
from bot.telegram.render import error_text
from bot.telegram.replies import notice
from core.errors import VoucherbotError
from core.rules.roles import Action
from core.services import Services
from core.services.accounts import Membership

_LOGGER = logging.getLogger(__name__)

NOT_MEMBER = N_(
    "You're not part of a shop yet. Create one with <code>/setup Your Shop Name</code>, "
    "or open the invite link your seller sent you."
)
WHO_CAN = {
    Action.MANAGE_VOUCHERS: N_(
        "🙏 Sorry, only the shop's seller can do that: ask them to create, change or "
        "deactivate vouchers."
    ),
    Action.MANAGE_SHOP: N_(
        "🙏 Sorry, only the shop's seller can manage accounts, invites, API keys and the team chat."
    ),
    Action.RUN_LIVE: N_("🙏 Sorry, only the shop's linked accounts can run live sessions."),
    Action.READ: N_("🙏 Sorry, only the shop's linked accounts can see this."),
}

Ctx = ContextTypes.DEFAULT_TYPE
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
"""The project's PTB Application (default context types, our SpeakingApplication)."""
Handler = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=Handler)


class HoldsServices(Protocol):
    """Every handler class that `member_only` decorates holds the Services."""

    @property
    def services(self) -> Services: ...


S = TypeVar("S", bound=HoldsServices)
MemberHandler = Callable[[S, Update, Ctx, Membership], Awaitable[Any]]
"""A handler method that gets the caller's Membership as 4th argument."""
BoundHandler = Callable[[S, Update, Ctx], Coroutine[Any, Any, Any]]
"""What PTB calls: the method once `member_only` has resolved the Membership."""


def refusal(action: Action) -> str:
    words = WHO_CAN.get(action)
    if words is None:  # an action added in core without its sentence here: still polite
        return _("🙏 Sorry, you may not do that in this shop.")
    return _(words)


async def membership(services: Services, update: Update) -> Membership | None:
    user = update.effective_user
    if user is None:
        return None
    return await services.accounts.membership(user.id)


def member_only(
    action: Action | None = None, *, ends_flow: bool = False
) -> Callable[[MemberHandler[S]], BoundHandler[S]]:
    """Resolves the caller's membership, refuses politely when the role may not act, and turns
    core refusals into short replies. The wrapped method gets the Membership as 4th argument.
    `ends_flow` makes a refusal end the surrounding conversation."""

    def wrap(fn: MemberHandler[S]) -> BoundHandler[S]:
        @wraps(fn)
        async def handler(self: S, update: Update, context: Ctx) -> Any:
            stop = ConversationHandler.END if ends_flow else None
            member = await membership(self.services, update)
            if member is None:
                await notice(update, _(NOT_MEMBER))
                return stop
            if action is not None and not member.actor.may(action):
                await notice(update, refusal(action))
                return stop
            return await guarded(fn)(self, update, context, member)

        return handler

    return wrap


def guarded(fn: F) -> F:
    """Core refusals become a reply to the caller instead of an error in the log."""

    @wraps(fn)
    async def handler(*args: Any) -> Any:
        update = next(a for a in args if isinstance(a, Update))
        try:
            return await fn(*args)
        except VoucherbotError as exc:
            _LOGGER.info("refused %s: %s", fn.__name__, exc.code)
            await notice(update, f"⚠️ {error_text(exc)}")
            return None

    return cast(F, handler)  # `wraps` keeps fn's signature; mypy cannot see it
