"""The long-lived storage resources of one process, built once and closed in reverse order.

Each holds connections, threads or hooks of its own, so exactly one owner builds and closes
it: the composition root (`bot/runtime.py`, `bot/http/serve_api.py`) opens a `Resources` for
its database and hands it to `core.services.Services.build`; no service builds its own. Built
in this order (`FIELDS_IN_ORDER`), closed in the reverse one:

1. the change publisher (hooks this database's write sessions, R-scale1);
2. the change feed (what other processes changed: the caches' freshness);
3. the claim store (group commit of claims, R-c1, R-v12);
4. the draw entries' writer (group commit of entries, R-draw1);
5. the draw entries' reader (what an entry is checked against).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.changes import ChangeFeed, Publisher, build_change_feed
from storage.claim_store import ClaimStore, build_claim_store
from storage.db import Database
from storage.draw_entries import EntryContextReader, EntryWriter

FIELDS_IN_ORDER = ("publisher", "changes", "claim_store", "entry_writer", "entry_reader")


class Closable(Protocol):
    async def close(self) -> None: ...


@dataclass
class Resources:
    publisher: Publisher
    changes: ChangeFeed
    claim_store: ClaimStore
    entry_writer: EntryWriter
    entry_reader: EntryContextReader

    @classmethod
    def build(cls, db: Database) -> Resources:
        """Builds every resource (none connects yet) and installs the publisher; the change
        feed starts listening with `start()`."""
        publisher = Publisher(db)
        publisher.install()
        changes = build_change_feed(db)
        publisher.hear(changes)  # this process hears its own commits at once
        return cls(
            publisher=publisher,
            changes=changes,
            claim_store=build_claim_store(db),
            entry_writer=EntryWriter(db),
            entry_reader=EntryContextReader(db),
        )

    @classmethod
    async def open(cls, db: Database) -> Resources:
        """`build`, then the change feed listening before the first answer from a cache."""
        resources = cls.build(db)
        try:
            await resources.changes.start()
        except BaseException:
            await resources.close()
            raise
        return resources

    def in_order(self) -> list[Closable]:
        return [getattr(self, name) for name in FIELDS_IN_ORDER]

    async def close(self) -> None:
        """Closes every resource, the last built first; each closes even when one before it
        failed (the first failure is raised at the end)."""
        failure: BaseException | None = None
        for resource in reversed(self.in_order()):
            try:
                await resource.close()
            except Exception as exc:  # the others still hold connections: close them too
                failure = failure or exc
        if failure is not None:
            raise failure
