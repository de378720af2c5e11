"""A throwaway PostgreSQL server for the tests (and `.ci/run`), on a free loopback port.

By default it trades durability for speed (fsync, synchronous_commit and full_page_writes
off), which is right for tests and wrong for measuring: `durable=True` keeps PostgreSQL's
production settings (each commit waits for its WAL flush), and the benchmarks use that.

Run as root, the server runs as the `postgres` user, as initdb refuses root. Usable as a
module: `python -m tests.support.postgres start DIR [--durable]` prints the URL; `stop DIR`
stops it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class ThrowawayPostgres:
    def __init__(self, directory: str | None = None, *, durable: bool = False) -> None:
        self.durable = durable
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL binaries (initdb, pg_ctl) not found")
        self.dir = Path(directory or tempfile.mkdtemp(prefix="voucherbot-pg-"))
        self.port = _free_port()

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        data = self.dir / "data"
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self._launch()
        (self.dir / "port").write_text(str(self.port))
        return self.url

    def _launch(self) -> None:
        data = self.dir / "data"
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-l",
                    str(self.dir / "server.log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def crash(self) -> None:
        """Stops the server the way a crash would (`immediate`: no checkpoint, nothing more
        written; the WAL is replayed at the next start). The data directory stays."""
        data = self.dir / "data"
        subprocess.run(
            _as_postgres(
                [str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            ),
            check=True,
            capture_output=True,
        )

    def restart(self) -> None:
        """Starts the server again on its data directory (after `crash`)."""
        self._launch()

    def stop(self) -> None:
        data = self.dir / "data"
        if data.exists():
            subprocess.run(
                _as_postgres(
                    [str(self.bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    durable = "--durable" in argv
    argv = [a for a in argv if a != "--durable"]
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.support.postgres start|stop DIR [--durable]", file=sys.stderr)
        return 2
    server = ThrowawayPostgres(argv[1], durable=durable)
    if argv[0] == "start":
        print(server.start())
    else:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
