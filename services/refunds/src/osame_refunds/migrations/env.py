"""Alembic environment of the refunds service (its own database only)."""

from osame_chassis.messaging.tables import plumbing_metadata
from osame_chassis.migration_env import run
from osame_refunds.adapters.orm import metadata

run([metadata, plumbing_metadata])
