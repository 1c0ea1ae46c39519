"""Alembic environment of the intermediate-server-gw service (its own database only)."""

from osame_chassis.messaging.tables import plumbing_metadata
from osame_chassis.migration_env import run
from osame_gateway.adapters.orm import metadata

run([metadata, plumbing_metadata])
