"""The error answers of the Bot API, as Telegram words them."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ...}``.

    ``html_body`` replaces the JSON body: Telegram's front end answers some 5xx with an HTML page,
    and clients must survive that too.
    """

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        html_body: str | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.html_body = html_body
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def chat_upgraded(new_chat_id: int) -> ApiError:
    """Telegram's answer to a send to a group that became a supergroup."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=new_chat_id,
    )


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def cant_parse_entities(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


NOT_FOUND = ApiError(404, "Not Found")
UNAUTHORIZED = ApiError(401, "Unauthorized")
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
