"""The 充当 order as versioned law data (issue #12 B7): which component of an installment a 充当
pays first — the tax before its own 延滞金 (法17条の2③, statutory) and the 督促手数料's place (the
city's order, domain-rules §10.2) — from an effective date, with its source, loaded by staff
(``POST /api/law/appropriation-orders``, audited by the HTTP audit hook; rows are kept as history,
the latest load of an effective date wins). ``service_layer.appropriation`` checks each 充当
against the row in force on its 充当適状日 (``osame_law.first_out_of_order``).

No recalculation preview here: a 充当 already applied is booked and stays as booked, and refunds
plans the next ones; a new row only changes what receipts accepts from its effective date.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from osame_chassis.uow import UnitOfWork
from osame_law import AppropriationPolicy, ClaimKind, GroupOrder
from osame_law.errors import InvalidInputError

from osame_receipts.adapters import law_orders as sql
from osame_receipts.domain import dates

DEFAULT_SOURCE = "osame_law.appropriation default (domain-rules §10.2; 法17条の2③)"


def policy_of(kind_order: list[str], group_order: str) -> AppropriationPolicy:
    """Refuses (``InvalidInputError``) an order that is not every kind once or puts the 延滞金
    before its tax (法17条の2③)."""
    try:
        return AppropriationPolicy(tuple(ClaimKind(k) for k in kind_order), GroupOrder(group_order))
    except ValueError as exc:
        raise InvalidInputError(f"appropriation_order_refused:{exc}") from exc


async def rows(session: Any) -> list[dict]:
    return await sql.rows(session)


async def order_on(session: Any, day: date) -> tuple[AppropriationPolicy, str]:
    """(policy, source) in force on ``day``: the latest loaded row effective by then, else the default."""
    found = [r for r in await rows(session) if r["effective_from"] <= day]
    if not found:
        return AppropriationPolicy(), DEFAULT_SOURCE
    latest = max(found, key=lambda r: (r["effective_from"], r["loaded_at"]))
    return policy_of(latest["kind_order"], latest["group_order"]), latest["source"]


async def load(uow: UnitOfWork, body: dict, staff: str) -> dict:
    """Load one row {effective_from, kind_order, group_order?, source}; returns it with the order
    it replaces from that date (for the audit trail and the operator)."""
    try:
        effective_from = date.fromisoformat(str(body["effective_from"]))
        kind_order = [str(k) for k in body["kind_order"]]
        group_order = str(body.get("group_order", GroupOrder.OLDEST_FIRST.value))
        source = str(body["source"]).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"appropriation_order_refused:{type(exc).__name__}") from exc
    if not 3 <= len(source) <= 300:
        raise InvalidInputError("appropriation_order_refused:source")
    # A mistyped year would rewrite which 充当 are accepted over years: the row takes effect within
    # the past window of a 充当適状日 (時効, 5 years) and at most a year ahead of the business date.
    dates.check_planned("effective_from", effective_from, uow.today())
    policy = policy_of(kind_order, group_order)
    before, before_source = await order_on(uow.session, effective_from)
    row_id = str(uuid.uuid4())
    await sql.add(
        uow.session,
        {
            "row_id": row_id,
            "effective_from": effective_from,
            "kind_order": [k.value for k in policy.kind_order],
            "group_order": policy.group_order.value,
            "source": source,
            "loaded_by": staff,
            "loaded_at": datetime.now(UTC),
        },
    )
    return {
        "row_id": row_id,
        "effective_from": effective_from.isoformat(),
        "rule": policy.rule,
        "replaces": {"rule": before.rule, "source": before_source},
    }
