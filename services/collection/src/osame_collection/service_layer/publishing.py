"""Publishing collection's own events.

Events for other services are published only once they are wired (listed in the contracts
module's ``MESSAGES`` after the lead added their consumers) — so nothing is ever unroutable
(CROSS-SERVICE WIRING RULE). Bulk events are split into messages of at most 1,000 items.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from osame_chassis.uow import UnitOfWork
from osame_contracts.base import Message
from osame_contracts.messages import collection as contract

CHUNK = contract.MAX_ITEMS_PER_MESSAGE


def is_wired(model: type[Message]) -> bool:
    return model in contract.MESSAGES


async def publish_if_wired(uow: UnitOfWork, message: Message) -> bool:
    if not is_wired(type(message)):
        return False
    await uow.publish(message)
    return True


async def publish_bulk(uow: UnitOfWork, model: type[Message], items: Sequence, make: Callable) -> int:
    """Publish ``items`` as ``make(chunk)`` messages of ≤1,000 items when ``model`` is wired."""
    if not items or not is_wired(model):
        return 0
    sent = 0
    for start in range(0, len(items), CHUNK):
        await uow.publish(make(list(items[start : start + CHUNK])))
        sent += 1
    return sent
