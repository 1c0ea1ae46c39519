"""Osame message contracts: versioned pydantic models, routing keys, and their JSON Schemas."""

from osame_contracts.base import Command, Event, Message
from osame_contracts.registry import REGISTRY, model_for

__all__ = ["REGISTRY", "Command", "Event", "Message", "model_for"]
