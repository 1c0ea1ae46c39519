"""名寄せ in collection (address-sync.addressee.merged.v1): the merged addressee's case file follows the
survivor — installments, receipts, case, 分納誓約, 折衝記録 — so the next 督促 goes to the survivor's
address and a 差押 is matched (F12) against the survivor; duplicates, any arrival order and chains."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.domain.merges import MergePlan, MergeRefusal, final_survivor, plan_merge
from osame_collection.service_layer import cases, dispositions, handlers, letters, merges, pledges
from osame_contracts.messages import address_sync

from .test_collection_nightly import assessment, nightly, receipt

D = dt.date
SURVIVOR, MERGED, OTHER = "300001", "300002", "300003"
HOME = "富山県高岡市存続町1番1号"  # the survivor's (住基) address
OLD = "東京都港区旧宅町2番2号"  # the merged record's (住登外者) address


# -- the rule (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aliases", "merged", "survivor", "plan"),
    [
        pytest.param({}, "A", "B", MergePlan("B"), id="new"),
        pytest.param({"A": "B"}, "A", "B", MergePlan("B", duplicate=True), id="repeat"),
        pytest.param({"B": "C"}, "A", "B", MergePlan("C"), id="survivor-merged-onwards-first"),
        pytest.param({"A": "C", "B": "C"}, "A", "B", MergePlan("C", duplicate=True), id="repeat-after-chain"),
        pytest.param({"B": "A"}, "A", "B", MergePlan("A", refusal=MergeRefusal.CYCLE), id="cycle"),
        pytest.param({}, "A", "A", MergePlan("A", refusal=MergeRefusal.CYCLE), id="into-itself"),
        pytest.param(
            {"A": "D"}, "A", "B", MergePlan("B", refusal=MergeRefusal.MERGED_ELSEWHERE), id="elsewhere"
        ),
    ],
)
def test_plan_merge(aliases, merged, survivor, plan):
    assert plan_merge(aliases, merged=merged, survivor=survivor) == plan


@pytest.mark.parametrize(
    ("aliases", "start", "final"),
    [
        ({}, "A", "A"),
        ({"A": "B"}, "A", "B"),
        ({"A": "B", "B": "C"}, "A", "C"),
        ({"A": "B", "B": "A"}, "A", "B"),
    ],
)
def test_final_survivor_follows_chains_and_stops_on_a_loop(aliases, start, final):
    assert final_survivor(aliases, start) == final


# -- applied to the service's tables -------------------------------------------------------------


def merged_event(merged=MERGED, survivor=SURVIVOR, unified="000000000000001"):
    return address_sync.AddresseesMerged(
        unified_addressee_id=unified,
        surviving_addressee_id=survivor,
        merged_addressee_id=merged,
        reason=address_sync.MergeReason.SAME_MY_NUMBER,
        merged_on=D(2026, 7, 1),
    )


def copy(addressee_id, address, name="名寄 一郎", version=1):
    return address_sync.AddresseeChanged(
        addressee_id=addressee_id,
        version=version,
        name=name,
        name_kana="ナヨセ イチロウ",
        postal_code="933-0001",
        address=address,
        protected=False,
    )


async def seed_two_records(service):
    await service.handle(handlers.apply_addressee_change, copy(SURVIVOR, HOME))
    await service.handle(handlers.apply_addressee_change, copy(MERGED, OLD))
    await service.handle(
        handlers.project_assessment, assessment("N-S", [(1, 50_000, D(2026, 6, 30), 0)], addressee=SURVIVOR)
    )
    await service.handle(
        handlers.project_assessment,
        assessment("N-M", [(1, 80_000, D(2026, 6, 30), 0), (2, 80_000, D(2026, 8, 31), 0)], addressee=MERGED),
    )


async def owners(service, table=orm.installments) -> dict:
    return {
        (r["notice_number"], r["installment_no"]): r["addressee_id"]
        for r in await service.rows(table, table.c.notice_number)
    }


async def test_merge_moves_the_case_file_and_the_next_demand_goes_to_the_survivor(service):
    await seed_two_records(service)
    await service.handle(
        handlers.note_receipt, receipt("r-1", "N-M", 2, D(2026, 6, 20), applied=1_000, addressee=MERGED)
    )
    await service.handle(
        cases.record_contact,
        cases.RecordContact(
            addressee_id=MERGED, contacted_on=D(2026, 6, 25), channel="phone", summary="x", staff_user="s-1"
        ),
    )
    await service.handle(
        cases.assign_case, cases.AssignCase(addressee_id=MERGED, assignee="tantou-2", staff_user="s-1")
    )
    await service.handle(
        pledges.record_pledge,
        pledges.RecordPledge(
            addressee_id=MERGED,
            signed_on=D(2026, 6, 26),
            schedule=[pledges.PledgePayment(due_on=D(2026, 9, 30), amount=10_000)],
            staff_user="s-1",
        ),
    )
    await service.handle(
        cases.assign_case, cases.AssignCase(addressee_id=SURVIVOR, assignee="tantou-1", staff_user="s-1")
    )

    await service.handle(merges.apply_addressees_merged, merged_event())

    assert set((await owners(service)).values()) == {SURVIVOR}
    assert {r["addressee_id"] for r in await service.rows(orm.receipts)} == {SURVIVOR}
    assert {r["addressee_id"] for r in await service.rows(orm.pledges)} == {SURVIVOR}
    assert {r["addressee_id"] for r in await service.rows(orm.contact_records)} == {SURVIVOR}
    # one case per person: the survivor's 担当 stays
    assert [(c["addressee_id"], c["assignee"]) for c in await service.rows(orm.cases)] == [
        (SURVIVOR, "tantou-1")
    ]
    # the merged record's own copy is kept (history); the alias names the survivor
    assert {a["addressee_id"] for a in await service.rows(orm.addressees)} == {SURVIVOR, MERGED}
    [alias] = await service.rows(orm.addressee_merges)
    assert (alias["merged_addressee_id"], alias["surviving_addressee_id"]) == (MERGED, SURVIVOR)
    # the audit trail is appended to (never rewritten) on both sides, naming what moved
    trail = [e for e in await service.rows(orm.audit_log) if e["operation"].startswith("addressee.merged")]
    assert [(e["operation"], e["addressee_id"]) for e in trail] == [
        ("addressee.merged", SURVIVOR),
        ("addressee.merged_into", MERGED),
    ]
    assert trail[0]["detail"]["installments"] == [["N-M", 1], ["N-M", 2]]
    assert trail[0]["detail"]["moved"]["installments"] == 2
    assert trail[0]["detail"]["case"] == "joined"

    # the nightly 督促 of the merged record's installment is addressed to the survivor
    summary = await nightly(service, D(2026, 7, 15))
    assert summary["demand_notices"] == 2
    async with service.runtime.unit_of_work() as uow:
        batch_letters = await letters.letters_of_batch(summary["batch_id"], uow)
    assert {(x.lines[0].notice_number, x.addressee_id, x.address) for x in batch_letters} == {
        ("N-S", SURVIVOR, HOME),
        ("N-M", SURVIVOR, HOME),
    }

    # a duplicate of the merge changes nothing
    before = await service.count(orm.audit_log)
    await service.handle(merges.apply_addressees_merged, merged_event())
    assert await service.count(orm.audit_log) == before
    assert await service.count(orm.addressee_merges) == 1


async def test_a_merge_before_the_merged_addressees_events_files_them_under_the_survivor(service):
    await service.handle(merges.apply_addressees_merged, merged_event())  # nothing known yet
    await service.handle(handlers.apply_addressee_change, copy(SURVIVOR, HOME))
    await service.handle(handlers.apply_addressee_change, copy(MERGED, OLD))
    await service.handle(
        handlers.project_assessment, assessment("N-M", [(1, 80_000, D(2026, 6, 30), 0)], addressee=MERGED)
    )
    await service.handle(
        handlers.note_receipt, receipt("r-2", "N-M", 1, D(2026, 7, 20), applied=1_000, addressee=MERGED)
    )
    assert await owners(service) == {("N-M", 1): SURVIVOR}
    assert {r["addressee_id"] for r in await service.rows(orm.receipts)} == {SURVIVOR}


async def test_chains_in_either_order_end_with_the_final_survivor(service):
    await service.handle(
        handlers.project_assessment, assessment("N-M", [(1, 80_000, D(2026, 6, 30), 0)], addressee=MERGED)
    )
    await service.handle(
        handlers.project_assessment, assessment("N-S", [(1, 50_000, D(2026, 6, 30), 0)], addressee=SURVIVOR)
    )
    # SURVIVOR later merged into OTHER arrives first, then MERGED into SURVIVOR
    await service.handle(merges.apply_addressees_merged, merged_event(merged=SURVIVOR, survivor=OTHER))
    await service.handle(merges.apply_addressees_merged, merged_event())
    assert set((await owners(service)).values()) == {OTHER}
    aliases = {
        r["merged_addressee_id"]: r["surviving_addressee_id"]
        for r in await service.rows(orm.addressee_merges)
    }
    assert aliases == {SURVIVOR: OTHER, MERGED: OTHER}


async def test_chain_in_order_flattens_the_earlier_alias(service):
    await service.handle(
        handlers.project_assessment, assessment("N-M", [(1, 80_000, D(2026, 6, 30), 0)], addressee=MERGED)
    )
    await service.handle(merges.apply_addressees_merged, merged_event())
    await service.handle(merges.apply_addressees_merged, merged_event(merged=SURVIVOR, survivor=OTHER))
    aliases = {
        r["merged_addressee_id"]: r["surviving_addressee_id"]
        for r in await service.rows(orm.addressee_merges)
    }
    assert aliases == {SURVIVOR: OTHER, MERGED: OTHER}
    assert await owners(service) == {("N-M", 1): OTHER}
    # a late ledger event naming the first merged record lands under the final survivor
    await service.handle(
        handlers.project_assessment,
        assessment("N-M", [(1, 80_000, D(2026, 6, 30), 0)], ledger_version=2, addressee=MERGED),
    )
    assert await owners(service) == {("N-M", 1): OTHER}


async def test_a_cycle_is_refused_and_nothing_moves(service):
    await service.handle(merges.apply_addressees_merged, merged_event())
    with pytest.raises(PermanentError, match="merge_refused: merge_cycle"):
        await service.handle(merges.apply_addressees_merged, merged_event(merged=SURVIVOR, survivor=MERGED))
    assert await service.count(orm.addressee_merges) == 1


async def test_the_merged_case_points_to_the_survivor_and_seizure_matches_the_survivor(service):
    await seed_two_records(service)
    await service.handle(merges.apply_addressees_merged, merged_event())
    await nightly(service, D(2026, 7, 15))
    with pytest.raises(cases.NotFound, match=f"merged_into:{SURVIVOR}"):
        await service.handle(
            cases.delinquency_view, cases.ViewCase(addressee_id=MERGED, as_of=D(2026, 8, 1), staff_user="s-1")
        )
    view = await service.handle(
        cases.delinquency_view, cases.ViewCase(addressee_id=SURVIVOR, as_of=D(2026, 8, 1), staff_user="s-1")
    )
    assert {u["notice_number"] for u in view["unpaid"]} == {"N-S", "N-M"}

    def seizure(address):
        return dispositions.RecordDisposition(
            addressee_id=SURVIVOR,
            kind="seizure",
            executed_on=D(2026, 8, 1),
            property_type="deposit",
            amount=10_000,
            holder=dispositions.Holder(name="名寄　一郎", address=address),
            deposit_balance=10_000,
            staff_user="s-1",
        )

    # F12: the bank's record must match the survivor; the merged record's old address does not
    with pytest.raises(PermanentError, match="holder_not_matched:name_only"):
        await service.handle(dispositions.record_disposition, seizure(OLD))
    done = await service.handle(dispositions.record_disposition, seizure(HOME))
    assert done["match"] == "name_and_address"
    [row] = await service.rows(orm.dispositions)
    assert sorted(map(tuple, row["installments"])) == [("N-M", 1), ("N-S", 1)]


@pytest.mark.integration
async def test_merge_on_postgresql_takes_the_advisory_locks(make_service, pg_databases):
    (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    await svc.migrate()
    await seed_two_records(svc)
    await svc.handle(merges.apply_addressees_merged, merged_event())
    await svc.handle(
        handlers.note_receipt, receipt("r-3", "N-M", 1, D(2026, 7, 20), applied=1_000, addressee=MERGED)
    )
    assert set((await owners(svc)).values()) == {SURVIVOR}
    assert {r["addressee_id"] for r in await svc.rows(orm.receipts)} == {SURVIVOR}
