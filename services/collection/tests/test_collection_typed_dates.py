"""Issue #12 defect 6: every date a person types is checked against the business date (the server's
day in Asia/Tokyo) and the record's own dates; 不納欠損 needs an approver other than the preparer.

Reproduced on main: a write-off run dated 2036 wrote off a 2026 tax; a 執行停止 typed as 2020 on a
2026 tax gave an instant write-off; a future batch date was accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.domain.dates import DateRefused, not_after_business_date, not_before, tokyo_today
from osame_collection.domain.stay import StayGround
from osame_collection.service_layer import cases, handlers, pledges, reminders, stays
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy

from .test_collection_nightly import ADDRESSEE, assessment

D = dt.date
TODAY = D(2026, 12, 7)
POLICY = CollectionPolicy(business_date=lambda: TODAY)


def with_policy(handler):
    return lambda command, uow: handler(command, uow, policy=POLICY)


async def seeded(service):
    await service.handle(handlers.project_assessment, assessment("N-D", [(1, 100_000, D(2026, 6, 30), 0)]))


@pytest.mark.parametrize(
    ("value", "other", "refused"),
    [(TODAY, TODAY, None), (TODAY + dt.timedelta(days=1), TODAY, "x:after_business_date")],
)
def test_not_after_business_date(value, other, refused):
    if refused is None:
        not_after_business_date("x", value, other)
    else:
        with pytest.raises(DateRefused, match=refused):
            not_after_business_date("x", value, other)


def test_not_before_the_records_own_date():
    not_before("decided_on", D(2026, 7, 1), "due_date", D(2026, 6, 30))
    with pytest.raises(DateRefused, match="decided_on:before_due_date"):
        not_before("decided_on", D(2020, 7, 1), "due_date", D(2026, 6, 30))


def test_business_date_is_tokyo_whatever_the_server_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        tokyo = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
        assert tokyo_today() == tokyo
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_future_batch_date_is_refused_and_leaves_nothing(service):
    await seeded(service)
    with pytest.raises(PermanentError, match="batch_date:after_business_date"):
        await service.handle(with_policy(run_nightly), RunNightly(batch_date=TODAY + dt.timedelta(days=1)))
    assert await service.count(orm.batches) == 0 and await service.count(orm.demand_notices) == 0
    summary = await service.handle(with_policy(run_nightly), RunNightly(batch_date=TODAY))
    assert summary["demand_notices"] == 1


async def test_write_off_run_in_the_future_is_refused(service):
    await seeded(service)
    with pytest.raises(PermanentError, match="as_of:after_business_date"):
        await service.handle(
            with_policy(stays.run_write_offs), stays.RunWriteOffs(as_of=D(2036, 1, 1), staff_user="s-1")
        )
    assert await service.count(orm.write_offs) == 0


async def test_stay_typed_before_the_tax_was_due_is_refused(service):
    await seeded(service)
    for decided_on, code in [
        (D(2020, 1, 10), "decided_on:before_due_date"),
        (TODAY + dt.timedelta(days=1), "decided_on:after_business_date"),
    ]:
        with pytest.raises(PermanentError, match=code):
            await service.handle(
                with_policy(stays.record_stay),
                stays.RecordStay(
                    addressee_id=ADDRESSEE,
                    ground=StayGround.NO_PROPERTY,
                    decided_on=decided_on,
                    immediate_extinction=True,
                    staff_user="s-1",
                ),
            )
    assert await service.count(orm.enforcement_stays) == 0


async def test_write_off_needs_an_approver_other_than_the_preparer(service):
    await seeded(service)
    await service.handle(
        with_policy(stays.record_stay),
        stays.RecordStay(
            addressee_id=ADDRESSEE,
            ground=StayGround.NO_PROPERTY,
            decided_on=D(2026, 10, 1),
            immediate_extinction=True,
            staff_user="s-1",
        ),
    )
    prepared = await service.handle(
        with_policy(stays.run_write_offs), stays.RunWriteOffs(as_of=TODAY, staff_user="s-1")
    )
    assert prepared["status"] == "prepared" and prepared["written_off"]["immediate_extinction"] == 1
    assert await service.count(orm.write_offs) == 0  # nothing happens on preparation
    with pytest.raises(PermanentError, match="approver_must_differ_from_preparer"):
        await service.handle(
            with_policy(stays.approve_write_offs),
            stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-1"),
        )
    approved = await service.handle(
        with_policy(stays.approve_write_offs),
        stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-2"),
    )
    assert approved["written_off"]["immediate_extinction"] == 1
    [row] = await service.rows(orm.write_offs)
    assert row["staff_user"] == "s-2"
    with pytest.raises(PermanentError, match="write_off_run_approved"):  # once only
        await service.handle(
            with_policy(stays.approve_write_offs),
            stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-3"),
        )


async def test_other_typed_dates_are_checked_against_the_business_date(service):
    await seeded(service)
    tomorrow = TODAY + dt.timedelta(days=1)
    refusals = [
        (
            cases.record_contact,
            cases.RecordContact(
                addressee_id=ADDRESSEE, contacted_on=tomorrow, channel="phone", summary="-", staff_user="s"
            ),
        ),
        (
            cases.record_inquiry,
            cases.RecordInquiry(addressee_id=ADDRESSEE, kind="bank", requested_on=tomorrow, staff_user="s"),
        ),
        (
            pledges.record_pledge,
            pledges.RecordPledge(
                addressee_id=ADDRESSEE,
                signed_on=tomorrow,
                schedule=[{"due_on": tomorrow + dt.timedelta(days=30), "amount": 10_000}],
                staff_user="s",
            ),
        ),
        (reminders.run_campaign, reminders.RunCampaign(campaign_id="x", run_on=tomorrow, staff_user="s")),
    ]
    for handler, command in refusals:
        with pytest.raises(PermanentError, match="after_business_date"):
            await service.handle(with_policy(handler), command)


def test_the_chassis_business_date_setting_reaches_the_policy():
    from osame_collection.bootstrap import CollectionSettings

    pinned = CollectionSettings(database_url="sqlite+aiosqlite:///x.db", business_date=D(2026, 6, 30))
    assert pinned.policy().business_date() == D(2026, 6, 30)
    assert (
        CollectionSettings(database_url="sqlite+aiosqlite:///x.db").policy().business_date() == tokyo_today()
    )
