"""Issue #12 defect 7: a 督促状 that is never mailed (支援措置, deceased, no address) has no legal
effect — no 督促手数料, no earliest seizure date, no 時効 renewal, nothing charged at receipts — until
staff record that it was served (another address, 公示送達). Reproduced on main: the letter was
held from the print file but the fee, the seizure date and the 時効 renewal were booked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from osame_chassis.errors import PermanentError
from osame_chassis.messaging.tables import outbox
from osame_collection.adapters import orm
from osame_collection.service_layer import demand_notices, handlers
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import address_sync

from .test_collection_nightly import ADDRESSEE, assessment, nightly

D = dt.date
POLICY = CollectionPolicy(business_date=lambda: D(2026, 8, 31))


async def charged(service) -> list[dict]:
    return [
        item
        for r in await service.rows(outbox, outbox.c.id)
        if r["routing_key"] == "collection.demand-notice.issued.v1"
        for item in json.loads(r["payload"])["items"]
    ]


async def test_held_demand_notice_has_no_legal_effect_until_served(service):
    await service.handle(
        handlers.apply_addressee_change,
        address_sync.AddresseeChanged(
            addressee_id=ADDRESSEE,
            version=1,
            name="保護 花子",
            name_kana="ホゴ ハナコ",
            postal_code="",
            address="",
            protected=True,
        ),
    )
    await service.handle(handlers.project_assessment, assessment("N-H", [(1, 100_000, D(2026, 6, 30), 0)]))
    summary = await nightly(service, D(2026, 7, 15))
    assert summary["demand_notices"] == 1 and summary["demand_notices_held"] == 1
    [notice] = await service.rows(orm.demand_notices)
    assert (notice["held_reason"], notice["served_on"], notice["demand_fee"]) == (
        "protected_address",
        None,
        0,
    )
    [row] = await service.rows(orm.installments)
    assert (row["demand_fee"], row["earliest_seizure_on"]) == (0, None)
    assert await service.rows(orm.limitation_events) == [] and await charged(service) == []
    # staff: served by 公示送達, effective 8/20 → fee, seizure date and 時効 from then
    serve = demand_notices.ServeDemandNotice(
        demand_notice_id=notice["demand_notice_id"],
        served_on=D(2026, 8, 20),
        means="public_notice",
        staff_user="s",
    )
    await service.handle(lambda c, uow: demand_notices.serve(c, uow, policy=POLICY), serve)
    [row] = await service.rows(orm.installments)
    assert (row["demand_fee"], row["earliest_seizure_on"]) == (100, D(2026, 8, 31))
    [event] = await service.rows(orm.limitation_events)
    assert (event["kind"], event["occurred_on"]) == ("demand", D(2026, 8, 20))
    [item] = await charged(service)
    assert item["demand_fee"] == 100
    with pytest.raises(PermanentError, match="already_served"):
        await service.handle(lambda c, uow: demand_notices.serve(c, uow, policy=POLICY), serve)


async def test_held_reminder_does_not_suspend_the_limitation(service):
    from osame_collection.domain.campaign import CampaignCriteria
    from osame_collection.service_layer import reminders

    await service.handle(
        handlers.apply_addressee_change,
        address_sync.AddresseeChanged(
            addressee_id=ADDRESSEE,
            version=1,
            name="故人 太郎",
            name_kana="コジン タロウ",
            postal_code="933-0001",
            address="富山県高岡市1",
            protected=False,
            deceased_on=D(2026, 7, 1),
        ),
    )
    await service.handle(handlers.project_assessment, assessment("N-R", [(1, 100_000, D(2026, 6, 30), 0)]))
    campaign_id = await service.handle(
        reminders.save_campaign,
        reminders.SaveCampaign(name="c", criteria=CampaignCriteria(require_demand=False), staff_user="s"),
    )
    await service.handle(
        lambda c, uow: reminders.run_campaign(c, uow, policy=POLICY),
        reminders.RunCampaign(campaign_id=campaign_id, run_on=D(2026, 8, 31), staff_user="s"),
    )
    assert await service.count(orm.reminders) == 1
    assert await service.rows(orm.limitation_events) == []
