"""Every setting of bot/config.py is in .env.example (with its default), in the settings table
of docs/operations.md (with its default) and named by `voucherbot run --help`."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_every_setting_is_in_env_example_with_its_default() -> None:
    lines = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if re.match(r"^[A-Z_]+=", line)
    )
    for name, field in Settings.model_fields.items():
        assert name.upper() in lines, name
        default = field.get_default(call_default_factory=True)
        assert lines[name.upper()] == _shown(default), name


def test_every_setting_is_in_the_operations_table_with_its_default() -> None:
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r"^\| `([A-Z_]+)` \| ([^|]+) \|", (ROOT / "docs/operations.md").read_text(), re.M
        )
    }
    for name, field in Settings.model_fields.items():
        assert name.upper() in rows, name
        default = field.get_default(call_default_factory=True)
        if isinstance(default, (bool, int)) or name.endswith("_days"):
            assert rows[name.upper()].strip() == f"`{_shown(default)}`", name


def test_run_help_names_every_setting() -> None:
    parser = build_parser()
    run = parser._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    text = re.sub(r"\s+", " ", run.format_help())
    for name in Settings.model_fields:
        assert name.upper() in text, name
