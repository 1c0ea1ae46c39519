"""団体内統合宛名番号 assignment, 同一人 by blind index, and 名寄せ."""

from __future__ import annotations

import datetime as dt

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.identity import merge_refusal, survivor_of
from osame_address_sync.service_layer.deps import Deps
from osame_address_sync.service_layer.fanout import fan_out
from osame_address_sync.service_layer.linkage import invalidate_linkage_code

LinkageReason = address_sync.LinkageInvalidationReason


async def ensure_unified_id(repo: AddresseeRepository, addressee_id: str) -> str:
    row = await repo.get(addressee_id)
    if row["unified_addressee_id"]:
        return row["unified_addressee_id"]
    unified = await repo.allocate_unified_id(addressee_id)
    await repo.save({"addressee_id": addressee_id, "unified_addressee_id": unified}, new=False)
    return unified


async def merge(
    uow: UnitOfWork,
    deps: Deps,
    *,
    surviving_id: str,
    merged_id: str,
    reason: address_sync.MergeReason,
    decided_by: str,
    merged_on: dt.date,
) -> None:
    """名寄せ: every addressee under either 統合宛名番号 ends under one (the older number is kept,
    since other systems and the 中間サーバー already key on it); the survivor receives the letters."""
    repo = AddresseeRepository(uow.session)
    await invalidate_linkage_code(uow, surviving_id, LinkageReason.MERGED)  # it now answers for more records
    survivor_unified = await ensure_unified_id(repo, surviving_id)
    merged_unified = await ensure_unified_id(repo, merged_id)
    unified = min(survivor_unified, merged_unified)
    for member in await repo.members_of(survivor_unified):
        if member == surviving_id or survivor_unified == unified:
            continue
        await repo.save({"addressee_id": member, "unified_addressee_id": unified}, new=False)
    if survivor_unified != unified:
        await repo.save({"addressee_id": surviving_id, "unified_addressee_id": unified}, new=False)
        await fan_out(uow, deps, surviving_id)
    for member in await repo.members_of(merged_unified):
        if member == surviving_id:
            continue
        row = await repo.get(member)
        if member != merged_id and row["merged_into"] is not None:
            # already merged into an addressee of that group: it only follows the number
            await repo.save({"addressee_id": member, "unified_addressee_id": unified}, new=False)
            await fan_out(uow, deps, member)
            continue
        if member != merged_id and merged_unified == unified:
            continue  # the older group keeps its number; only the named addressee is merged
        await repo.save(
            {"addressee_id": member, "unified_addressee_id": unified, "merged_into": surviving_id}, new=False
        )
        await repo.add_merge(
            unified_addressee_id=unified,
            surviving_addressee_id=surviving_id,
            merged_addressee_id=member,
            reason=reason.value,
            decided_by=decided_by,
            merged_on=merged_on,
        )
        await invalidate_linkage_code(uow, member, LinkageReason.MERGED)
        await uow.publish(
            address_sync.AddresseesMerged(
                unified_addressee_id=unified,
                surviving_addressee_id=surviving_id,
                merged_addressee_id=member,
                reason=reason,
                merged_on=merged_on,
            )
        )
        await fan_out(uow, deps, member)


async def link_same_person(uow: UnitOfWork, deps: Deps, addressee_id: str, on: dt.date) -> None:
    """同一人: another addressee with the same 個人番号 (blind index under any key) is merged."""
    repo = AddresseeRepository(uow.session)
    held = await repo.my_number(addressee_id)
    if held is None:
        return
    keyring = deps.require_keyring()
    number = keyring.open(held[0], addressee_id)
    for other in await repo.holders_of(keyring.candidate_indexes(number)):
        if other == addressee_id:
            continue
        mine, theirs = await repo.get(addressee_id), await repo.get(other)
        if theirs is None or mine["unified_addressee_id"] == theirs["unified_addressee_id"]:
            continue
        surviving, merged = survivor_of(
            (mine["addressee_id"], mine["unified_addressee_id"], mine["source"] == "resident_register"),
            (theirs["addressee_id"], theirs["unified_addressee_id"], theirs["source"] == "resident_register"),
        )
        await merge(
            uow,
            deps,
            surviving_id=surviving,
            merged_id=merged,
            reason=address_sync.MergeReason.SAME_MY_NUMBER,
            decided_by="address-sync",
            merged_on=on,
        )


async def link_same_corporation(uow: UnitOfWork, deps: Deps, addressee_id: str, on: dt.date) -> None:
    """同一法人: another corporation 宛名 with the same 法人番号 is merged."""
    repo = AddresseeRepository(uow.session)
    mine = await repo.get(addressee_id)
    if not mine["corporate_number"]:
        return
    for other in await repo.by_corporate_number(mine["corporate_number"]):
        theirs = await repo.get(other)
        mine = await repo.get(addressee_id)
        if other == addressee_id or mine["unified_addressee_id"] == theirs["unified_addressee_id"]:
            continue
        surviving, merged = survivor_of(
            (mine["addressee_id"], mine["unified_addressee_id"], False),
            (theirs["addressee_id"], theirs["unified_addressee_id"], False),
        )
        await merge(
            uow,
            deps,
            surviving_id=surviving,
            merged_id=merged,
            reason=address_sync.MergeReason.SAME_CORPORATE_NUMBER,
            decided_by="address-sync",
            merged_on=on,
        )


async def merge_addressees(command: address_sync.MergeAddressees, uow: UnitOfWork, deps: Deps) -> None:
    """名寄せ decided by staff; refused against two different 個人番号 or a person/corporation pair."""
    repo = AddresseeRepository(uow.session)
    survivor, merged = (
        await repo.get(command.surviving_addressee_id),
        await repo.get(command.merged_addressee_id),
    )
    if survivor is None or merged is None:
        raise PermanentError("unknown_addressee: both addressees must be registered before 名寄せ")
    if merged["merged_into"] == command.surviving_addressee_id:
        return  # already done
    sealed_s, sealed_m = (
        await repo.my_number(survivor["addressee_id"]),
        await repo.my_number(merged["addressee_id"]),
    )
    same = False
    if sealed_s and sealed_m:
        keyring = deps.require_keyring()
        same = keyring.open(sealed_s[0], survivor["addressee_id"]) == keyring.open(
            sealed_m[0], merged["addressee_id"]
        )
    refusal = merge_refusal(
        survivor_kind=survivor["kind"],
        merged_kind=merged["kind"],
        survivor_index=sealed_s[1] if sealed_s else None,
        merged_index=sealed_m[1] if sealed_m else None,
        same_my_number=same,
        merged_into=merged["merged_into"],
        survivor_id=survivor["addressee_id"],
    )
    if refusal is not None:
        raise PermanentError(f"merge_refused: {refusal.value}")
    await merge(
        uow,
        deps,
        surviving_id=survivor["addressee_id"],
        merged_id=merged["addressee_id"],
        reason=address_sync.MergeReason.STAFF_DECISION,
        decided_by=command.decided_by,
        merged_on=command.decided_on,
    )
