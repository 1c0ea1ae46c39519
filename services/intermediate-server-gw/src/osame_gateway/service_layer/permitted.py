"""Load the permitted-query list (照会許可用照合リスト) from its data file, all or nothing."""

from __future__ import annotations

import logging

from osame_chassis.uow import UnitOfWork

from osame_gateway.adapters.repository import AUDIT, GatewayRepository
from osame_gateway.domain.permitted_list import parse_permitted_list

log = logging.getLogger("osame.gateway.permitted")


async def load_permitted_list(
    uow: UnitOfWork, document: object, operator: str = "intermediate-server-gw"
) -> tuple[int, int, int]:
    """Replace the list with the document's entries (PermittedListError: nothing changed). Idempotent.

    The load and its audit entry (who, counts) commit together (issue 13 item 9)."""
    entries = parse_permitted_list(document)
    counts = await GatewayRepository(uow.session).replace_permitted(entries)
    await AUDIT.append(
        uow.session,
        user=operator,
        operation="permitted-list.load",
        outcome="ok:added={}:changed={}:removed={}".format(*counts),
        client="cli:gateway",
    )
    await uow.commit()
    log.info("permitted-query list loaded: %d added, %d changed, %d removed", *counts)
    return counts
