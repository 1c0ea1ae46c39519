"""符号 hygiene: whenever the 個人番号 behind a 宛名番号 changes, tell the gateway its 符号 is stale.

A 符号 is obtained from a 個人番号; after a correction (A → B), a removal or a 名寄せ the 符号
the gateway holds for the 宛名番号 would return another person's information (issue 13 item 5).
`IndividualNumberChanged` carries no number; the gateway drops the 符号 and obtains a new one.
"""

from __future__ import annotations

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.adapters.sealing import Sealed

Reason = address_sync.LinkageInvalidationReason


async def invalidate_linkage_code(uow: UnitOfWork, addressee_id: str, reason: Reason) -> None:
    await uow.publish(
        address_sync.IndividualNumberChanged(addressee_id=addressee_id, reason=reason, changed_on=uow.today())
    )


async def replace_my_number(
    uow: UnitOfWork, addressee_id: str, sealed: Sealed | None, blind_index: str | None
) -> None:
    """Hold `sealed` (or nothing) as the 宛名's 個人番号; a number that replaces or removes another
    invalidates the 符号 obtained from the old one."""
    repo = AddresseeRepository(uow.session)
    held = await repo.my_number(addressee_id)
    await repo.set_my_number(addressee_id, sealed, blind_index)
    if held is not None and held[1] != blind_index:
        await invalidate_linkage_code(
            uow, addressee_id, Reason.REMOVED if sealed is None else Reason.CORRECTED
        )
