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
    assert first["guarded_installments"] == 2 and first["excluded_addressees"] == 2
    [reminder] = await service.rows(orm.reminders)
    assert reminder["addressee_id"] == PEOPLE["OK"]
    again = await run(service, campaign_id)
    assert again["repeated"] and again["batch_id"] == first["batch_id"]
    assert await service.count(orm.reminders) == 1
