"""Alembic environment of the console (its own database: sessions and the sign-in audit log)."""

from osame_chassis.migration_env import run
from osame_console.adapters.orm import metadata

run([metadata])
