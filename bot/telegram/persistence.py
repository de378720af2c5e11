"""PTB persistence on the service's database, so guided flows survive a restart (R-b2).

Conversation states and user/chat/bot data are stored as JSON; handlers keep only JSON-able
values in them (dicts of primitives, ISO datetimes). Arbitrary callback data is not used, so it
is not stored. A document is written only when its JSON changed since it was last stored.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from core.clock import Clock
from storage import bot_state
from storage.db import Database

UPDATE_INTERVAL_SECONDS = 2.0


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(
        self, db: Database, clock: Clock, *, update_interval: float = UPDATE_INTERVAL_SECONDS
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = db
        self._clock = clock
        self._written: dict[tuple[str, str], str] = {}

    # --- user, chat and bot data ----------------------------------------------------------

    async def _load(self, kind: str) -> dict[str, Any]:
        async with self._db.read() as session:
            rows = await bot_state.data_of_kind(session, kind)
        self._written.update({(kind, ref): text for ref, text in rows.items()})
        return {ref: json.loads(text) for ref, text in rows.items()}

    async def _save(self, kind: str, ref: str, data: Any) -> None:
        text = _dump(data)
        if self._written.get((kind, ref)) == text:
            return
        async with self._db.write() as session:
            await bot_state.save_data(session, kind, ref, text, self._clock.now())
        self._written[(kind, ref)] = text

    async def _drop(self, kind: str, ref: str) -> None:
        async with self._db.write() as session:
            await bot_state.drop_data(session, kind, ref)
        self._written.pop((kind, ref), None)

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(ref): data for ref, data in (await self._load("user")).items()}

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {int(ref): data for ref, data in (await self._load("chat")).items()}

    async def get_bot_data(self) -> dict[str, Any]:
        data: dict[str, Any] = (await self._load("bot")).get("bot", {})
        return data

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._save("user", str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        await self._save("chat", str(chat_id), data)

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        await self._save("bot", "bot", data)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop("user", str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop("chat", str(chat_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Only the leader writes (docs/scheduler.md), so memory is already current."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        """See refresh_user_data."""

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        """See refresh_user_data."""

    # --- callback data (not used: buttons carry compact strings) ------------------------

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        """Arbitrary callback data is off; nothing to store."""

    # --- conversations --------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._db.read() as session:
            rows = await bot_state.conversations(session, name)
        self._written.update({(f"conv:{name}", key): state for key, state in rows.items()})
        return {tuple(json.loads(key)): json.loads(state) for key, state in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        ref = _dump(list(key))
        if new_state is None:
            if (f"conv:{name}", ref) not in self._written:
                return
            async with self._db.write() as session:
                await bot_state.drop_conversation(session, name, ref)
            self._written.pop((f"conv:{name}", ref), None)
            return
        text = _dump(new_state)
        if self._written.get((f"conv:{name}", ref)) == text:
            return
        async with self._db.write() as session:
            await bot_state.save_conversation(session, name, ref, text, self._clock.now())
        self._written[(f"conv:{name}", ref)] = text

    async def flush(self) -> None:
        """Every update is written when PTB hands it over; nothing is buffered here."""
