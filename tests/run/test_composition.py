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
    settings: Any = type("S", (), {"default_currency": "USD", "default_timezone": "UTC"})()
    app: Any = type("A", (), {"bot": None})()
    wiring = application.register_features(app, object(), settings)  # type: ignore[arg-type]
    listed = [m.__name__.rpartition(".")[2] for m in application.FEATURES]
    assert calls == listed  # exactly FEATURES, nothing beside it
    assert listed[-1] == "fallbacks"  # what no feature took, last
    # Buttons under a voucher's details are what the features declare, gathered once.
    offered = [b for f in application.FEATURES for b in getattr(f, "DETAIL_BUTTONS", ())]
    assert list(wiring.detail_buttons) == offered and offered


def test_no_module_adds_to_another_modules_list() -> None:
    """Registration is explicit: nothing appends to (or extends) a list imported from another
    module of the bot."""
    for path in Path(bot.telegram.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("append", "extend", "insert")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in imported
            ):
                raise AssertionError(f"{path.name} adds to {node.func.value.id}")


def test_the_live_panel_buttons_and_loop_share_one_refresher() -> None:
    """R-live5: the panel's buttons and the leader's tick use one PanelRefresher, so its lock
    keeps a tick and a button from interleaving."""
    from bot.telegram.live_panel import PanelHandlers

    settings: Any = type("S", (), {"default_currency": "USD", "default_timezone": "UTC"})()
    app: Any = type("A", (), {"bot": None, "add_handler": lambda *a, **k: None})()
    wiring = application.register_features(app, object(), settings)  # type: ignore[arg-type]
    handlers = PanelHandlers(object(), wiring.panels)  # type: ignore[arg-type]
    assert handlers.refresher is handlers.refresher is wiring.panels


def test_command_catalog_follows_the_features() -> None:
    expected = [c for f in application.FEATURES for c in f.COMMANDS]
    assert application.command_catalog() == expected


def test_metrics_live_in_a_neutral_module() -> None:
    """The Telegram side does not reach into the HTTP side for metrics (or anything else)."""
    for path in Path(bot.telegram.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "bot.http" not in text, path.name
