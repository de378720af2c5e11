"""R-run1: stopping the service (SIGTERM, Ctrl-C, `/quit` in the terminal chat) finishes
cleanly, with no traceback; while a person chats in the terminal, logs go to the log file and
never into the chat, and the banner shows the API address. Each case runs `voucherbot run`
as a real process, leader of its SQLite database with the built-in Telegram stand-in."""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.run.support import DEADLINE, VOUCHERBOT, Pty, service_env, wait_healthy

LOG_LINE = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_r_run1_signal_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    env = service_env(tmp_path)
    process = subprocess.Popen(
        [*VOUCHERBOT, "run"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_healthy(int(env["HTTP_PORT"]), process)
        process.send_signal(sig)
        output, _ = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "Telegram side and notification sender running" in output  # it was really up
    assert "shutting down" in output


@pytest.mark.parametrize("how", ["/quit", "ctrl-c", "sigterm"])
def test_r_run1_terminal_chat_stops_cleanly_and_keeps_logs_out(tmp_path: Path, how: str) -> None:
    env = service_env(tmp_path)
    chat = Pty(["run"], env, tmp_path)
    try:
        assert chat.read_until(b"/quit (or end of input) leaves"), chat.text
        assert f"http://127.0.0.1:{env['HTTP_PORT']}" in chat.text  # the banner's API address
        chat.type("/start")
        assert chat.read_until(b"bot> "), chat.text
        if how == "/quit":
            chat.type("/quit")
        else:
            chat.process.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGTERM)
        code = chat.wait()
    finally:
        chat.close()
    assert code == 0, chat.text
    assert "Traceback" not in chat.text, chat.text
    assert not LOG_LINE.search(chat.text), chat.text  # no log line in the chat
    log = (tmp_path / "data" / "voucherbot.log").read_text()
    assert "HTTP API on http://127.0.0.1" in log  # the logs went to the file instead
    assert "Traceback" not in log, log
    assert " ERROR " not in log, log
