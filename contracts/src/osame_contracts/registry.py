"""Registry from routing key to message model: the one vocabulary the services share.

Every module in `osame_contracts.messages` lists its models in `MESSAGES`; they are
collected here, so adding a message never means editing this file.
"""

from __future__ import annotations

import importlib
import pkgutil

from osame_contracts import messages
from osame_contracts.base import ROUTING_KEY_PATTERN, Message


class UnknownMessageType(LookupError):
    pass


def _collect() -> tuple[type[Message], ...]:
    found: list[type[Message]] = []
    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        found.extend(getattr(module, "MESSAGES", ()))
    return tuple(found)


ALL_MESSAGES: tuple[type[Message], ...] = _collect()


def _build() -> dict[str, type[Message]]:
    out: dict[str, type[Message]] = {}
    for model in ALL_MESSAGES:
        key = model.routing_key
        if not ROUTING_KEY_PATTERN.match(key):
            raise ValueError(f"bad routing key {key!r} on {model.__name__}")
        if key in out:
            raise ValueError(f"routing key {key!r} registered twice")
        out[key] = model
    return out


REGISTRY: dict[str, type[Message]] = _build()


def model_for(routing_key: str) -> type[Message]:
    try:
        return REGISTRY[routing_key]
    except KeyError:
        raise UnknownMessageType(routing_key) from None
