"""Fan-out: publish what others may know of an addressee, when (and only when) it changed."""

from __future__ import annotations

import hashlib
import json

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.disclosure import AddresseeView, Override, changed_v1, changed_v2
from osame_address_sync.service_layer.deps import Deps


def view_of(row: dict, overrides: list[dict]) -> AddresseeView:
    return AddresseeView(
        addressee_id=row["addressee_id"],
        unified_addressee_id=row["unified_addressee_id"] or row["addressee_id"],
        kind=row["kind"],
        name=row["name"],
        name_kana=row["name_kana"],
        postal_code=row["postal_code"],
        address=row["address"],
        protected=row["protected"],
        deceased_on=row["deceased_on"],
        moved_out_on=row["moved_out_on"],
        destination=row["destination"],
        destination_postal_code=row["destination_postal_code"],
        overrides=tuple(
            Override(o["tax_item"], o["recipient"], o["postal_code"], o["address"]) for o in overrides
        ),
    )


async def fan_out(uow: UnitOfWork, deps: Deps, addressee_id: str, *, min_version: int = 0) -> bool:
    """Stage `addressee.changed` (v1, and v2 when wired) if the disclosed view changed; True if staged."""
    repo = AddresseeRepository(uow.session)
    row = await repo.get(addressee_id)
    if row is None:
        return False
    view = view_of(row, await repo.overrides(addressee_id))
    digest = hashlib.sha256(
        json.dumps(changed_v2(view, 0), sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()
    if digest == row["published_digest"]:
        return False
    version = max(row["version"] + 1, min_version)
    await repo.save({"addressee_id": addressee_id, "version": version, "published_digest": digest}, new=False)
    await uow.publish(address_sync.AddresseeChanged(**changed_v1(view, version)))
    if deps.publish_changed_v2:
        await uow.publish(address_sync.AddresseeChangedV2(**changed_v2(view, version)))
    return True
