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


# --- the composition root owns every long-lived resource ---------------------------------------


class _Journal:
    def __init__(self) -> None:
        self.built: list[str] = []
        self.closed: list[str] = []


def _recorded(journal: _Journal, name: str, make: Any) -> Any:
    """`make` whose results say when they are built and closed."""

    def build(*args: Any, **kwargs: Any) -> Any:
        made = make(*args, **kwargs)
        journal.built.append(name)
        close = made.close

        async def recorded_close() -> None:
            journal.closed.append(name)
            await close()

        setattr(made, "close", recorded_close)  # noqa: B010 (a method replaced)
        return made

    return build


async def test_the_composition_root_builds_each_resource_once_and_closes_them_in_reverse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path
) -> None:
    import asyncio
    import shutil

    from sqlalchemy import event

    import bot.runtime as runtime_module
    import storage.resources as resources_module
    from bot.config import Settings
    from bot.runtime import ROLE_API_ONLY, Runtime
    from storage.changes import _HOOKS

    journal = _Journal()
    for name, attribute in (
        ("publisher", "Publisher"),
        ("changes", "build_change_feed"),
        ("claim_store", "build_claim_store"),
        ("entry_writer", "EntryWriter"),
        ("entry_reader", "EntryContextReader"),
    ):
        real = getattr(resources_module, attribute)
        monkeypatch.setattr(resources_module, attribute, _recorded(journal, name, real))

    class Beacon:
        async def close(self) -> None:
            journal.closed.append("beacon")

    def build_beacon(mirrors: list[str]) -> Beacon:
        journal.built.append("beacon")
        return Beacon()

    monkeypatch.setattr(runtime_module, "build_beacon", build_beacon)
    databases: list[Any] = []
    from bot.startup import open_database as real_open

    async def open_database(url: str) -> Any:
        db = await real_open(url)
        databases.append(db)
        journal.built.append("database")
        dispose = db.dispose

        async def recorded_dispose() -> None:
            journal.closed.append("database")
            await dispose()

        setattr(db, "dispose", recorded_dispose)  # noqa: B010 (a method replaced)
        return db

    monkeypatch.setattr(runtime_module, "open_database", open_database)
    path = tmp_path / "voucherbot.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        http_port=0,
        scheduler_enabled=False,
        metrics_enabled=False,
    )
    runtime = Runtime(settings)
    stop = asyncio.Event()
    running = asyncio.create_task(runtime.run(stop))
    await runtime.wait_for_role(ROLE_API_ONLY, 10)
    services = runtime.services
    assert services is not None
    resources = services.resources
    # No service built its own: they use the root's.
    assert services.claims.store is resources.claim_store
    assert services.draws.writer is resources.entry_writer
    assert services.draws.reader is resources.entry_reader
    assert services.changes is resources.changes
    # Use the writers, so they hold connections to close.
    seller = await services.shops.create("Acme", owner_telegram_user_id=1001, owner_name="S")
    assert seller[0].id is not None
    stop.set()
    await asyncio.wait_for(running, 30)

    order = ["database", *resources_module.FIELDS_IN_ORDER, "beacon"]
    assert journal.built == order  # each once, in this order
    assert journal.closed == order[::-1]  # the last built closed first
    db = databases[0]
    assert db._closers == []  # nothing closes behind the root's back (db.on_dispose)
    for name, hook in _HOOKS:  # the publisher hooked this database only, and let go
        assert not event.contains(db.session_class, name, hook)
    assert resources.entry_writer._sqlite is not None
    assert resources.entry_writer._sqlite._conn is None
    assert resources.entry_reader._conn is None


def test_the_storage_resources_are_built_in_the_documented_order() -> None:
    from dataclasses import fields

    from storage.resources import FIELDS_IN_ORDER, Resources

    assert tuple(f.name for f in fields(Resources)) == FIELDS_IN_ORDER
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "storage/resources.py" in doc
