"""Address-sync use cases over the unit of work."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.disclosure import disclosable_address, is_newer


async def upsert_addressee(command: address_sync.UpsertAddressee, uow: UnitOfWork) -> None:
    """Store a 宛名 (stale versions ignored) and fan out the minimum consumers need."""
    repo = AddresseeRepository(uow.session)
    held = await repo.version(command.addressee_id)
    if not is_newer(command.version, held):
        return
    values = command.model_dump()
    values["updated_at"] = datetime.now(UTC)
    await repo.save(values, new=held is None)
    address, postal_code = disclosable_address(command.address, command.postal_code, command.protected)
    await uow.publish(
        address_sync.AddresseeChanged(
            addressee_id=command.addressee_id,
            version=command.version,
            name=command.name,
            name_kana=command.name_kana,
            postal_code=postal_code,
            address=address,
            protected=command.protected,
            deceased_on=command.deceased_on,
        )
    )
