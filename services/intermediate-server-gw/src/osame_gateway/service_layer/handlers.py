"""Gateway use cases over the unit of work: accept or refuse an income query (情報照会).

`handle_income_query` only decides and records; the network steps (符号, 許可証, 照会) run in
`service_layer/processing.py` outside the consumer's transaction.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from opentelemetry import propagate
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, collection, gateway

from osame_gateway.adapters.repository import GatewayRepository
from osame_gateway.domain.permission import LINKAGE_UNAVAILABLE, refusal_reason
from osame_gateway.domain.query_bounds import fiscal_year_refusal, storable
from osame_gateway.domain.query_progress import PENDING, REFUSED

REQUESTING_SERVICE = "collection"
log = logging.getLogger("osame.gateway.handlers")


async def handle_income_query(
    event: collection.IncomeQueryRequested, uow: UnitOfWork, *, linkage_configured: bool = False
) -> None:
    """Check the permitted-query list (照会許可用照合リスト); record and publish a refusal, or queue the query.

    A `query_id` seen before (under any message id) is not handled again. Without a configured
    network connection a permitted query is refused as `linkage_not_configured`.
    """
    repo = GatewayRepository(uow.session)
    if await repo.query(event.query_id) is not None:
        return
    now = datetime.now(UTC)
    reason = fiscal_year_refusal(event.fiscal_year, uow.today()) or refusal_reason(
        event.affair, event.item, await repo.permitted()
    )
    if reason is None and not linkage_configured:
        reason = LINKAGE_UNAVAILABLE
    trace_headers: dict[str, str] = {}
    propagate.inject(trace_headers)
    query = {
        "query_id": event.query_id,
        "addressee_id": event.addressee_id,
        "requesting_service": REQUESTING_SERVICE,
        "affair": event.affair,
        "item": str(event.item),
        "fiscal_year": storable(event.fiscal_year),
        "purpose": event.purpose,
        "staff_user": event.staff_user,
        "requested_on": event.requested_on,
    }
    await repo.add_query(
        **query,
        status=REFUSED if reason else PENDING,
        reason=reason,
        attempts=0,
        next_attempt_at=now,
        trace_headers=trace_headers,
        received_at=now,
        finished_at=now if reason else None,
    )
    if reason:
        await repo.record_step(query, step="refusal", outcome="refused", reason=reason, at=now)
        await uow.publish(
            gateway.IncomeQueryRefused(
                query_id=event.query_id, addressee_id=event.addressee_id, reason=reason
            )
        )
    else:
        await repo.record_step(query, step="request", outcome="accepted", at=now)


async def invalidate_linkage_code(event: address_sync.IndividualNumberChanged, uow: UnitOfWork) -> None:
    """The 個人番号 behind a 宛名番号 changed: drop its 符号, so the next query obtains a fresh one
    (a stale 符号 would return another person's information; issue 13 item 5)."""
    dropped = await GatewayRepository(uow.session).drop_linkage_code(event.addressee_id)
    log.info("linkage code invalidated (%s): %d dropped", event.reason.value, dropped)
