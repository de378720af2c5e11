"""R-live5: the live panel, one message in the host's private chat that the leader keeps
current while the session runs, then turns into the session's summary.

- `PanelRefresher` (started by the runtime beside the notification sender, so only the
  leader edits): every second it asks `LivePanelService.to_tend()` which sessions need a
  panel posted, refreshed or closed. A panel is edited only when what it would show changed
  (a hash of text and buttons is stored), and never sooner than 3 s after its last edit,
  read through the service clock: many claims in a second make at most one edit, and a
  change shows within about 4 s (the tick plus the throttle). Where the panel is lives in
  the database, so after a restart or a fail-over the new leader edits the same message.
  "Message is not modified" is success; a panel the host deleted is posted again.
- Buttons (`lp:<session id>:<op>[:<id>]`): Stop per distribution, End live (with a
  confirmation), Ask the seller for more (hosts); the seller's Add quantity starts the
  vouchers module's flow (`v:<id>:add`), Issue starts `/issue` (`is:start`) and Schedule a
  drop the drop flow (`dr:start`, in a new message). A button press refreshes the panel at
  once. When a flow takes over the panel's message (Issue, Add quantity), the panel is posted
  again below it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler

from bot.telegram import live as issue_flow
from bot.telegram.access import Ctx, membership, refusal
from bot.telegram.commands import CommandInfo
from bot.telegram.keyboards import button, data, markup
from bot.telegram.render import clip, error_text, esc
from bot.telegram.replies import ack
from core.errors import VoucherbotError
from core.rules.roles import Action
from core.services import Services
from core.services.live_panel import PanelDue, PanelRecord, PanelView

log = logging.getLogger(__name__)

PREFIX = "lp"
MIN_EDIT_GAP = timedelta(seconds=3)
TICK_SECONDS = 1.0
REFUSED_PAUSE = timedelta(minutes=1)
MAX_ROWS = 8  # distributions with their own buttons; the text lists them all
# The one place that knows how to start the /issue flow and the drop flow from a button.
ISSUE_DATA = data(issue_flow.FLOW, "start")
DROP_DATA = data("dr", "start")
TAKEOVER = r"^(is:start|v:\d+:add)$"  # flows that edit the pressed message


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _minutes(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return plural(minutes, "min", "min")
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _countdown(at: datetime, now: datetime) -> str:
    seconds = (at - now).total_seconds()
    if seconds < 60:
        return "in under a minute"
    return f"in {_minutes(at - now + timedelta(seconds=59))}"


def _clock(at: datetime, timezone: str) -> str:
    try:
        return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    except (KeyError, ValueError):
        return at.strftime("%H:%M UTC")


def render(
    view: PanelView, *, confirm_end: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The running panel: text and buttons."""
    now = view.now
    lines = [
        f"🔴 <b>You're live</b> · session #{view.session_id} · {_minutes(now - view.started_at)}",
        f"Claims this session: {view.claims:,}",
    ]
    rows: list[list[Any]] = []
    if view.distributions:
        lines.append("")
        for d in view.distributions:
            lines.append(
                f"🎟 <b>{esc(d.voucher_name)}</b> (#{d.voucher_id}) · {esc(d.task.describe())}"
            )
            lines.append(f"    {plural(d.claims, 'claim')} · {d.remaining:,} of {d.total:,} left")
            if d.remaining == 0:
                lines.append("    🔴 Sold out")
            elif d.claims_per_minute is not None:
                pace = f"    {d.claims_per_minute:.1f} claims/min"
                if d.sellout_at is not None:
                    pace += f" · sells out in about {_minutes(d.sellout_at - now)}"
                lines.append(pace)
        for d in view.distributions[:MAX_ROWS]:
            more = (
                button(f"➕ Add #{d.voucher_id}", "v", d.voucher_id, "add")
                if view.host_role == "seller"
                else button(
                    f"🙋 Ask seller for more #{d.voucher_id}",
                    PREFIX,
                    view.session_id,
                    "a",
                    d.voucher_id,
                )
            )
            rows.append(
                [
                    button(
                        f"⏹ Stop #{d.voucher_id}", PREFIX, view.session_id, "s", d.distribution_id
                    ),
                    more,
                ]
            )
    else:
        lines += ["", "Nothing is being distributed. Tap Issue to hand out a LIVE voucher."]
    if view.drops:
        lines += ["", "⏰ <b>Coming up</b>"]
        for dr in view.drops[:10]:
            lines.append(
                f"• {_clock(dr.at, view.timezone)} ({_countdown(dr.at, now)}): "
                f"<b>{esc(dr.voucher_name)}</b> (#{dr.voucher_id}) · {esc(dr.task.describe())}"
            )
        if len(view.drops) > 10:
            lines.append(f"… and {plural(len(view.drops) - 10, 'more drop')}: /drops")
    if view.draws:
        lines += ["", "🎲 <b>Lucky draws</b>"]
        for draw in view.draws:
            lines.append(
                f"• <b>{esc(draw.voucher_name)}</b>: {plural(draw.entries, 'entry', 'entries')} · "
                f"closes {_countdown(draw.closes_at, now)}"
            )
    rows.append(
        [
            button("🎟 Issue", *ISSUE_DATA.split(":")),
            button("⏰ Schedule a drop", *DROP_DATA.split(":")),
        ]
    )
    if confirm_end:
        lines += [
            "",
            "End the live session? Its distributions stop and pending drops are cancelled.",
        ]
        rows.append(
            [
                button("🎬 Yes, end it", PREFIX, view.session_id, "E"),
                button("↩ Keep going", PREFIX, view.session_id, "r"),
            ]
        )
    else:
        rows.append([button("🎬 End live", PREFIX, view.session_id, "e")])
    return clip("\n".join(lines)), markup(*rows)


