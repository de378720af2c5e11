"""Guided flows declared as data (R-b6), after python-telegram-bot's `conversationbot.py`, whose
`states` dict is the graph.

A flow is a table of `Step`s: a pure question builder (draft + prefetched data → text and answer
buttons), a button parser and a text parser (→ an `Outcome`: changes to the draft, or a problem to
show with the same question), and a next-step rule. The engine adds what every flow shares from
the table itself: "Step 3 of 9" (the position on the draft's path), ◀ Back on every step after
the first, ✖ Cancel on every question, stale-button and 30-minute-timeout handling (R-b2, R-b3).
Buttons carry `<prefix>:<flow id>:<step>:<arg>`; `<prefix>:<flow id>:bk` and `…:cx` are Back and
Cancel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import N_, _
from bot.telegram.keyboards import button

D = TypeVar("D")  # the flow's draft dataclass
BACK = "bk"
CANCEL = "cx"
BACK_LABEL = N_("◀ Back")
CANCEL_LABEL = N_("✖ Cancel")


@dataclass(frozen=True)
class Question:
    """What a step asks: HTML text and rows of (label, arg) answer buttons."""

    text: str
    rows: Sequence[Sequence[tuple[str, str]]] = ()


@dataclass
class Outcome:
    """What an answer did: `changes` to the draft (then the step's rules are checked and the
    next step asked), or `problem` (the same question again with what is accepted), or `stay`
    (the same step shown again, e.g. another page of a picker)."""

    changes: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    stay: bool = False


@dataclass(frozen=True)
class StepContext(Generic[D]):
    """Everything a question builder may use; builders are pure functions of it."""

    draft: D
    ui: dict[str, Any]  # the step's own navigation state (a picker's page, a search)
    data: Any  # what the step's loader fetched
    shop: Any  # the caller's ShopView
    now: Any

    @property
    def currency(self) -> str:
        return str(self.shop.currency)

    @property
    def timezone(self) -> str:
        return str(self.shop.timezone)


Builder = Callable[[StepContext[Any]], Question]
Parser = Callable[[StepContext[Any], str], Awaitable[Outcome]]
Loader = Callable[[Any, dict[str, Any]], Awaitable[Any]]  # (flow's member, ui) → data


@dataclass(frozen=True)
class Step:
    key: str
    question: Builder
    on_button: Parser | None = None
    on_text: Parser | None = None
    load: Loader | None = None
    counted: bool = True  # part of "Step i of n" (the summary is not)


@dataclass(frozen=True)
class FlowTable(Generic[D]):
    """The graph: the steps, the path a draft takes through them, and where an answer leads."""

    prefix: str
    title: str  # English, marked with N_(); shown translated
    steps: dict[str, Step]
    path: Callable[[D], list[str]]  # the counted steps this draft goes through, in order
    next_step: Callable[[str, D, bool], str]  # (step answered, draft, editing) → next step

    def position(self, key: str, draft: D) -> tuple[int, int] | None:
        path = self.path(draft)
        if key not in path or not self.steps[key].counted:
            return None
        return path.index(key) + 1, len(path)

    def back_of(self, key: str, draft: D, editing: bool) -> str | None:
        """◀ Back: to the summary when editing from it, else the previous step on the path."""
        if editing:
            return "summary" if "summary" in self.steps and key != "summary" else None
        path = self.path(draft)
        if key not in path:
            return path[-1] if path and key == "summary" else None
        index = path.index(key)
        return path[index - 1] if index > 0 else None

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
        last.append(button(_(CANCEL_LABEL), self.prefix, fid, CANCEL))
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


def button_parts(update: Update) -> list[str]:
    """`<prefix>:<fid>:<step>:<arg>` → [step, arg] (or [bk] / [cx])."""
    query = update.callback_query
    parts = (query.data or "").split(":") if query is not None else []
    return parts[2:]
