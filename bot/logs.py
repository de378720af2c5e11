"""Logging for the CLI: useful lines by default, no per-request or per-tick chatter.

While a person chats with the bot in this terminal (`run` without a token), log lines would
bury the conversation: every line then goes to `data/voucherbot.log` and none to the
terminal (R-run1). Failures at start-up are printed by the CLI itself, not logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

# `request_id` is the HTTP request being answered (`-` outside one; bot/http/request_ids.py).
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Per-request and per-tick INFO lines: the access log, PTB's HTTP client, APScheduler's job
# runs (the resync job fires every second).
CHATTY = ("aiohttp.access", "httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler")


def configure_logging(
    level_name: str, *, chat_in_terminal: bool = False, log_file: Path = Path("data/voucherbot.log")
) -> None:
    from bot.http.request_ids import install_log_field

    install_log_field()
    level = getattr(logging, level_name.upper(), logging.INFO)
    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(level)
    if chat_in_terminal:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(log_file, encoding="utf-8")
        file.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(file)
        print(f"Logs go to {log_file} while you chat here.")
    else:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(console)
    if level > logging.DEBUG:
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
