"""Run a service's own Alembic environment programmatically (at start or by a command)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATION_LOCK_KEY = 0x05A3E  # any constant; each service has its own database


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """Upgrade the database behind `engine` using the migrations in `script_location`."""
    await _run(engine, script_location, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, script_location: Path, revision: str) -> None:
    """Downgrade the database behind `engine` to `revision` (`base`: nothing left)."""
    await _run(engine, script_location, command.downgrade, revision)


async def _run(engine: AsyncEngine, script_location: Path, step, revision: str) -> None:
    url = engine.url.render_as_string(hide_password=False)
    config = alembic_config(script_location, url)

    def run(connection) -> None:
        config.attributes["connection"] = connection
        step(config, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together: one migrates, the others wait here and then find it at head.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.run_sync(run)
