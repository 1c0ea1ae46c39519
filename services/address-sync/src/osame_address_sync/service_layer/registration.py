"""住登外者, 法人, 送付先 and 支援措置 registration, and the 宛名管理 upsert."""

from __future__ import annotations

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.service_layer.checks import (
    admit_revision,
    check_addresses,
    check_corporate_number,
    open_my_number,
)
from osame_address_sync.service_layer.deps import Deps
from osame_address_sync.service_layer.fanout import fan_out
from osame_address_sync.service_layer.identity import (
    ensure_unified_id,
    link_same_corporation,
    link_same_person,
)
from osame_address_sync.service_layer.linkage import replace_my_number
from osame_address_sync.service_layer.protection import protection_in_force, record_protection

RESIDENT = "resident_register"


def _refuse_if_resident(row: dict | None) -> None:
    if row is not None and row["source"] == RESIDENT:
        raise PermanentError("maintained_by_resident_register: change this 宛名 through 住基 異動")


async def upsert_addressee(
    command: address_sync.UpsertAddressee, uow: UnitOfWork, deps: Deps | None = None
) -> None:
    """Store a 宛名 from 宛名管理 (stale versions ignored) and fan out the minimum consumers need."""
    deps = deps or Deps()
    repo = AddresseeRepository(uow.session)
    row = await repo.get(command.addressee_id, lock=True)
    _refuse_if_resident(row)
    if not admit_revision(deps.revisions, command.version, row and row["source_version"], "version"):
        return
    values = {
        "addressee_id": command.addressee_id,
        "source_version": command.version,
        "name": command.name,
        "name_kana": command.name_kana,
        "postal_code": command.postal_code,
        "address": command.address,
        "protected": await protection_in_force(uow, command.addressee_id, command.protected),
        "deceased_on": command.deceased_on,
    }
    await repo.save({**values, "version": 0} if row is None else values, new=row is None)
    await ensure_unified_id(repo, command.addressee_id)
    await fan_out(uow, deps, command.addressee_id, min_version=command.version)


async def _upsert_registered(
    repo: AddresseeRepository, deps: Deps, command, kind: str, source: str, extra: dict
) -> bool:
    """Save a 住登外者 or 法人 registered outside 住基 (by version); False when the command is stale.

    Refused (PermanentError) when 住基 maintains the 宛名 or it is of the other kind."""
    row = await repo.get(command.addressee_id, lock=True)
    _refuse_if_resident(row)
    if row is not None and row["kind"] != kind:
        other = "a corporation" if row["kind"] == "corporation" else "a person"
        raise PermanentError(f"kind_mismatch: this 宛名番号 is {other}")
    if not admit_revision(deps.revisions, command.version, row and row["source_version"], "version"):
        return False
    values = {
        "addressee_id": command.addressee_id,
        "kind": kind,
        "source": source,
        "source_version": command.version,
        "name": command.name,
        "name_kana": command.name_kana,
        "postal_code": command.address.postal_code,
        "address": command.address.printed,
        "address_detail": command.address.model_dump(mode="json"),
        **extra,
    }
    await repo.save({**values, "version": 0} if row is None else values, new=row is None)
    await ensure_unified_id(repo, command.addressee_id)
    return True


async def register_non_resident(
    command: address_sync.RegisterNonResident, uow: UnitOfWork, deps: Deps
) -> None:
    """住登外者: register or update (by version); its 個人番号, when given, is sealed and indexed."""
    number = open_my_number(
        command.my_number,
        "my_number",
        deps,
        routing_key=command.routing_key,
        addressee_id=command.addressee_id,
    )
    check_addresses({"address": command.address})
    repo = AddresseeRepository(uow.session)
    extra = {
        "date_of_birth": command.date_of_birth,
        "protected": await protection_in_force(uow, command.addressee_id, False),
    }
    if not await _upsert_registered(repo, deps, command, "person", "non_resident", extra):
        return
    if number is not None:
        keyring = deps.require_keyring()
        index = keyring.blind_index(number)
        held = await repo.my_number(command.addressee_id)
        if held is None or held[1] != index:
            await replace_my_number(
                uow, command.addressee_id, keyring.seal(number, command.addressee_id), index
            )
        await link_same_person(uow, deps, command.addressee_id, uow.today())
    await fan_out(uow, deps, command.addressee_id)


async def register_corporation(
    command: address_sync.RegisterCorporation, uow: UnitOfWork, deps: Deps
) -> None:
    """法人: register or update (by version) with its 法人番号 (check digit verified)."""
    check_corporate_number(command.corporate_number, "corporate_number")
    check_addresses({"address": command.address})
    repo = AddresseeRepository(uow.session)
    extra = {"corporate_number": command.corporate_number, "protected": False}
    if not await _upsert_registered(repo, deps, command, "corporation", "corporation", extra):
        return
    await link_same_corporation(uow, deps, command.addressee_id, uow.today())
    await fan_out(uow, deps, command.addressee_id)


async def set_mailing_override(command: address_sync.SetMailingOverride, uow: UnitOfWork, deps: Deps) -> None:
    """送付先 per 税目 (kept even before the addressee is known; stale revisions ignored)."""
    check_addresses({"address": command.address})
    repo = AddresseeRepository(uow.session)
    held = await repo.override(command.addressee_id, command.tax_item.value)
    if not admit_revision(deps.revisions, command.revision, held and held["revision"], "revision"):
        return
    address = command.address
    await repo.save_override(
        {
            "addressee_id": command.addressee_id,
            "tax_item": command.tax_item.value,
            "revision": command.revision,
            "removed": command.removed,
            "recipient": "" if command.removed else command.recipient,
            "postal_code": address.postal_code if address and not command.removed else "",
            "address": address.printed if address and not command.removed else "",
            "address_detail": address.model_dump(mode="json") if address and not command.removed else None,
        },
        new=held is None,
    )
    await fan_out(uow, deps, command.addressee_id)


async def set_protection(command: address_sync.SetProtection, uow: UnitOfWork, deps: Deps) -> None:
    """支援措置 starts or ends from its effective date (kept even before the addressee is known;
    stale revisions ignored, revisions past the window refused)."""
    held = await AddresseeRepository(uow.session).protection(command.addressee_id)
    if not admit_revision(deps.revisions, command.revision, held and held["revision"], "revision"):
        return
    await record_protection(uow, deps, command, new=held is None)
