"""住基 異動: record one change of the resident register and refold the person's state."""

from __future__ import annotations

import datetime as dt

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.adapters.sealing import Sealed
from osame_address_sync.domain.resident_history import ChangeRecord, Verdict, fold, judge
from osame_address_sync.service_layer.checks import check_addresses, open_my_number
from osame_address_sync.service_layer.deps import Deps
from osame_address_sync.service_layer.fanout import fan_out
from osame_address_sync.service_layer.identity import ensure_unified_id, link_same_person
from osame_address_sync.service_layer.linkage import replace_my_number
from osame_address_sync.service_layer.protection import protection_in_force


def _date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _record(command: address_sync.RecordResidentChange) -> ChangeRecord:
    fields = command.fields.model_dump(mode="json", exclude_none=True, exclude={"my_number"})
    return ChangeRecord(
        change_id=command.change_id,
        sequence=command.sequence,
        kind=command.change_kind,
        changed_on=command.changed_on,
        notified_on=command.notified_on,
        cancels_change_id=command.cancels_change_id,
        fields=fields,
        carries_my_number=command.fields.my_number is not None,
    )


async def record_resident_change(
    command: address_sync.RecordResidentChange, uow: UnitOfWork, deps: Deps
) -> None:
    """Store the 異動 in the person's history, refold, and fan out if what others see changed.

    Duplicates are no-ops; a change slots in by sequence (a late older one never overwrites a
    newer one); a 取消 removes exactly the named change from the fold. Refused whole (nothing
    stored) on a bad check digit, a conflicting sequence, or a 取消 of another person's change.
    """
    fields = command.fields
    number = open_my_number(
        fields.my_number,
        "fields.my_number",
        deps,
        routing_key=command.routing_key,
        addressee_id=command.addressee_id,
    )
    check_addresses(
        {
            "fields.address": fields.address,
            "fields.previous_address": fields.previous_address,
            "fields.destination": fields.destination,
        }
    )
    repo = AddresseeRepository(uow.session)
    if command.cancels_change_id is not None:
        owner = await repo.change_owner(command.cancels_change_id)
        if owner is not None and owner != command.addressee_id:
            raise PermanentError(
                "cancellation_of_another_addressee: the named change belongs to another 宛名番号"
            )
    row = await repo.get(command.addressee_id, lock=True)
    if row is not None and row["source"] == "corporation":
        raise PermanentError("addressee_is_a_corporation: 住基 異動 cannot apply to a 法人 宛名番号")
    history = await repo.history(command.addressee_id)
    change = _record(command)
    verdict = judge(change, history)
    if verdict is Verdict.DUPLICATE:
        return
    if verdict is Verdict.CONFLICT:
        raise PermanentError("change_conflict: same change_id with other content, or sequence already used")
    if verdict is Verdict.CANCELS_A_CANCELLATION:
        raise PermanentError("cancellation_of_a_cancellation is not supported: send the change again")
    sealed = deps.require_keyring().seal(number, command.addressee_id) if number else None
    await repo.add_change(command.addressee_id, change, sealed)
    state = fold([*history, change])
    if state.name is None:
        return  # no 記載 yet (or it was cancelled): history kept, nothing to address
    address = state.address or {}
    destination = state.destination or {}
    values = {
        "addressee_id": command.addressee_id,
        "kind": "person",
        "source": "resident_register",
        "name": state.name,
        "name_kana": state.name_kana or "",
        "postal_code": address.get("postal_code", ""),
        "address": address.get("printed", ""),
        "address_detail": state.address,
        "date_of_birth": _date(state.date_of_birth),
        "household_id": state.household_id,
        "status": state.status.value if state.status else None,
        "deceased_on": state.deceased_on,
        "moved_out_on": state.moved_out_on,
        "destination": destination.get("printed", ""),
        "destination_postal_code": destination.get("postal_code", ""),
        # 支援措置 comes from its own command; until one is in force, keep what the record had.
        "protected": await protection_in_force(uow, command.addressee_id, bool(row and row["protected"])),
    }
    if row is None:
        await repo.save({**values, "version": 0}, new=True)
    else:
        await repo.save(values, new=False)
    await ensure_unified_id(repo, command.addressee_id)
    await _sync_my_number(uow, deps, command.addressee_id, state.my_number_change_id, [*history, change])
    await link_same_person(uow, deps, command.addressee_id, command.changed_on)
    await fan_out(uow, deps, command.addressee_id)


async def _sync_my_number(
    uow: UnitOfWork,
    deps: Deps,
    addressee_id: str,
    change_id: str | None,
    history: list[ChangeRecord],
) -> None:
    """The current 個人番号 is the one of the latest active change carrying one.

    With none active, a number 住基 gave (now cancelled) is removed; a number registered for a
    住登外者 outside 住基 is kept: a 住基 異動 without a number says nothing about it (item 8).
    """
    repo = AddresseeRepository(uow.session)
    sealed = await repo.sealed_of_change(change_id) if change_id else None
    if sealed is None:
        held = await repo.my_number(addressee_id)
        if held is not None and await _given_by_resident_register(repo, deps, addressee_id, held[0], history):
            await replace_my_number(uow, addressee_id, None, None)
        return
    keyring = deps.require_keyring()
    number = keyring.open(sealed, addressee_id)
    index = keyring.blind_index(number)
    held = await repo.my_number(addressee_id)
    if held is None or held[1] != index:
        await replace_my_number(uow, addressee_id, keyring.seal(number, addressee_id), index)


async def _given_by_resident_register(
    repo: AddresseeRepository, deps: Deps, addressee_id: str, held: Sealed, history: list[ChangeRecord]
) -> bool:
    """Whether the held 個人番号 is one a 住基 異動 of this person carried (active or cancelled)."""
    carrying = [c.change_id for c in history if c.carries_my_number]
    if not carrying:
        return False
    keyring = deps.require_keyring()
    number = keyring.open(held, addressee_id)
    for change_id in carrying:
        sealed = await repo.sealed_of_change(change_id)
        if sealed is not None and keyring.open(sealed, addressee_id) == number:
            return True
    return False
