"""The one runner of every guided flow (flow_table.py declares them).

`FlowRunner(table, services)` renders a step (heading "Step n of m", its question, the problem
if an answer was refused, its buttons with ◀ Back and ✖ Cancel) and applies an answer (a button,
typed text) through the step's parsers. It also answers what every flow shares: an old button
(R-b3), a flow silent for 30 minutes (R-b2), /cancel, a person who may no longer act (R-acc3),
an edited message (said once: edits are not applied) and a photo or sticker (the question
again, saying what is expected). The flow's state is a JSON-able dict in user_data (persisted):
`fid`, `at`, `step`, `draft`, `ui`, `editing`.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import asdict, is_dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.i18n import _, current, person_language, speaking
from bot.telegram import flows
from bot.telegram.access import NOT_MEMBER, Ctx, membership, refusal
from bot.telegram.flow_table import (
    BACK,
    CANCEL,
    END,
    Done,
    FlowTable,
    Outcome,
    StepContext,
)
from bot.telegram.replies import ack, say, show
from bot.telegram.wording import refusal_text
from core.errors import VoucherbotError
from core.services import Services
from core.services.accounts import Membership

_LOGGER = logging.getLogger(__name__)

# A flow's steps take new messages only: an edit never acts (issue 25).
NEW_TEXT = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
NOT_TEXT = filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL
EDITED = filters.UpdateType.EDITED_MESSAGE


def _plain(draft: Any) -> dict[str, Any]:
    return asdict(draft) if is_dataclass(draft) and not isinstance(draft, type) else dict(draft)


class FlowRunner:
    """Runs one FlowTable for the people of one Application."""

    def __init__(self, table: FlowTable[Any], services: Services, **extras: Any) -> None:
        self.table = table
        self.services = services
        self.extras = extras  # what the steps need besides the services (a command catalog…)

    @property
    def key(self) -> str:
        return self.table.prefix

    # --- entering and leaving ---------------------------------------------------------------

    async def begin(
        self,
        update: Update,
        context: Ctx,
        member: Membership | None,
        step: str,
        draft: dict[str, Any] | None = None,
        *,
        prefix: str = "",
        fresh: bool = False,
    ) -> object:
        """Starts the flow at `step` with `draft` (the answers given as arguments or buttons
        outside the flow), in place of the pressed message, or as a new one (`fresh`)."""
        flow = flows.begin(
            context, self.key, self.services.clock, draft=draft or {}, ui={}, editing=False
        )
        return await self.ask(update, context, member, flow, step, prefix=prefix, fresh=fresh)

    async def cancel(self, update: Update, context: Ctx) -> object:
        """✖ Cancel or /cancel."""
        flow = flows.current(context, self.key) or {}
        draft = self.table.draft_of(flow.get("draft") or {})
        await ack(update, _("Cancelled."))
        await show(update, self.table.cancelled_text(flow.get("step"), draft))
        return flows.finish(context, self.key)

    async def timeout(self, update: object, context: Ctx) -> None:
        flows.finish(context, self.key)
        if isinstance(update, Update):
            # A timeout runs from the JobQueue, outside the update's language: use the one the
            # person was last answered in.
            user = update.effective_user
            with speaking(person_language(user.id if user else None) or current()):
                await say(update, _(self.table.expired))

    async def _finish(self, update: Update, context: Ctx, done: Done) -> object:
        flows.finish(context, self.key)
        await show(update, done.text, done.keyboard)
        return flows.END

    # --- answers ----------------------------------------------------------------------------

    async def on_button(self, update: Update, context: Ctx) -> object:
        flow = await flows.live_flow(update, context, self.key, self.services.clock, self._expired)
        if flow is None:
            return self._lost(context)
        member = await self._member(update, context)
        if member is False:
            return flows.END
        assert update.callback_query is not None, "registered for buttons only"
        parts = (update.callback_query.data or "").split(":")[2:]
        if parts[:1] == [CANCEL]:
            return await self.cancel(update, context)
        step = flow["step"]
        if parts[:1] != [BACK] and (len(parts) < 2 or parts[0] != step):
            await ack(update, _("That button is from an earlier question."))
            return step
        await ack(update)
        draft = self.table.draft_of(flow.get("draft") or {})
        if parts[:1] == [BACK]:
            back = self.table.back_of(step, draft, flow.get("editing", False))
            if back is None:
                return step
            target, changes = back
            flow["draft"] = {**_plain(draft), **changes}
            flow["ui"] = {}
            return await self.ask(update, context, member, flow, target)
        parser = self.table.steps[step].on_button
        if parser is None:
            return step
        answer = ":".join(parts[1:])
        return await self._answer(update, context, member, flow, step, parser, answer)

    async def on_text(self, update: Update, context: Ctx) -> object:
        return await self._on_message(update, context, typed=True)

    async def on_not_text(self, update: Update, context: Ctx) -> object:
        """A photo, a sticker, a voice note… in a step: the question again, with what it takes
        (issue 25)."""
        return await self._on_message(update, context, typed=False)

    async def _on_message(self, update: Update, context: Ctx, *, typed: bool) -> object:
        """A message in a step: typed text goes to the step's text parser; otherwise (no text,
        or a step of buttons only) the question again, saying what the step takes."""
        other = self._other(context)
        if other is not None:  # this flow was replaced by another one: the message is its
            await other._on_message(update, context, typed=typed)
            return flows.END
        flow = await flows.live_flow(update, context, self.key, self.services.clock, self._expired)
        if flow is None:
            return self._lost(context)
        member = await self._member(update, context)
        if member is False:
            return flows.END
        step = flow["step"]
        parser = self.table.steps[step].on_text
        if parser is not None and typed:
            assert update.effective_message is not None, "a typed answer comes in a message"
            text = (update.effective_message.text or "").strip()
            return await self._answer(update, context, member, flow, step, parser, text)
        if typed:
            problem = _("Please use the buttons below.")
        elif parser is not None:
            problem = _(
                "I can only read text here: send your answer as a message, or tap a button."
            )
        else:
            problem = _("I can only read button taps here: tap one of the buttons below.")
        return await self.ask(update, context, member, flow, step, problem=problem)

    async def on_edited(self, update: Update, context: Ctx) -> object:
        """An edited message never acts; the person is told once per flow (issue 25)."""
        flow = flows.current(context, self.key)
        if flow is not None and not flow.get("edit_noted"):
            flow["edit_noted"] = True
            await say(update, _("Edits are not applied; send a new message."))
        return None

    def _other(self, context: Ctx) -> FlowRunner | None:
        """The runner of the flow that replaced this one (a person is in one flow at a time;
        the conversation of the replaced flow still holds a state until it sees an update)."""
        key = flows.current_key(context)
        if key is None or key == self.key:
            return None
        return _RUNNERS.get(context.application, {}).get(key)

    def _lost(self, context: Ctx) -> object:
        return None if flows.current(context, self.key) is not None else flows.END

    @property
    def _expired(self) -> str:
        return _(self.table.expired)

    async def _member(self, update: Update, context: Ctx) -> Membership | bool | None:
        """The person answering, checked on every step (an account unlinked mid-flow can't
        go on): their Membership (None in a flow for people without a shop), or False after
        the flow ended with a polite refusal."""
        member = await membership(self.services, update)
        action = self.table.access
        if action is None:
            return member
        if member is None or not member.actor.may(action):
            flows.finish(context, self.key)
            await say(update, refusal(action) if member is not None else _(NOT_MEMBER))
            return False
        return member

    def context_of(
        self,
        update: Update,
        context: Ctx,
        member: Membership | None,
        flow: dict[str, Any],
        data: Any = None,
    ) -> StepContext[Any]:
        return StepContext(
            draft=self.table.draft_of(flow.get("draft") or {}),
            ui=flow.setdefault("ui", {}),
            data=data,
            shop=member.shop if member is not None else None,
            now=self.services.clock.now(),
            services=self.services,
            member=member,
            user=update.effective_user,
            bot=context.bot,
            extras=self.extras,
        )

    async def _answer(
        self,
        update: Update,
        context: Ctx,
        member: Any,
        flow: dict[str, Any],
        step: str,
        parser: Any,
        answer: str,
    ) -> object:
        try:
            outcome = await parser(self.context_of(update, context, member, flow), answer)
            return await self._apply(update, context, member, flow, step, outcome)
        except VoucherbotError as exc:
            if self.table.refusal_ends:
                return await self._refused(update, context, member, exc)
            return await self.ask(
                update, context, member, flow, step, problem=self._refusal(member, exc)
            )

    @staticmethod
    def _refusal(member: Membership | None, exc: VoucherbotError) -> str:
        return refusal_text(exc, member.shop.currency if member else "USD")

    async def _refused(
        self, update: Update, context: Ctx, member: Membership | None, exc: VoucherbotError
    ) -> object:
        """A core refusal that ends the flow, said in place of the question."""
        return await self._finish(update, context, Done(f"⚠️ {self._refusal(member, exc)}"))

    async def _apply(
        self,
        update: Update,
        context: Ctx,
        member: Any,
        flow: dict[str, Any],
        step: str,
        outcome: Outcome,
    ) -> object:
        """An answer's outcome: re-ask with its problem, stay, end, or store its changes, check
        them with the core's rules and ask the next question."""
        # R-l10n4: what a typed answer was read as comes first, whatever happens next.
        echo = f"{outcome.echo}\n" if outcome.echo else ""
        if outcome.done is not None:
            done = outcome.done
            return await self._finish(update, context, Done(echo + done.text, done.keyboard))
        draft = {**_plain(self.table.draft_of(flow.get("draft") or {})), **outcome.changes}
        if outcome.editing is not None:
            flow["editing"] = outcome.editing
        if outcome.problem is not None:
            if outcome.changes:  # kept as far as it went (e.g. some product ids were found)
                flow["draft"] = draft
            target = outcome.goto or step
            return await self.ask(
                update, context, member, flow, target, problem=outcome.problem, prefix=echo
            )
        if outcome.stay:
            flow["draft"] = draft
            return await self.ask(update, context, member, flow, step, prefix=echo)
        if self.table.check is not None:
            ctx = self.context_of(update, context, member, flow)
            problem = await self.table.check(step, draft, ctx)
            if problem:  # what was read is shown with why it is refused; nothing is kept
                return await self.ask(
                    update, context, member, flow, step, problem=problem, prefix=echo
                )
        flow["draft"] = draft
        flow["ui"] = {}
        changed = self.table.draft_of(draft)
        target = outcome.goto or self.table.next_step(step, changed, flow.get("editing", False))
        leads = self.table.steps[step].leads
        if leads and target not in leads.values():
            _LOGGER.warning("flow %s: %s led to %s, not declared", self.key, step, target)
        return await self.ask(update, context, member, flow, target, prefix=echo)

    # --- asking -----------------------------------------------------------------------------

    async def ask(
        self,
        update: Update,
        context: Ctx,
        member: Any,
        flow: dict[str, Any],
        step: str,
        problem: str | None = None,
        *,
        prefix: str = "",
        fresh: bool = False,
    ) -> object:
        """Renders `step`: loads what it needs, builds its question, shows it (in place of a
        pressed message, or as a new message)."""
        if step == END:
            return flows.finish(context, self.key)
        definition = self.table.steps[step]
        data = None
        if definition.load is not None:
            try:
                data = await definition.load(self.context_of(update, context, member, flow))
            except Redirect as redirect:
                outcome = redirect.outcome
                outcome.echo = outcome.echo or prefix.rstrip("\n") or None
                return await self._apply(update, context, member, flow, step, outcome)
            except VoucherbotError as exc:  # what the step needs is gone (a voucher deleted…)
                return await self._refused(update, context, member, exc)
        if isinstance(data, Done):  # nothing to ask (e.g. no voucher to pick): the flow ends
            return await self._finish(update, context, Done(prefix + data.text, data.keyboard))
        if step == "summary":
            flow["editing"] = False
        flow["step"] = step
        ctx = self.context_of(update, context, member, flow, data)
        question = definition.question(ctx)
        editing = flow.get("editing", False)
        keyboard = self.table.keyboard(flow["fid"], step, question, ctx.draft, editing)
        refused = f"⚠️ {problem}\n\n" if problem else ""
        text = f"{prefix}{refused}{self.table.heading(step, ctx.draft)}\n{question.text}"
        await (say if fresh else show)(update, text, keyboard)
        return step

    # --- PTB wiring -------------------------------------------------------------------------

    def state_handlers(self) -> list[BaseHandler[Any, Any, Any]]:
        return [
            CallbackQueryHandler(self.on_button, pattern=rf"^{self.key}:[0-9a-f]{{4}}:"),
            MessageHandler(NEW_TEXT, self.on_text),
            MessageHandler(NOT_TEXT, self.on_not_text),
            MessageHandler(EDITED, self.on_edited),
        ]

    def install(
        self, application: Any, name: str, entry_points: list[BaseHandler[Any, Any, Any]]
    ) -> None:
        """Adds the flow's persistent ConversationHandler (`name`) to `application`: its entry
        points, every step with the runner's handlers, /cancel and the timeout."""
        handlers = self.state_handlers()
        application.add_handler(
            flows.conversation(
                name,
                entry_points,
                {step: handlers for step in self.table.steps},
                self.cancel,
                self.timeout,
            )
        )
        _RUNNERS.setdefault(application, {})[self.key] = self


# The runners of each Application by flow key: a message for a flow that replaced another one
# may reach the replaced flow's conversation first, which hands it over.
_RUNNERS: weakref.WeakKeyDictionary[Any, dict[str, FlowRunner]] = weakref.WeakKeyDictionary()


class Redirect(Exception):
    """Raised by a loader that finds its step can't be asked now (e.g. a draft gone stale):
    its outcome (usually `goto` another step with a `problem`) is applied instead."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.goto)
        self.outcome = outcome
