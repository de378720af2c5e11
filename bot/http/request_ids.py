"""R-api1: every answer carries `X-Request-Id` — the client's when it sent a valid one
(1–128 characters of `A-Z a-z 0-9 . _ : -`), else one made here — and every log line written
while answering it carries the same id (`%(request_id)s`, see `bot/logs.py`)."""

from __future__ import annotations

import contextvars
import itertools
import logging
import re
import secrets
from typing import Any

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
NO_REQUEST = "-"

current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)


_PROCESS = "req_" + secrets.token_hex(6) + "_"  # this process's prefix
_counter = itertools.count(1)


def request_id_of(sent: str | None) -> str:
    """The client's id when it is valid; otherwise a fresh one, unique across processes
    (a random prefix per process and a counter). An id never refuses a request."""
    if sent is not None and _VALID.fullmatch(sent):
        return sent
    return f"{_PROCESS}{next(_counter)}"


_installed = False


def install_log_field() -> None:
    """Gives every log record a `request_id` attribute (`-` outside a request). Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
