"""R-run1: the service explains its own start-up failures in one or two lines that name the
setting to fix, without a traceback, and exits non-zero. Each case runs `voucherbot` as a
real process."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.run.support import free_port, run_to_exit, service_env


def assert_explained(result: subprocess.CompletedProcess[str], *must_say: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    # Log lines of what went well may come first; the explanation is the end of the output.
    lines = result.stderr.strip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("voucherbot: ")]
    assert len(starts) == 1, output
    message = "\n".join(lines[starts[0] :])
    assert len(lines) - starts[0] <= 2, output
    for words in must_say:
        assert words in message, output


def test_r_run1_port_in_use_names_http_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = service_env(tmp_path, HTTP_PORT=str(port), SCHEDULER_ENABLED="false")
        result = run_to_exit(["run"], env, tmp_path)
    assert_explained(result, f"Port {port}", "already in use", "HTTP_PORT")


def test_r_run1_host_not_of_this_machine_names_http_host(tmp_path: Path) -> None:
    # 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    env = service_env(tmp_path, HTTP_HOST="192.0.2.1", SCHEDULER_ENABLED="false")
    result = run_to_exit(["run"], env, tmp_path)
    assert_explained(result, "HTTP_HOST")


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("postgresql://voucherbot:secret@db.example/voucherbot", "postgresql+asyncpg://"),
        ("postgres://voucherbot@db.example/voucherbot", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://voucherbot@db.example/voucherbot", "postgresql+asyncpg://"),
        ("sqlite:///data/voucherbot.db", "sqlite+aiosqlite://"),
        ("mysql+aiomysql://db.example/voucherbot", "postgresql+asyncpg://"),
        ("not a url", "sqlite+aiosqlite://"),
    ],
)
def test_r_run1_url_without_async_driver_says_the_right_scheme(
    tmp_path: Path, url: str, advice: str
) -> None:
    result = run_to_exit(["run"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL", advice)
    assert "secret" not in result.stderr  # a password never reaches the terminal


def test_r_run1_database_down_names_database_url(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://voucherbot:secret@127.0.0.1:{free_port()}/voucherbot"
    result = run_to_exit(["run"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL", "connection refused")
    assert "secret" not in result.stderr


def test_r_run1_sqlite_file_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    url = f"sqlite+aiosqlite:///{blocker / 'voucherbot.db'}"
    result = run_to_exit(["migrate"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL")


@pytest.mark.postgres
def test_r_run1_database_refusing_names_database_url(tmp_path: Path, pg_url: str) -> None:
    missing = make_url(pg_url).set(database="no_such_database")
    url = missing.render_as_string(hide_password=False)
    result = run_to_exit(["run"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL", "no_such_database")

    stranger = make_url(pg_url).set(username="no_such_role")
    url = stranger.render_as_string(hide_password=False)
    result = run_to_exit(["migrate"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL", "no_such_role")


def test_r_run1_migrations_that_cannot_apply(tmp_path: Path) -> None:
    """A database migrated by a version this one does not know: refused, nothing changed."""
    path = tmp_path / "newer.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    url = f"sqlite+aiosqlite:///{path}"
    result = run_to_exit(["run"], service_env(tmp_path, DATABASE_URL=url), tmp_path)
    assert_explained(result, "DATABASE_URL", "9999_from_the_future")
    with sqlite3.connect(path) as connection:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert tables == {"alembic_version"}  # nothing was written


def test_r_run1_setting_that_does_not_parse(tmp_path: Path) -> None:
    result = run_to_exit(["run"], service_env(tmp_path, HTTP_PORT="eighty"), tmp_path)
    assert_explained(result, "HTTP_PORT", "eighty")
