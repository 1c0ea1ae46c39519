"""Alembic environment of the receipts service (its own database only)."""

from osame_chassis.messaging.tables import plumbing_metadata
from osame_chassis.migration_env import run
from osame_receipts.adapters.orm import metadata

run([metadata, plumbing_metadata])
