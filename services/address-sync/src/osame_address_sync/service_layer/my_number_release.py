"""Release of a 個人番号 to the gateway (to obtain a 符号): the one audited, restricted way out.

Every request is written to the hash-chained audit (granted or not) in the same transaction
that reads the number. Nothing here logs the number.
"""

from __future__ import annotations

import datetime as dt

from osame_chassis.uow import UnitOfWork

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.audit import PERMITTED_PURPOSES, ReleaseOutcome, entry_hash
from osame_address_sync.service_layer.deps import Deps


async def audit(uow: UnitOfWork, **entry) -> int:
    repo = AddresseeRepository(uow.session)
    entry["requested_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0)
    prev = await repo.last_release_hash()
    return await repo.add_release({**entry, "prev_hash": prev, "hash": entry_hash(prev, entry)})


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

    `allowed` is the caller check made by the entrypoint (only the gateway may ask).
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
