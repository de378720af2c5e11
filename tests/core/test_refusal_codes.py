"""Codes are types: every refusal code core raises, and every code the bot and the Mini App
hand on, is a `StrEnum` member defined once (core/refusal_codes.py, the claim path's
RefusalCode, the draws' DrawCode), never a bare string."""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

from core import refusal_codes
from core.errors import VoucherbotError
from core.rules.claim_outcomes import RefusalCode
from core.rules.draws import DrawCode

ROOT = Path(__file__).resolve().parents[2]


def _kinds(kind: type[VoucherbotError] = VoucherbotError) -> set[str]:
    """The names of the refusal kinds (VoucherbotError and every subclass)."""
    names = {kind.__name__}
    for sub in kind.__subclasses__():
        names |= _kinds(sub)
    return names


# Calls that take a refusal's code: the refusal kinds, and the Mini App's answer fragment.
TAKES_A_CODE = _kinds() | {"fragment"}


def _bare_codes() -> list[str]:
    found = []
    for area in ("core", "storage", "bot"):
        for path in (ROOT / area).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in TAKES_A_CODE:
                    continue  # e.g. a voucher's promo code (`code="ACMEVIP"`)
                for keyword in node.keywords:
                    value = keyword.value
                    if (
                        keyword.arg == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {value.value}")
    return found


def test_no_code_is_a_bare_string() -> None:
    assert _bare_codes() == []


def test_each_code_is_defined_once() -> None:
    enums: list[type[StrEnum]] = [RefusalCode, DrawCode]
    enums += [
        value
        for value in vars(refusal_codes).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    ]
    seen: dict[str, str] = {}
    for enum in enums:
        for member in enum:
            assert member.value not in seen, (member.value, seen.get(member.value), enum.__name__)
            seen[member.value] = enum.__name__
    assert len(enums) >= 8
