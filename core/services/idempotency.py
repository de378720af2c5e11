"""R-c2 for every create: one Idempotency-Key per shop remembers the request it came with
(its fingerprint) and the answer it got.

`begin` reserves a new key (or tells the first answer, or that the key came with another
request, or that its first request is still running); `finish` stores the answer; `release`
forgets a reservation whose request failed, so the client may retry it. Answers are kept for
`KEEP`; a reservation whose request never finished (the process died) lapses after `PENDING`.
Claims keep their own key in the claim's row, written in the claim's transaction
(`ClaimService`), and are not recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.services.base import Service
from storage.api_models import IdempotencyRecord

KEEP = timedelta(hours=24)
PENDING = timedelta(seconds=60)
PENDING_STATUS = 0


class KeyState(StrEnum):
    NEW = "new"  # reserved for this request: run it, then finish or release
    ANSWERED = "answered"  # the same request was answered: replay `status` and `body`
    REUSED = "reused"  # the key came with another request first
    IN_USE = "in_use"  # the first request with this key is still running


@dataclass(frozen=True)
class KeyCheck:
    state: KeyState
    status: int = 0
    body: str | None = None


class IdempotencyService(Service):
    async def begin(self, shop_id: int, key: str, fingerprint: str) -> KeyCheck:
        now = self.clock.now()
        try:
            async with self.db.write() as session:
                row = await session.get(IdempotencyRecord, (shop_id, key), with_for_update=True)
                if row is None:
                    session.add(
                        IdempotencyRecord(
                            shop_id=shop_id, key=key, fingerprint=fingerprint, created_at=now
                        )
                    )
                    return KeyCheck(KeyState.NEW)
                pending = row.status == PENDING_STATUS
                if now - row.created_at >= (PENDING if pending else KEEP):
                    row.fingerprint, row.status, row.response = fingerprint, PENDING_STATUS, None
                    row.created_at = now
                    return KeyCheck(KeyState.NEW)
                if row.fingerprint != fingerprint:
                    return KeyCheck(KeyState.REUSED)
                if pending:
                    return KeyCheck(KeyState.IN_USE)
                return KeyCheck(KeyState.ANSWERED, row.status, row.response)
        except IntegrityError:
            # Another request reserved the same key a moment before this one.
            return KeyCheck(KeyState.IN_USE)

    async def finish(
        self, shop_id: int, key: str, fingerprint: str, status: int, body: str
    ) -> None:
        async with self.db.write() as session:
            await session.execute(
                update(IdempotencyRecord)
                .where(
                    col(IdempotencyRecord.shop_id) == shop_id,
                    col(IdempotencyRecord.key) == key,
                    col(IdempotencyRecord.fingerprint) == fingerprint,
                )
                .values(status=status, response=body)
            )

    async def release(self, shop_id: int, key: str, fingerprint: str) -> None:
        async with self.db.write() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.shop_id) == shop_id,
                    col(IdempotencyRecord.key) == key,
                    col(IdempotencyRecord.fingerprint) == fingerprint,
                    col(IdempotencyRecord.status) == PENDING_STATUS,
                )
            )
