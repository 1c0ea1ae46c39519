"""Audit trail use: every staff action and every data access through the API is recorded in the
chassis audit log (keyed chain, checkpoints, append-only; `osame_chassis.audit`), in the caller's
transaction. `detail` holds ids, codes and amounts only — never names or addresses.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from osame_collection.adapters.orm import AUDIT


async def record(
    session: AsyncSession,
    staff_user: str,
    action: str,
    addressee_id: str | None,
    detail: dict,
    *,
    outcome: str = "ok",
    client: str | None = None,
) -> str:
    """Append one entry; returns its hash."""
    return await AUDIT.append(
        session,
        user=staff_user,
        operation=action,
        outcome=outcome,
        addressee_id=addressee_id,
        client=client,
        detail=detail,
    )
