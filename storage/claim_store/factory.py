"""Which claim store a database gets; the composition root calls this and closes the store."""

from __future__ import annotations

from storage.claim_store.contract import ClaimStore
from storage.db import Database


def build_claim_store(db: Database) -> ClaimStore:
    if db.is_sqlite and db.url.database and db.url.database != ":memory:":
        from storage.claim_store.sqlite import SqliteClaimStore

        return SqliteClaimStore(db)
    if db.dialect == "postgresql":
        from storage.claim_store.postgres import PostgresClaimStore

        return PostgresClaimStore(db)
    raise ValueError("claims need a PostgreSQL database or an SQLite file")
