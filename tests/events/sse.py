"""A small Server-Sent Events reader for the tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse


@dataclass
class Message:
    event: str
    data: Any
    id: str | None
    comment: bool = False


async def next_message(response: ClientResponse, *, within: float = 5.0) -> Message:
    """The next event or comment of the stream."""
    fields: dict[str, str] = {}
    comment = False
    async with asyncio.timeout(within):
        while True:
            raw = await response.content.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\r\n")
            if line == "":
                if fields or comment:
                    break
                continue
            if line.startswith(":"):
                comment = True
                continue
            name, _, value = line.partition(":")
            fields[name] = fields.get(name, "") + value.removeprefix(" ")
    if not fields:
        return Message("", None, None, comment=True)
    data = fields.get("data")
    return Message(
        fields.get("event", "message"), json.loads(data) if data else None, fields.get("id")
    )


async def next_event(response: ClientResponse, *, within: float = 5.0) -> Message:
    """The next event, past comments (heartbeats)."""
    while True:
        m = await next_message(response, within=within)
        if not m.comment:
            return m
