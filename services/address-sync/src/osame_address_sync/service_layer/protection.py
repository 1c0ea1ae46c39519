"""支援措置: record a decision, and apply each decision on its effective date (business date, Asia/Tokyo).

`addressees.protected` is what fan-out, the staff views and the search disclose; it always says
what is in force *today*. A decision dated later waits in `protection_decisions`; the daily pass
(`apply_due_protections`, run by the service's background loop) applies it when its date comes.
"""

from __future__ import annotations

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync

from osame_address_sync.adapters.repository import AddresseeRepository
from osame_address_sync.domain.protection import ProtectionDecision, next_change_on, protected_on
from osame_address_sync.service_layer.deps import Deps
from osame_address_sync.service_layer.fanout import fan_out


async def protection_in_force(uow: UnitOfWork, addressee_id: str, fallback: bool) -> bool:
    """Protected today by a decision in force, else `fallback` (what the 宛名 source says)."""
    decisions = await AddresseeRepository(uow.session).protection_decisions(addressee_id)
    return protected_on(decisions, uow.today(), fallback)


async def record_protection(
    uow: UnitOfWork, deps: Deps, command: address_sync.SetProtection, *, new: bool
) -> None:
    """Keep the decision (its revision was admitted) and apply what is in force today."""
    repo = AddresseeRepository(uow.session)
    decision = ProtectionDecision(command.revision, command.protected, command.effective_on)
    await repo.add_protection_decision(command.addressee_id, decision)
    await repo.save_protection(
        {
            "addressee_id": command.addressee_id,
            "revision": command.revision,
            "protected": command.protected,
            "effective_on": command.effective_on,
        },
        new=new,
    )
    await apply_protection(uow, deps, command.addressee_id)


async def apply_protection(uow: UnitOfWork, deps: Deps, addressee_id: str) -> None:
    """Set the 宛名's flag to what is in force today, fan out if that changed, note the next due date."""
    repo = AddresseeRepository(uow.session)
    today = uow.today()
    decisions = await repo.protection_decisions(addressee_id)
    await repo.save_protection(
        {"addressee_id": addressee_id, "next_change_on": next_change_on(decisions, today)}, new=False
    )
    row = await repo.get(addressee_id)
    if row is None:
        return
    protected = protected_on(decisions, today, row["protected"])
    if protected != row["protected"]:
        await repo.save({"addressee_id": addressee_id, "protected": protected}, new=False)
    await fan_out(uow, deps, addressee_id)


async def apply_due_protections(uow: UnitOfWork, deps: Deps, *, limit: int = 500) -> int:
    """Apply every decision whose effective date has come (one batch); returns how many addressees."""
    due = await AddresseeRepository(uow.session).protections_due(uow.today(), limit)
    for addressee_id in due:
        await apply_protection(uow, deps, addressee_id)
    return len(due)
