"""Mermaid diagrams of every guided flow, drawn from the tables themselves (docs/flows.md):
`python -m bot.telegram.flow_diagrams > docs/flows.md` (or `make flows`). A test fails when the
page is not what this prints."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from bot.telegram import accounts, issue_flow, language, quantity_flow, setup_flow, voucher_flow
from bot.telegram.flow_table import END, FlowTable, Step


@dataclass(frozen=True)
class Drawn:
    """A flow as the page shows it: how it starts, and its table."""

    starts: tuple[tuple[str, str], ...]  # (how it is started, the step it starts at)
    table: FlowTable[Any]


FLOWS: tuple[Drawn, ...] = (
    Drawn(
        (("/newvoucher", "kind"), ("➕ Create another", "kind")),
        voucher_flow.TABLE,
    ),
    Drawn(
        (
            ("/issue (not live)", "golive"),
            ("/issue", "voucher"),
            ("🎟 Issue it now", "task"),
        ),
        issue_flow.ISSUE,
    ),
    Drawn((("⏰ Schedule a drop (live panel)", "voucher"),), issue_flow.DROP),
    Drawn(
        (("/addqty", "pick"), ("/addqty id, ➕ Add quantity", "amount")),
        quantity_flow.TABLE,
    ),
    Drawn(
        (("/addbudget", "pick"), ("/addbudget id, 💰 Raise the budget", "amount")),
        quantity_flow.BUDGET_TABLE,
    ),
    Drawn(
        (("/setup (no shop yet)", "name"), ("/setup name, /setup (seller)", "settings")),
        setup_flow.TABLE,
    ),
    Drawn((("/handle", "handle"),), accounts.HANDLE),
    Drawn((("/language", "choose"),), language.TABLE),
)
HEADER = """# The guided flows

Generated from the flow tables (`bot/telegram/flow_table.py`) by
`python -m bot.telegram.flow_diagrams > docs/flows.md` (`make flows`); a test fails when this
page is out of date. Each box is a step: its key, its question builder, and what it takes
(buttons, typed text). Each arrow is an answer the step's table declares. Not drawn, because
every step has them from the one runner (`bot/telegram/flow_runner.py`): ◀ Back (every step
after the first on the draft's path, or the table's own `back` rule), ✖ Cancel (every step
that does not close with its own "Done"), /cancel, the 30-minute timeout, an old button, an
edited message (told once: edits are not applied) and a photo or sticker (the question again).
"""


def _takes(step: Step) -> str:
    kinds = [k for k, parser in (("buttons", step.on_button), ("text", step.on_text)) if parser]
    return " or ".join(kinds) or "nothing"


def _label(text: str) -> str:
    return text.replace('"', "'")


def diagram(drawn: Drawn) -> str:
    table = drawn.table
    lines = ["```mermaid", "flowchart TD"]
    for number, (how, first) in enumerate(drawn.starts):
        lines.append(f'    start{number}(["{_label(how)}"]) --> {first}')
    for step in table.steps.values():
        counted = "" if step.counted else ", not counted"
        name = getattr(step.question, "__name__", "question")
        lines.append(
            f'    {step.key}["<b>{step.key}</b><br/>{name}<br/>({_takes(step)}{counted})"]'
        )
    ends = False
    for origin, answer, target in table.edges():
        ends = ends or target == END
        lines.append(
            f'    {origin} -- "{_label(answer)}" --> {"done" if target == END else target}'
        )
    if ends:
        lines.append('    done(["ends the flow"])')
    lines.append("```")
    return "\n".join(lines)


def page() -> str:
    parts = [HEADER]
    for drawn in FLOWS:
        table = drawn.table
        parts.append(f"## {table.title} (`{table.prefix}`)\n")
        parts.append(
            f"Buttons carry `{table.prefix}:<flow id>:<step>:<answer>`. "
            f"Who may answer: {table.access.value if table.access else 'anyone'}. "
            f"A core refusal {'ends the flow' if table.refusal_ends else 'asks the step again'}."
            "\n"
        )
        parts.append(diagram(drawn) + "\n")
    return "\n".join(parts)


def main() -> None:
    sys.stdout.write(page())


if __name__ == "__main__":
    main()