def render_summary(view: PanelView) -> str:
    length = _minutes((view.ended_at or view.now) - view.started_at)
    return clip(
        f"🎬 <b>Live session #{view.session_id} ended</b> after {length}.\n"
        f"{plural(view.claims, 'voucher claim')} in this session. "
        "Its distributions stopped; vouchers already claimed stay with the viewers.\n"
        "See the figures with /stats."
    )


def fingerprint(text: str, keyboard: InlineKeyboardMarkup | None) -> str:
    buttons = keyboard.to_json() if keyboard is not None else ""
    return hashlib.sha256(f"{text}\x00{buttons}".encode()).hexdigest()


class PanelRefresher:
    """Posts and edits the panels; the state it needs (where each panel is, what it shows,
    when it was last edited) is in the database, so any instance can pick up."""

    def __init__(self, services: Services, bot: Any, *, interval: float = TICK_SECONDS) -> None:
        self.services = services
        self.bot = bot
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one tend at a time: a tick and a button never interleave
        # Sessions whose chat refused the panel (no chat with the bot yet, bot blocked):
        # retried after a pause instead of every tick, and logged once per pause.
        self._paused: dict[int, datetime] = {}

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="live-panels")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refreshing the live panels failed; trying again")
            await asyncio.sleep(self.interval)

    async def tick(self) -> None:
        """One pass over every panel that may need work."""
        now = self.services.clock.now()
        for due in await self.services.panel.to_tend():
            if self._paused.get(due.session_id, now) > now:
                continue
            try:
                await self.tend(due)
            except (BadRequest, Forbidden) as exc:
                # The host blocked the bot or never opened a chat: nothing to show them now.
                log.warning("live panel of session %d: %s", due.session_id, exc)
                self._paused[due.session_id] = now + REFUSED_PAUSE

    async def refresh_now(self, session_id: int, *, confirm_end: bool = False) -> None:
        """After a button press: at once, whatever the throttle says."""
        panel = await self.services.panel.panel_of(session_id)
        view = await self.services.panel.view(session_id)
        if view is None:
            return
        await self.tend(
            PanelDue(session_id, view.active, panel), force=True, confirm_end=confirm_end
        )

    async def tend(self, due: PanelDue, *, force: bool = False, confirm_end: bool = False) -> None:
        async with self._lock:
            panel = await self.services.panel.panel_of(due.session_id) if due.panel else None
            now = self.services.clock.now()
            if panel is not None and not force and now - panel.edited_at < MIN_EDIT_GAP:
                return  # throttled: the next tick after the gap shows the latest state
            view = await self.services.panel.view(due.session_id)
            if view is None:
                return
            closing = not view.active
            if closing:
                text, keyboard = render_summary(view), None
            else:
                text, keyboard = render(view, confirm_end=confirm_end)
            digest = fingerprint(text, keyboard)
            if panel is None:
                if closing or view.host_chat_id is None:
                    return
                await self._post(due.session_id, view.host_chat_id, text, keyboard, digest, closing)
                return
            if digest == panel.text_hash and not force:
                return
            await self._edit(panel, text, keyboard, digest, closing)

    async def _post(
        self,
        session_id: int,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
        digest: str,
        closing: bool,
    ) -> None:
        message = await self.bot.send_message(chat_id, text, reply_markup=keyboard)
        await self.services.panel.record_posted(
            session_id, chat_id, message.message_id, digest, closed=closing
        )

    async def _edit(
        self,
        panel: PanelRecord,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
        digest: str,
        closing: bool,
    ) -> None:
        try:
            await self.bot.edit_message_text(
                text, chat_id=panel.chat_id, message_id=panel.message_id, reply_markup=keyboard
            )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                pass  # it already shows this: success
            elif "not found" in reason or "can't be edited" in reason:
                # The host deleted the panel (or it is too old to edit): post a new one.
                await self._post(panel.session_id, panel.chat_id, text, keyboard, digest, closing)
                return
            else:
                raise
        await self.services.panel.record_edited(panel.session_id, digest, closed=closing)

    async def repost(self, session_id: int) -> None:
        """The panel's message was taken over by a flow: the panel moves below it."""
        async with self._lock:
            view = await self.services.panel.view(session_id)
            if view is None or not view.active or view.host_chat_id is None:
                return
            panel = await self.services.panel.panel_of(session_id)
            text, keyboard = render(view)
            chat = panel.chat_id if panel is not None else view.host_chat_id
            await self._post(session_id, chat, text, keyboard, fingerprint(text, keyboard), False)


