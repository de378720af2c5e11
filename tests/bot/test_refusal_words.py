"""R-b5: every refusal code the core can raise toward the bot has a sentence in every language,
and every sentence belongs to a code something raises (bot/telegram/wording.py REFUSALS).

The codes are collected from core/ itself: each `code=` of a raised refusal (a literal, or a
constant such as `LOW_DISCOUNT_UNACKNOWLEDGED` or `RefusalCode.SOLD_OUT`), so a code added in
core without its sentence fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, speaking
from bot.telegram.wording import REFUSALS
from core.errors import NotFound, VoucherbotError

CORE = Path(__file__).resolve().parents[2] / "core"
# Refused to buyers through the platform's API only (checkout and claims): the bot never calls
# these services, so their codes never reach a chat.
BUYER_SIDE = {
    "core/services/checkout.py",
    "core/services/claims.py",
    "core/services/promo_codes.py",
}
# Worded by kind or by field, not by code (wording._BY_KIND, field_problem, money_refusal).
GENERIC = {"not_found", "forbidden", "conflict", "error", "validation_failed"}
FIELD_CALLS = {"invalid", "FieldError", "MoneyInputError"}
PARAMS = {"status": "ended", "role": "official", "limit": 1, "currency": "USD"}


def _constants() -> dict[str, str]:
    """Module-level string constants and StrEnum members of core/, by the name code uses."""
    found: dict[str, str] = {}
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and isinstance(item.targets[0], ast.Name)
                        and isinstance(item.value, ast.Constant)
                    ):
                        found[f"{node.name}.{item.targets[0].id}"] = str(item.value.value)
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found[node.targets[0].id] = node.value.value
    return found


def raised_codes() -> dict[str, set[str]]:
    """Each refusal code passed as `code=` in core/, with the modules that raise it."""
    constants = _constants()
    codes: dict[str, set[str]] = {}
    for path in CORE.rglob("*.py"):
        module = str(path.relative_to(CORE.parent))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            name = name or (node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if name in FIELD_CALLS:
                continue
            for keyword in node.keywords:
                if keyword.arg != "code":
                    continue
                value = keyword.value
                if isinstance(value, ast.Constant):
                    code = "" if value.value is None else str(value.value)
                else:
                    # `rules.DrawCode.DRAW_CLOSED` is known as `DrawCode.DRAW_CLOSED`
                    dotted = ast.unparse(value).split(".")
                    names = (".".join(dotted[i:]) for i in range(max(1, len(dotted) - 1)))
                    code = next((constants[n] for n in names if n in constants), "")
                if code:
                    codes.setdefault(code, set()).add(module)
    return codes


def bot_codes() -> set[str]:
    return {
        code
        for code, modules in raised_codes().items()
        if code not in GENERIC and not modules <= BUYER_SIDE
    }


def test_r_b5_the_collector_sees_the_codes_it_must() -> None:
    codes = raised_codes()
    assert {"drop_not_pending", "draw_closed", "not_a_draw", "no_seller_chat"} <= set(codes)
    assert "low_discount_unacknowledged" in codes  # a constant
    assert "sold_out" in codes and "task_not_met" in codes  # literals and enum members


def test_r_b5_every_code_raised_toward_the_bot_has_a_sentence() -> None:
    assert sorted(bot_codes() - set(REFUSALS)) == []


def test_r_b5_every_sentence_belongs_to_a_code_something_raises() -> None:
    assert sorted(set(REFUSALS) - set(raised_codes())) == []


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_r_b5_every_refusal_sentence_is_translated(language: str) -> None:
    untranslated = []
    for code, words in REFUSALS.items():
        with speaking("en"):
            english = words(PARAMS)
        with speaking(language):
            spoken = words(PARAMS)
        if spoken == english:
            untranslated.append(code)
    assert untranslated == []


def test_r_b5_a_refusal_never_falls_back_to_the_generic_sentence() -> None:
    from bot.telegram.wording import refusal_text

    with speaking("en"):
        generic = refusal_text(VoucherbotError("x", code="something_new"))
        for code in sorted(bot_codes()):
            assert refusal_text(NotFound("x", code=code, params=PARAMS)) != generic, code
