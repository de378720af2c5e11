"""Failure injection: make the next calls of a method fail or hang, for retry tests."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from bot.telegram_standin.errors import ApiError

# Telegram's front end answers a 502 with nginx's HTML page, not with JSON.
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class FailureRule:
    """What happens to one call: an error answer, a delay, or a delay then the real answer.

    ``apply_first``: the call takes effect before the delayed answer, like a message Telegram
    delivered although the bot timed out waiting for the response.
    """

    error: ApiError | None = None
    delay: float = 0.0
    apply_first: bool = False


def injected_error(
    status: int, *, retry_after: int | None = None, description: str | None = None
) -> ApiError:
    if status == 429:
        wait = retry_after if retry_after is not None else 1
        return ApiError(
            429, description or f"Too Many Requests: retry after {wait}", retry_after=wait
        )
    if status == 502 and description is None:
        return ApiError(502, "Bad Gateway", html_body=BAD_GATEWAY_PAGE)
    if description is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        description = f"{phrase}: injected by the stand-in" if status < 500 else phrase
    return ApiError(status, description, retry_after=retry_after)


class FailureInjector:
    """Rules queued per method (case-insensitive), consumed one per call."""

    def __init__(self) -> None:
        self._rules: dict[str, deque[FailureRule]] = {}

    def add(self, method: str, rule: FailureRule, times: int = 1) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._rules.setdefault(method.lower(), deque()).extend(rule for _ in range(times))

    def take(self, method: str) -> FailureRule | None:
        rules = self._rules.get(method.lower())
        return rules.popleft() if rules else None

    def pending(self, method: str) -> int:
        return len(self._rules.get(method.lower(), ()))

    def clear(self) -> None:
        self._rules.clear()
