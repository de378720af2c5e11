"""Running `voucherbot` as a real process for the R-run1 tests."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

VOUCHERBOT = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a service run in `tmp_path`: no token, SQLite there, a free port.
    Every setting is given explicitly, so a developer's own `.env` plays no part."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'voucherbot.db'}",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(free_port()),
            "TELEGRAM_BOT_TOKEN": "",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(settings)
    return env


def run_to_exit(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VOUCHERBOT, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_healthy(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """Bounded polling of /healthz until the service answers (or the deadline passes)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the service exited early with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the service did not answer /healthz before the deadline")


class Pty:
    """A process whose stdin/stdout/stderr are a pseudo-terminal, as a person's would be."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [*VOUCHERBOT, *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd
        )
        os.close(slave)
        self.output = b""

    def read_until(self, token: bytes, timeout: float = DEADLINE) -> bool:
        deadline = time.monotonic() + timeout
        while token not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the process closed the terminal
                    return token in self.output
                if not chunk:
                    break
                self.output += chunk
        return token in self.output

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def wait(self, timeout: float = DEADLINE) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.read_until(b"\x00never", 0.2)
        self.read_until(b"\x00never", 0.2)  # what was printed last
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the service did not stop before the deadline")
        return self.process.returncode

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")
