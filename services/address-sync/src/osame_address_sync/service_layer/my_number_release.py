"""Release of a 個人番号 to the gateway (to obtain a 符号): the one audited, restricted way out.

Every request is written to the hash-chained audit (granted or not) in the same transaction
that reads the number. Nothing here logs the number.
"""

from __future__ import annotations

import datetime as dt

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection

from osame_address_sync.adapters import repository
from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.my_number_release import PERMITTED_PURPOSES, RELEASE_RECORD, ReleaseOutcome
from osame_address_sync.service_layer.deps import Deps


async def audit(
    uow: UnitOfWork,
    *,
    caller: str,
    requested_by: str,
    addressee_id: str,
    purpose: str,
    request_ref: str,
    outcome,
) -> str:
    """One 個人番号提供記録 entry in the service's audit chain (same transaction as the read)."""
    return await repository.append_audit(
        uow.session,
        user=caller,
        operation=RELEASE_RECORD,
        outcome=outcome,
        addressee_id=addressee_id,
        detail={"requested_by": requested_by, "purpose": purpose, "request_ref": request_ref},
    )


async def release_my_number(
    uow: UnitOfWork,
    deps: Deps,
    *,
    caller: str,
    requested_by: str,
    addressee_id: str,
    purpose: str,
    request_ref: str,
    allowed: bool = True,
) -> tuple[ReleaseOutcome, str | None]:
    """(outcome, number or None); the request is audited whatever the outcome.

    `allowed` is the caller check made by the entrypoint (only the gateway's service identity may
    ask). The number goes out only for an income query collection really asked for this 宛名番号
    (noted from the bus, within `release_window_seconds`) and at most `releases_per_minute` a
    minute to one caller (issue 13 item 7).
    """
    entry = dict(
        caller=caller,
        requested_by=requested_by,
        addressee_id=addressee_id,
        purpose=purpose,
        request_ref=request_ref,
    )
    if not allowed:
        await audit(uow, **entry, outcome=ReleaseOutcome.CALLER_NOT_ALLOWED.value)
        return ReleaseOutcome.CALLER_NOT_ALLOWED, None
    if purpose not in PERMITTED_PURPOSES:
        await audit(uow, **entry, outcome=ReleaseOutcome.PURPOSE_REFUSED.value)
        return ReleaseOutcome.PURPOSE_REFUSED, None
    repo = AddresseeRepository(uow.session)
    now = dt.datetime.now(dt.UTC)
    window = dt.timedelta(seconds=deps.release_window_seconds)
    if not await repo.income_query_noted(request_ref, addressee_id, now - window):
        await audit(uow, **entry, outcome=ReleaseOutcome.NO_PENDING_QUERY.value)
        return ReleaseOutcome.NO_PENDING_QUERY, None
    if await repo.releases_since(caller, now - dt.timedelta(minutes=1)) >= deps.releases_per_minute:
        await audit(uow, **entry, outcome=ReleaseOutcome.RATE_LIMITED.value)
        return ReleaseOutcome.RATE_LIMITED, None
    if await repo.get(addressee_id) is None:
        await audit(uow, **entry, outcome=ReleaseOutcome.UNKNOWN_ADDRESSEE.value)
        return ReleaseOutcome.UNKNOWN_ADDRESSEE, None
    held = await repo.my_number(addressee_id)
    if held is None:
        await audit(uow, **entry, outcome=ReleaseOutcome.NO_MY_NUMBER.value)
        return ReleaseOutcome.NO_MY_NUMBER, None
    number = deps.require_keyring().open(held[0], addressee_id)
    await audit(uow, **entry, outcome=ReleaseOutcome.RELEASED.value)
    return ReleaseOutcome.RELEASED, number


async def note_income_query(event: collection.IncomeQueryRequested, uow: UnitOfWork, deps: Deps) -> None:
    """Note an income query collection asked for (its staff proof verified by the consumer)."""
    await AddresseeRepository(uow.session).note_income_query(event.query_id, event.addressee_id)
