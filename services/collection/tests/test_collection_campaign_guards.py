"""Issue #12 defect 9: 催告 campaigns apply the 督促 guards (a 速報 payment, 督促停止, a receipt the
ledger does not show yet), skip people under 執行停止 or on an active 分納誓約, and are idempotent per
run (the same campaign on the same day sends nothing twice). Reproduced on main: everybody got a
催告 and a second run sent everything again."""

from __future__ import annotations

import datetime as dt

from osame_collection.adapters import orm
from osame_collection.domain.campaign import CampaignCriteria
from osame_collection.domain.stay import StayGround
from osame_collection.service_layer import handlers, pledges, reminders, stays
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import collection as contract

from .test_collection_nightly import assessment, nightly, receipt

D = dt.date
DUE = D(2026, 6, 30)
RUN = D(2026, 9, 1)
POLICY = CollectionPolicy(business_date=lambda: RUN)
PEOPLE = {"P": "300001", "S": "300002", "G": "300003", "H": "300004", "OK": "300005"}


def pinned(handler):
    return lambda command, uow: handler(command, uow, policy=POLICY)


async def run(service, campaign_id):
    return await service.handle(
        pinned(reminders.run_campaign),
        reminders.RunCampaign(campaign_id=campaign_id, run_on=RUN, staff_user="s-1"),
    )


async def test_campaign_applies_the_guards_and_is_idempotent_per_run(service):
    for tag, person in PEOPLE.items():
        await service.handle(
            handlers.project_assessment, assessment(f"N-{tag}", [(1, 100_000, DUE, 0)], addressee=person)
        )
    await nightly(service, D(2026, 7, 15))  # everyone dunned
    # P: a 速報 payment not yet confirmed
    await service.handle(
        handlers.note_receipt,
        receipt("r-p", "N-P", 1, D(2026, 8, 30), 0, preliminary=True, addressee=PEOPLE["P"]),
    )
    # S: 執行停止
    await service.handle(
        pinned(stays.record_stay),
        stays.RecordStay(
            addressee_id=PEOPLE["S"], ground=StayGround.LIVELIHOOD, decided_on=D(2026, 8, 1), staff_user="s-1"
        ),
    )
    # G: an active 分納誓約
    await service.handle(
        pinned(pledges.record_pledge),
        pledges.RecordPledge(
            addressee_id=PEOPLE["G"],
            signed_on=D(2026, 8, 1),
            schedule=[
                {"due_on": D(2026, 9, 30), "amount": 50_000},
                {"due_on": D(2026, 10, 31), "amount": 50_000},
            ],
            staff_user="s-1",
        ),
    )
    # H: a confirmed payment the ledger does not show yet
    await service.handle(
        handlers.note_receipt, receipt("r-h", "N-H", 1, D(2026, 8, 30), 100_000, addressee=PEOPLE["H"])
    )
    campaign_id = await service.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="一斉催告", criteria=CampaignCriteria(), staff_user="s-1"),
    )
    first = await run(service, campaign_id)
    assert first["reminders"] == 1
    assert first["guarded_installments"] == 2 and first["excluded_addressees"] == 1
    assert first["pledged_installments"] == 1  # G's pledge covers its only 期別
    [reminder] = await service.rows(orm.reminders)
    assert reminder["addressee_id"] == PEOPLE["OK"]
    again = await run(service, campaign_id)
    assert again["repeated"] and again["batch_id"] == first["batch_id"]
    assert await service.count(orm.reminders) == 1


async def test_a_pledge_covers_the_installments_it_names_only(service):
    """分納誓約 tied to its 期別: the campaign leaves the pledged one to 履行監視 and sends a 催告 for
    the one the pledge does not cover; the 承認 restarts the 時効 of the pledged one only; the 催告
    after a breach names only what the pledge covers."""
    person = PEOPLE["G"]
    await service.handle(
        handlers.project_assessment,
        assessment("N-G", [(1, 100_000, DUE, 0), (2, 100_000, D(2026, 7, 31), 0)], addressee=person),
    )
    await nightly(service, D(2026, 8, 20))  # both dunned
    pledge_id = await service.handle(
        pinned(pledges.record_pledge),
        pledges.RecordPledge(
            addressee_id=person,
            signed_on=D(2026, 8, 21),
            schedule=[{"due_on": D(2026, 8, 21), "amount": 50_000}],
            installments=[("N-G", 1)],
            staff_user="s-1",
        ),
    )
    acknowledged = [
        (e["notice_number"], e["installment_no"])
        for e in await service.rows(orm.limitation_events)
        if e["kind"] == "acknowledgement"
    ]
    assert acknowledged == [("N-G", 1)]
    campaign_id = await service.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="一斉催告", criteria=CampaignCriteria(), staff_user="s-1"),
    )
    summary = await run(service, campaign_id)
    assert (summary["reminders"], summary["pledged_installments"]) == (1, 1)
    named = {(i["notice_number"], i["installment_no"]) for i in await service.rows(orm.reminder_items)}
    assert named == {("N-G", 2)}
    # the pledge is missed: its 催告 names the pledged 期別 only
    assert await service.handle(lambda _, uow: pledges.monitor(uow, RUN, POLICY), None) == 1
    reminder_id = await service.handle(
        pinned(reminders.send_breach_reminder),
        contract.PledgeBreached(
            pledge_id=pledge_id,
            addressee_id=person,
            missed_due_on=D(2026, 8, 21),
            shortfall=50_000,
            detected_on=RUN,
        ),
    )
    named = {
        (i["notice_number"], i["installment_no"])
        for i in await service.rows(orm.reminder_items)
        if i["reminder_id"] == reminder_id
    }
    assert named == {("N-G", 1)}
