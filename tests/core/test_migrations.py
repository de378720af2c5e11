"""The Alembic migrations build exactly the schema the tables declare (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.db import Database
from storage.migrate import upgrade


def _diff(connection):  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


async def test_migrations_match_the_tables(db: Database) -> None:
    await upgrade(db)  # idempotent: already at head
    async with db.write_engine.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == []
