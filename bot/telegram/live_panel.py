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

from babel.numbers import format_decimal
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler

from bot.i18n import (
    _,
    babel_locale,
    clock,
    current,
    money,
    ngettext,
    number,
    person_language,
    speaking,
)
from bot.telegram.access import App, Ctx, membership, refusal
from bot.telegram.callbacks import START, Button, Flow
from bot.telegram.commands import CommandInfo
from bot.telegram.features import Wiring
from bot.telegram.keyboards import button, data, markup
from bot.telegram.render import clip, error_text, esc, task_words
from bot.telegram.replies import ack
from bot.telegram.wording import segment_label
from core.errors import VoucherbotError
from core.rules.roles import Action
from core.services import Services
from core.services.live_panel import PanelDue, PanelRecord, PanelView

log = logging.getLogger(__name__)

PREFIX = Button.LIVE_PANEL
MIN_EDIT_GAP = timedelta(seconds=3)
TICK_SECONDS = 1.0
REFUSED_PAUSE = timedelta(minutes=1)
MAX_ROWS = 8  # distributions with their own buttons; the text lists them all
# The one place that knows how to start the /issue flow and the drop flow from a button.
ISSUE_DATA = data(Flow.ISSUE, START)
DROP_DATA = data(Flow.DROP, START)
# Flows that edit the pressed message (the panel then moves below).
TAKEOVER = rf"^({Flow.ISSUE}:{START}|{Button.VOUCHER}:\d+:add)$"


