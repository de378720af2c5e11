"""What every guided flow shares: its state in user_data (JSON-able, persisted), a short flow
id in its buttons so buttons of an older flow are recognised (R-b3), and the 30-minute
timeout (R-b2) — by the JobQueue while the process runs, and by the service clock for a flow
that was interrupted by a restart."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import _
from bot.telegram.replies import ack, say, stale
from core.clock import Clock

FLOW_TIMEOUT = timedelta(minutes=30)
Ctx = ContextTypes.DEFAULT_TYPE
END = ConversationHandler.END


def _store(context: Ctx) -> dict[str, Any]:
    return context.user_data if context.user_data is not None else {}


def begin(context: Ctx, key: str, clock: Clock, **values: Any) -> dict[str, Any]:
    """Starts flow `key`; one guided flow at a time, so any other one ends here."""
    store = _store(context)
    for other in [k for k, v in store.items() if isinstance(v, dict) and "fid" in v]:
        store.pop(other)
    flow = {"fid": secrets.token_hex(2), "at": clock.now().isoformat(), **values}
    store[key] = flow
    return flow


def current_key(context: Ctx) -> str | None:
    """The key of the person's guided flow, if one is going on."""
    return next((k for k, v in _store(context).items() if isinstance(v, dict) and "fid" in v), None)


def current(context: Ctx, key: str) -> dict[str, Any] | None:
    flow = _store(context).get(key)
    return flow if isinstance(flow, dict) and "fid" in flow else None


def touch(flow: dict[str, Any], clock: Clock) -> None:
    flow["at"] = clock.now().isoformat()


def finish(context: Ctx, key: str) -> int:
    _store(context).pop(key, None)
    return END


def expired(flow: dict[str, Any], clock: Clock) -> bool:
    return clock.now() - datetime.fromisoformat(flow["at"]) > FLOW_TIMEOUT


async def live_flow(
    update: Update, context: Ctx, key: str, clock: Clock, expired_text: str
) -> dict[str, Any] | None:
    """The flow this update continues, or None after answering why it can't (old button,
    expired flow). Button data looks like `<prefix>:<flow id>:…`."""
    flow = current(context, key)
    query = update.callback_query
    if flow is None:
        if query is not None:
            await stale(update)
        return None
    if query is not None:
        parts = (query.data or "").split(":")
        if len(parts) < 2 or parts[1] != flow["fid"]:
            await stale(update)
            return None
    if expired(flow, clock):
        finish(context, key)
        await ack(update, _("This flow has expired."))
        await say(update, expired_text)
        return None
    touch(flow, clock)
    return flow


def conversation(
    name: str,
    entry_points: Sequence[BaseHandler[Any, Any, Any]],
    states: dict[object, list[BaseHandler[Any, Any, Any]]],
    cancel: Any,
    on_timeout: Any,
) -> ConversationHandler[Any]:
    with warnings.catch_warnings():
        # Flow buttons belong to the user's flow, not to one message: per_message stays off.
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=list(entry_points),
            states={**states, ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)]},
            fallbacks=[CommandHandler("cancel", cancel, filters=filters.UpdateType.MESSAGE)],
            name=name,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=FLOW_TIMEOUT.total_seconds(),
        )
