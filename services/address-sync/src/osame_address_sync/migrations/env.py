"""Alembic environment of the address-sync service (its own database only)."""

from osame_address_sync.adapters.orm import metadata
from osame_chassis.messaging.tables import plumbing_metadata
from osame_chassis.migration_env import run

run([metadata, plumbing_metadata])
