"""Composition you can see: every route module is listed in `bot.http.app.ROUTE_MODULES`,
every bot feature in `bot.telegram.application.FEATURES`, and they are registered in that
visible order."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import bot.http
import bot.telegram
from bot.http import app as http_app
from bot.telegram import application

ROOT = Path(__file__).resolve().parents[2]


def test_every_route_module_is_listed() -> None:
    on_disk = {p.stem for p in Path(bot.http.__file__).parent.glob("routes_*.py")}
    listed = [m.__name__.rpartition(".")[2] for m in http_app.ROUTE_MODULES]
    assert sorted(listed) == sorted(on_disk)
    assert len(set(listed)) == len(listed)


def test_routes_are_registered_in_the_listed_order() -> None:
    expected = [r for m in http_app.ROUTE_MODULES for r in m.ROUTES]
    assert http_app.all_routes() == expected
    assert expected[0].path == "/healthz"


def _feature_modules() -> set[str]:
    """Modules of bot/telegram that declare a feature: `COMMANDS` and a `register` function."""
    found = set()
    for path in Path(bot.telegram.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)
        }
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        if "COMMANDS" in names and "register" in functions:
            found.add(path.stem)
    return found


def test_every_feature_is_listed() -> None:
    listed = [m.__name__.rpartition(".")[2] for m in application.FEATURES]
    assert sorted(listed) == sorted(_feature_modules())


def test_features_register_in_the_listed_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def recorder(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            calls.append(name)

        return record

    for feature in application.FEATURES:
        name = feature.__name__.rpartition(".")[2]
        monkeypatch.setattr(feature, "register", recorder(name))
    monkeypatch.setattr(application.start, "register_leftovers", recorder("leftovers"))
    settings: Any = type("S", (), {"default_currency": "USD", "default_timezone": "UTC"})()
    application.register_features(object(), object(), settings)  # type: ignore[arg-type]
    listed = [m.__name__.rpartition(".")[2] for m in application.FEATURES]
    assert calls == [*listed, "leftovers"]


def test_command_catalog_follows_the_features() -> None:
    expected = [c for f in application.FEATURES for c in f.COMMANDS]
    assert application.command_catalog() == expected


def test_metrics_live_in_a_neutral_module() -> None:
    """The Telegram side does not reach into the HTTP side for metrics (or anything else)."""
    for path in Path(bot.telegram.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "bot.http" not in text, path.name
