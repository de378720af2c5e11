"""R-b6: every guided flow is a table run by one runner; docs/flows.md is drawn from them."""

from __future__ import annotations

from pathlib import Path

from bot.telegram.callbacks import Button, Flow
from bot.telegram.flow_diagrams import FLOWS, page
from bot.telegram.flow_table import END

DOCS = Path(__file__).resolve().parents[2] / "docs" / "flows.md"


def test_r_b6_docs_flows_is_current() -> None:
    """Regenerate with `make flows` (python -m bot.telegram.flow_diagrams > docs/flows.md)."""
    assert DOCS.read_text() == page()


def test_r_b6_every_answer_leads_to_a_step_of_its_table_and_every_step_is_reached() -> None:
    for drawn in FLOWS:
        table = drawn.table
        for origin, answer, target in table.edges():
            assert target == END or target in table.steps, (table.prefix, origin, answer)
        reached = {step for _how, step in drawn.starts}
        frontier = list(reached)
        while frontier:
            step = frontier.pop()
            for target in table.steps[step].leads.values():
                if target != END and target not in reached:
                    reached.add(target)
                    frontier.append(target)
        assert reached == set(table.steps), table.prefix


def test_r_b3_one_prefix_per_flow_and_button_and_all_short() -> None:
    prefixes = [str(p) for p in (*Flow, *Button)]
    assert len(prefixes) == len(set(prefixes))
    assert {drawn.table.prefix for drawn in FLOWS} <= set(Flow)
    # `<prefix>:<flow id>:<step>:` leaves room for an answer in 64 bytes.
    for drawn in FLOWS:
        for step in drawn.table.steps:
            assert len(f"{drawn.table.prefix}:ffff:{step}:".encode()) <= 32
