"""Applying Alembic migrations from code (`voucherbot migrate`, `voucherbot run`, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: it only has to be the same in every process of the deployment.
MIGRATION_LOCK_ID = 0x766F7563


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes starting at once must not migrate twice.
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.write_engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)


def _revision(connection: Connection, message: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.revision(config, message=message, autogenerate=True)


async def make_revision(db: Database, message: str) -> None:
    """Writes a new revision with what the tables changed since head (`make migration`)."""
    await upgrade(db)
    async with db.write_engine.begin() as connection:
        await connection.run_sync(_revision, message)
