"""Guided flows declared as data (R-b6), after python-telegram-bot's `conversationbot.py`, whose
`states` dict is the graph.

A flow is a `FlowTable` of `Step`s. A step has a pure question builder (context → text and
answer buttons), an optional loader (what the question needs from the services), a button
parser and a text parser (→ an `Outcome`: changes to the draft, an explicit next step, a
problem to show with the same question, or the end of the flow), and `leads`: where each of its
answers can go, which is what `docs/flows.md` draws. The table's `path` gives the counted steps
a draft goes through ("Step 3 of 9") and `next_step` where a plain answer leads. One runner
(`flow_runner.FlowRunner`) runs every table: it adds ◀ Back on every step after the first and
✖ Cancel on every step, stale-button and 30-minute-timeout handling (R-b2, R-b3), edits and
non-text answers (issue 25).

Buttons carry `<prefix>:<flow id>:<step>:<arg>`; `<prefix>:<flow id>:bk` and `…:cx` are Back and
Cancel (prefixes: `callbacks.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import N_, _
from bot.telegram.keyboards import button

if TYPE_CHECKING:
    from telegram import Bot, User

    from core.rules.roles import Action
    from core.services import Services
    from core.services.accounts import Membership
    from core.views import ShopView

D = TypeVar("D")  # the flow's draft: a dataclass, or a plain dict
# The default `draft_of`: a table without one keeps its draft as the plain dict.
_AS_DICT: Callable[[dict[str, Any]], Any] = dict
BACK = "bk"
CANCEL = "cx"
END = "END"  # a step's answer that ends the flow (in `leads`)
BACK_LABEL = N_("◀ Back")
CANCEL_LABEL = N_("✖ Cancel")


@dataclass(frozen=True)
class Question:
    """What a step asks: HTML text and rows of (label, arg) answer buttons."""

    text: str
    rows: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Done:
    """The last message of a flow: it replaces the pressed message (or is a new one)."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass
class Outcome:
    """What an answer did: `changes` to the draft (then the table's rules are checked and the
    next step asked: `goto`, or the table's `next_step`), or `problem` (the same question again
    with what is accepted), or `stay` (the same step shown again, e.g. another page of a
    picker), or `done` (the flow ends with that message). `editing` switches the summary's
    edit mode on or off. `echo` is what a typed answer was read as (read_back.read_back):
    the runner shows it above the next message, so the person sees it before it is saved
    (R-l10n4)."""

    changes: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    stay: bool = False
    goto: str | None = None
    done: Done | None = None
    editing: bool | None = None
    echo: str | None = None


@dataclass(frozen=True)
class StepContext(Generic[D]):
    """Everything a step may use. Question builders are pure functions of it; loaders and
    parsers may call the services (`services`, as `member.actor`)."""

    draft: D
    ui: dict[str, Any]  # the step's own navigation state (a picker's page, a search)
    data: Any  # what the step's loader fetched
    shop: ShopView | None  # the caller's shop (None before /setup)
    now: datetime
    services: Services
    member: Membership | None
    user: User | None = None
    bot: Bot | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)  # what the flow's runner was given

    @property
    def currency(self) -> str:
        return str(self.shop.currency) if self.shop is not None else "USD"

    @property
    def timezone(self) -> str:
        return str(self.shop.timezone) if self.shop is not None else "UTC"

    @property
    def actor(self) -> Any:
        assert self.member is not None, "this step needs a member of a shop"
        return self.member.actor


Builder = Callable[[StepContext[Any]], Question]
Parser = Callable[[StepContext[Any], str], Awaitable[Outcome]]
Loader = Callable[[StepContext[Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Step:
    """One question of a flow. `leads` maps each kind of answer (in words, for the diagram)
    to the step it leads to, or END."""

    key: str
    question: Builder
    on_button: Parser | None = None
    on_text: Parser | None = None
    load: Loader | None = None
    leads: Mapping[str, str] = field(default_factory=dict)
    counted: bool = True  # part of "Step i of n" (a summary is not)
    cancel: bool = True  # ✖ Cancel under it (a step with its own "Done" has none)
    back: bool = True  # ◀ Back from it (none once something was saved)
    cancelled: str | None = None  # N_(): what /cancel says here, if not the table's


def _no_back(key: str, draft: Any, editing: bool) -> tuple[str, dict[str, Any]] | None:
    return None


@dataclass(frozen=True)
class FlowTable(Generic[D]):
    """The graph: the steps, the path a draft takes through them, and where an answer leads.

    `access` is the action the person must be allowed on every step (None: anyone); `check`
    runs the core's rules on a changed draft (a problem keeps the step); `back` overrides
    ◀ Back for a step (the step it returns to, and changes to the draft); `refusal_ends` makes
    a core refusal end the flow instead of asking again."""

    prefix: str
    title: str  # English, marked with N_(); shown translated
    steps: dict[str, Step]
    path: Callable[[D], list[str]]  # the counted steps this draft goes through, in order
    next_step: Callable[[str, D, bool], str]  # (step answered, draft, editing) → next step
    expired: str  # N_(): said when the flow timed out
    cancelled: str | Callable[[D], str]  # N_(): said when the flow is cancelled (by draft)
    access: Action | None = None
    draft_of: Callable[[dict[str, Any]], D] = _AS_DICT
    check: Callable[[str, dict[str, Any], StepContext[D]], Awaitable[str | None]] | None = None
    back: Callable[[str, D, bool], tuple[str, dict[str, Any]] | None] = _no_back
    refusal_ends: bool = False

    def cancelled_text(self, key: str | None, draft: D) -> str:
        """What ✖ Cancel or /cancel says at step `key` (translated)."""
        step = self.steps.get(key or "")
        if step is not None and step.cancelled:
            return _(step.cancelled)
        words = self.cancelled if isinstance(self.cancelled, str) else self.cancelled(draft)
        return _(words)

    def position(self, key: str, draft: D) -> tuple[int, int] | None:
        path = self.path(draft)
        if key not in path or not self.steps[key].counted:
            return None
        return path.index(key) + 1, len(path)

    def back_of(self, key: str, draft: D, editing: bool) -> tuple[str, dict[str, Any]] | None:
        """◀ Back: the table's override, else to the summary when editing from it, else the
        previous step on the path (with no change to the draft)."""
        if not self.steps[key].back:
            return None
        special = self.back(key, draft, editing)
        if special is not None:
            return special
        if editing:
            return ("summary", {}) if "summary" in self.steps and key != "summary" else None
        path = self.path(draft)
        if key not in path:
            return (path[-1], {}) if path and key == "summary" else None
        index = path.index(key)
        return (path[index - 1], {}) if index > 0 else None

    def keyboard(
        self, fid: str, key: str, question: Question, draft: D, editing: bool
    ) -> InlineKeyboardMarkup:
        rows: list[list[InlineKeyboardButton]] = [
            [button(label, self.prefix, fid, key, arg) for label, arg in row]
            for row in question.rows
            if row
        ]
        last = []
        if self.back_of(key, draft, editing) is not None:
            last.append(button(_(BACK_LABEL), self.prefix, fid, BACK))
        if self.steps[key].cancel:
            last.append(button(_(CANCEL_LABEL), self.prefix, fid, CANCEL))
        if last:
            rows.append(last)
        return InlineKeyboardMarkup(rows)

    def heading(self, key: str, draft: D) -> str:
        where = self.position(key, draft)
        step = (
            " · " + _("Step {step} of {steps}").format(step=where[0], steps=where[1])
            if where
            else ""
        )
        return f"<b>{_(self.title)}</b>{step}"

    def edges(self) -> list[tuple[str, str, str]]:
        """(from, answer, to) for every declared answer, Back and Cancel left to the runner."""
        return [
            (step.key, answer, target)
            for step in self.steps.values()
            for answer, target in step.leads.items()
        ]
