"""名寄せ in receipts' addressee copy (address-sync.addressee.merged.v1): an alias per merged 宛名番号 to
its final survivor — idempotent, any arrival order, chains flattened, cycles refused — over the broker
too; the ledger's 納税義務者 is left as assessed."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.errors import PermanentError
from osame_contracts.messages import address_sync, taxation
from osame_receipts.adapters import orm
from osame_receipts.domain.merges import MergePlan, MergeRefusal, plan_merge
from osame_receipts.service_layer import addressees, handlers

D = dt.date


def merged(merged_id, survivor_id):
    return address_sync.AddresseesMerged(
        unified_addressee_id="000000000000001",
        surviving_addressee_id=survivor_id,
        merged_addressee_id=merged_id,
        reason=address_sync.MergeReason.STAFF_DECISION,
        merged_on=D(2026, 7, 1),
    )


async def aliases(service) -> dict[str, str]:
    return {
        r["merged_addressee_id"]: r["surviving_addressee_id"]
        for r in await service.rows(orm.addressee_merges)
    }


@pytest.mark.parametrize(
    ("held", "merged_id", "survivor_id", "plan"),
    [
        ({}, "A", "B", MergePlan("B")),
        ({"A": "B"}, "A", "B", MergePlan("B", duplicate=True)),
        ({"B": "C"}, "A", "B", MergePlan("C")),
        ({"B": "A"}, "A", "B", MergePlan("A", refusal=MergeRefusal.CYCLE)),
        ({"A": "D"}, "A", "B", MergePlan("B", refusal=MergeRefusal.MERGED_ELSEWHERE)),
    ],
)
def test_receipts_plan_merge(held, merged_id, survivor_id, plan):
    assert plan_merge(held, merged=merged_id, survivor=survivor_id) == plan


async def test_alias_kept_before_the_addressees_are_known_and_repeats_are_no_ops(service):
    await service.handle(addressees.apply_addressees_merged, merged("100002", "100001"))
    await service.handle(addressees.apply_addressees_merged, merged("100002", "100001"))
    assert await aliases(service) == {"100002": "100001"}
    async with service.runtime.sessions() as session:
        assert await addressees.survivor_of(session, "100002") == "100001"
        assert await addressees.survivor_of(session, "100001") == "100001"


async def test_chains_flatten_in_either_order_and_a_cycle_is_refused(service):
    await service.handle(addressees.apply_addressees_merged, merged("100002", "100001"))
    await service.handle(addressees.apply_addressees_merged, merged("100001", "100009"))
    await service.handle(addressees.apply_addressees_merged, merged("100004", "100003"))  # later one first
    await service.handle(addressees.apply_addressees_merged, merged("100003", "100002"))
    assert await aliases(service) == {
        "100002": "100009",
        "100001": "100009",
        "100003": "100009",
        "100004": "100009",
    }
    with pytest.raises(PermanentError, match="merge_cycle"):
        await service.handle(addressees.apply_addressees_merged, merged("100009", "100004"))
    assert len(await aliases(service)) == 4


async def test_the_ledger_keeps_the_assessed_taxpayer(service):
    await service.handle(
        handlers.record_assessment,
        taxation.AssessmentRegistered(
            addressee_id="100002",
            notice_number="R8-M-1",
            fiscal_year=2026,
            tax_year=2026,
            tax_item=taxation.TaxItem.RESIDENT_TAX,
            revision=1,
            assessed_on=D(2026, 6, 1),
            installments=[
                taxation.AssessedInstallment(installment_no=1, principal_tax=10_000, due_date=D(2026, 6, 30))
            ],
        ),
    )
    await service.handle(addressees.apply_addressees_merged, merged("100002", "100001"))
    [notice] = await service.rows(orm.notices)
    assert notice["addressee_id"] == "100002"


async def test_merge_event_is_consumed_over_the_broker(service, bus):
    await service.deliver(bus, merged("100002", "100001"))
    await service.deliver(bus, merged("100002", "100001"))  # a republished duplicate
    assert await aliases(service) == {"100002": "100001"}
