"""Gateway use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection, gateway

from osame_gateway.adapters.repository import GatewayRepository
from osame_gateway.domain.permission import LINKAGE_UNAVAILABLE, refusal_reason


async def handle_income_query(event: collection.IncomeQueryRequested, uow: UnitOfWork) -> None:
    """Check the permitted-query list; record and publish the refusal (情報提供等記録).

    The 符号 acquisition and the query itself arrive with the gateway issue; until then a
    permitted query is refused as `linkage_not_configured`, and recorded as such.
    """
    repo = GatewayRepository(uow.session)
    reason = refusal_reason(event.affair, event.item, await repo.permitted()) or LINKAGE_UNAVAILABLE
    await repo.record(
        query_id=event.query_id,
        addressee_id=event.addressee_id,
        requesting_service="collection",
        affair=event.affair,
        item=event.item,
        staff_user=event.staff_user,
        outcome="refused",
        reason=reason,
        recorded_at=datetime.now(UTC),
    )
    await uow.publish(
        gateway.IncomeQueryRefused(query_id=event.query_id, addressee_id=event.addressee_id, reason=reason)
    )