class PanelHandlers:
    def __init__(self, services: Services, application: Application) -> None:
        self.services = services
        self.application = application

    @property
    def refresher(self) -> PanelRefresher:
        # Stateless apart from the database: a button's refresh and the leader's loop agree.
        return PanelRefresher(self.services, self.application.bot)

    async def on_button(self, update: Update, context: Ctx) -> None:
        query = update.callback_query
        parts = (query.data or "").split(":") if query is not None else []
        member = await membership(self.services, update)
        if member is None or not member.actor.may(Action.RUN_LIVE):
            await ack(update, _plain(refusal(Action.RUN_LIVE)))
            return
        try:
            session_id, op = int(parts[1]), parts[2]
            arg = int(parts[3]) if len(parts) > 3 else None
        except (IndexError, ValueError):
            await ack(update, "This button no longer applies.")
            return
        panel = await self.services.panel.panel_of(session_id)
        if (
            panel is None
            or query is None
            or query.message is None
            or (query.message.message_id != panel.message_id)
        ):
            await ack(update, "This panel is out of date: use the newest one below.")
            return
        try:
            if op == "s" and arg is not None:
                d = await self.services.live.stop(member.actor, arg)
                await ack(update, f"Stopped #{d.voucher_id}. Claimed vouchers stay with viewers.")
            elif op == "a" and arg is not None:
                await self.services.panel.ask_seller_for_more(member.actor, arg)
                await ack(update, "Asked the seller to add more.")
            elif op == "e":
                await ack(update)
                await self.refresher.refresh_now(session_id, confirm_end=True)
                return
            elif op == "E":
                await self.services.live.end_session(member.actor, session_id)
                await ack(update, "Live session ended.")
            else:
                await ack(update)
        except VoucherbotError as exc:
            await ack(update, _plain(error_text(exc)))
        await self.refresher.refresh_now(session_id)

    async def on_takeover(self, update: Update, context: Ctx) -> None:
        """Runs after the flow that a panel button started has used the panel's message."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        session_id = await self.services.panel.session_of_message(
            query.message.chat.id, query.message.message_id
        )
        if session_id is not None:
            await self.refresher.repost(session_id)


def _plain(text: str) -> str:
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", text))[:200]


# A group after the flows' (0): the flow answers the press first, then the panel moves.
TAKEOVER_GROUP = 1


# The panel has no command of its own: it appears with /live and lives on its buttons.
COMMANDS: list[CommandInfo] = []


def register(application: Application, services: Services) -> PanelHandlers:
    h = PanelHandlers(services, application)
    application.add_handler(CallbackQueryHandler(h.on_button, pattern=rf"^{PREFIX}:\d+:"))
    application.add_handler(
        CallbackQueryHandler(h.on_takeover, pattern=TAKEOVER), group=TAKEOVER_GROUP
    )
    return h
