"""Bot API request parameters, from a query string, a JSON body, a form or a multipart upload.

PTB sends form fields where strings stay raw and everything else (numbers, booleans,
reply_markup, entities, scope, ...) is a JSON string; JSON bodies carry typed values. Each
accessor accepts both, as Telegram does.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.telegram_standin.errors import bad_request


@dataclass(frozen=True)
class UploadedPart:
    """A file part of a multipart request."""

    field_name: str
    filename: str
    data: bytes
    content_type: str | None

    @property
    def mime_type(self) -> str:
        if self.content_type and self.content_type != "application/octet-stream":
            return self.content_type
        guessed, _ = mimetypes.guess_type(self.filename)
        return guessed or "application/octet-stream"


class ApiParams:
    """The parameters of one Bot API call, with Telegram's lenient type coercion."""

    def __init__(
        self, values: Mapping[str, Any], files: Mapping[str, UploadedPart] | None = None
    ) -> None:
        self._values = dict(values)
        self._files = dict(files or {})

    @classmethod
    async def from_request(cls, request: web.Request) -> ApiParams:
        values: dict[str, Any] = dict(request.query)
        files: dict[str, UploadedPart] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as error:
                    raise bad_request("can't parse JSON object") from error
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                values.update(body)
            elif request.content_type in (
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = UploadedPart(
                            name, value.filename, value.file.read(), value.content_type
                        )
                    else:
                        values[name] = value
        return cls(values, files)

    def as_dict(self) -> dict[str, Any]:
        """The parameters for the call log; uploads appear as ``<file name, N bytes>``."""
        logged: dict[str, Any] = dict(self._values)
        for name, part in self._files.items():
            logged[name] = f"<file {part.filename}, {len(part.data)} bytes>"
        return logged

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "") or name in self._files

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        return value if isinstance(value, str) else str(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value) if isinstance(value, int) else int(str(value).strip())
        except ValueError as error:
            raise bad_request(f"invalid {name} specified") from error

    def get_float(self, name: str) -> float | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as error:
            raise bad_request(f"invalid {name} specified") from error

    def get_bool(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def get_json(self, name: str) -> Any:
        """A JSON-serialized parameter (reply_markup, entities, scope, ...), decoded."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as error:
            raise bad_request(f"can't parse {name} JSON object") from error

    def get_chat_id(self, name: str = "chat_id") -> int | str:
        """A chat id: an integer, or ``@username`` for public chats."""
        value = self._values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            return value
        try:
            return int(value)
        except (TypeError, ValueError) as error:
            raise bad_request("chat not found") from error

    def get_upload(self, name: str) -> UploadedPart | str | None:
        """A file parameter: an uploaded part (also via ``attach://``), or a file_id / URL."""
        if name in self._files:
            return self._files[name]
        value = self.get_str(name)
        if value is not None and value.startswith("attach://"):
            attached = self._files.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request(f"can't find attached file {value!r}")
            return attached
        return value