def _minutes(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes == 0:
        return _("less than a minute")
    if minutes < 60:
        return ngettext("{n} min", "{n} min", minutes).format(n=number(minutes))
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
    return _("{hours} h").format(hours=hours)


def _countdown(at: datetime, now: datetime) -> str:
    seconds = (at - now).total_seconds()
    if seconds < 60:
        return _("in under a minute")
    return _("in {duration}").format(duration=_minutes(at - now + timedelta(seconds=59)))


def _clock(at: datetime, timezone: str) -> str:
    return clock(at, timezone)  # as the team chat writes it (R-l10n1)


def render(
    view: PanelView, *, confirm_end: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The running panel: text and buttons."""
    now = view.now
    lines = [
        _("🔴 <b>You're live</b> · session #{session} · {duration}").format(
            session=view.session_id, duration=_minutes(now - view.started_at)
        ),
        _("Claims this session: {n}").format(n=number(view.claims)),
    ]
    rows: list[list[Any]] = []
    if view.distributions:
        lines.append("")
        for d in view.distributions:
            lines.append(
                f"🎟 <b>{esc(d.voucher_name)}</b> (#{d.voucher_id}) · {esc(task_words(d.task))}"
            )
            claims = ngettext("{n} claim", "{n} claims", d.claims).format(n=number(d.claims))
            left = _("{remaining} of {total} left").format(
                remaining=number(d.remaining), total=number(d.total)
            )
            lines.append(f"    {claims} · {left}")
            extra = []  # R-seg, R-budget: who may claim it, what its budget has left
            if d.segment != "all":
                extra.append(_("Only for: {segment}").format(segment=segment_label(d.segment)))
            if d.budget_left is not None:
                extra.append(
                    _("Budget left: {left}").format(left=esc(money(d.budget_left, view.currency)))
                )
            if extra:
                lines.append("    " + " · ".join(extra))
            if d.remaining == 0:
                lines.append("    " + _("🔴 Sold out"))
            elif d.claims_per_minute is not None:
                pace = "    " + _("{rate} claims/min").format(
                    rate=format_decimal(d.claims_per_minute, "0.0", locale=babel_locale())
                )
                if d.sellout_at is not None:
                    time_left = d.sellout_at - now
                    pace += " · " + (
                        _("sells out in under a minute")
                        if time_left < timedelta(minutes=1)
                        else _("sells out in about {duration}").format(duration=_minutes(time_left))
                    )
                lines.append(pace)
        for d in view.distributions[:MAX_ROWS]:
            more = (
                button(_("➕ Add #{id}").format(id=d.voucher_id), "v", d.voucher_id, "add")
                if view.host_role == "seller"
                else button(
                    _("🙋 Ask seller for more #{id}").format(id=d.voucher_id),
                    PREFIX,
                    view.session_id,
                    "a",
                    d.voucher_id,
                )
            )
            rows.append(
                [
                    button(
                        _("⏹ Stop #{id}").format(id=d.voucher_id),
                        PREFIX,
                        view.session_id,
                        "s",
                        d.distribution_id,
                    ),
                    more,
                ]
            )
    else:
        lines += ["", _("Nothing is being distributed. Tap Issue to hand out a LIVE voucher.")]
    if view.drops:
        lines += ["", _("⏰ <b>Coming up</b>")]
        for dr in view.drops[:10]:
            lines.append(
                f"• {_clock(dr.at, view.timezone)} ({_countdown(dr.at, now)}): "
                f"<b>{esc(dr.voucher_name)}</b> (#{dr.voucher_id}) · {esc(task_words(dr.task))}"
            )
        if len(view.drops) > 10:
            more_drops = len(view.drops) - 10
            lines.append(
                ngettext(
                    "… and {n} more drop: /drops", "… and {n} more drops: /drops", more_drops
                ).format(n=number(more_drops))
            )
    if view.draws:
        lines += ["", _("🎲 <b>Lucky draws</b>")]
        for draw in view.draws:
            entries = ngettext("{n} entry", "{n} entries", draw.entries).format(
                n=number(draw.entries)
            )
            if draw.waiting_for_beacon:
                closes = _("waiting for drand's public random number (up to 10 min)")
            else:
                closes = _("closes {when}").format(when=_countdown(draw.closes_at, now))
            code = _("code {fingerprint}").format(fingerprint=esc(draw.fingerprint))
            lines.append(f"• <b>{esc(draw.voucher_name)}</b>: {entries} · {closes} · {code}")
    rows.append(
        [
            button(_("🎟 Issue"), *ISSUE_DATA.split(":")),
            button(_("⏰ Schedule a drop"), *DROP_DATA.split(":")),
            button(_("🎥 Overlay"), Button.OVERLAY, "link"),  # R-ev4 (bot/telegram/overlay.py)
        ]
    )
    if confirm_end:
        lines += [
            "",
            _("End the live session? Its distributions stop and pending drops are cancelled."),
        ]
        rows.append(
            [
                button(_("🎬 Yes, end it"), PREFIX, view.session_id, "E"),
                button(_("↩ Keep going"), PREFIX, view.session_id, "r"),
            ]
        )
    else:
        rows.append([button(_("🎬 End live"), PREFIX, view.session_id, "e")])
    return clip("\n".join(lines)), markup(*rows)


def render_summary(view: PanelView) -> str:
    length = _minutes((view.ended_at or view.now) - view.started_at)
    return clip(
        _("🎬 <b>Live session #{session} ended</b> after {duration}.").format(
            session=view.session_id, duration=length
        )
        + "\n"
        + ngettext(
            "{n} voucher claim in this session.", "{n} voucher claims in this session.", view.claims
        ).format(n=number(view.claims))
        + " "
        + _("Its distributions stopped; vouchers already claimed stay with the viewers.")
        + "\n"
        + _("See the figures with /stats.")
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
            # The host's language: the one they were last answered in (R-l10n1).
            with speaking(person_language(view.host_chat_id) or current()):
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
            with speaking(person_language(view.host_chat_id) or current()):
                text, keyboard = render(view)
            chat = panel.chat_id if panel is not None else view.host_chat_id
            await self._post(session_id, chat, text, keyboard, fingerprint(text, keyboard), False)


class PanelHandlers:
    def __init__(self, services: Services, refresher: PanelRefresher) -> None:
        self.services = services
        # The one refresher of this Application (built by register_features, run by the
        # runtime's loop): its lock keeps a tick and a button from interleaving.
        self.refresher = refresher

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
            await ack(update, _("This button no longer applies."))
            return
        panel = await self.services.panel.panel_of(session_id)
        if (
            panel is None
            or query is None
            or query.message is None
            or (query.message.message_id != panel.message_id)
        ):
            await ack(update, _("This panel is out of date: use the newest one below."))
            return
        try:
            if op == "s" and arg is not None:
                d = await self.services.live.stop(member.actor, arg)
                await ack(
                    update,
                    _("Stopped #{id}. Claimed vouchers stay with viewers.").format(id=d.voucher_id),
                )
            elif op == "a" and arg is not None:
                await self.services.panel.ask_seller_for_more(member.actor, arg)
                await ack(update, _("Asked the seller to add more."))
            elif op == "e":
                await ack(update)
                await self.refresher.refresh_now(session_id, confirm_end=True)
                return
            elif op == "E":
                await self.services.live.end_session(member.actor, session_id)
                await ack(update, _("Live session ended."))
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


def register(application: App, wiring: Wiring) -> None:
    assert wiring.panels is not None
    h = PanelHandlers(wiring.services, wiring.panels)
    application.add_handler(CallbackQueryHandler(h.on_button, pattern=rf"^{PREFIX}:\d+:"))
    application.add_handler(
        CallbackQueryHandler(h.on_takeover, pattern=TAKEOVER), group=TAKEOVER_GROUP
    )
