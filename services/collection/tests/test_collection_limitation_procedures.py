"""Issue #12 defect 5: while a 差押 / 交付要求 / 参加差押 is in force the 時効 does not complete
(完成猶予, 民法148① via 法18③; 法18条の2); it restarts from the day after the procedure ends
(更新, 民法148②). Reproduced on main: a 差押 still in force was written off by 時効 five years later."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.service_layer import cases, dispositions, handlers, stays
from osame_collection.service_layer.policy import CollectionPolicy

from .test_collection_nightly import ADDRESSEE, assessment, nightly

D = dt.date
POLICY = CollectionPolicy(business_date=lambda: D(2040, 1, 1))


def pinned(handler):
    return lambda command, uow: handler(command, uow, policy=POLICY)


async def write_off(service, as_of: dt.date) -> dict:
    prepared = await service.handle(
        pinned(stays.run_write_offs), stays.RunWriteOffs(as_of=as_of, staff_user="s-1")
    )
    approved = await service.handle(
        pinned(stays.approve_write_offs), stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-2")
    )
    return approved["written_off"]


async def claim_filed(service) -> str:
    await service.handle(
        handlers.project_assessment,
        assessment("N-L", [(1, 100_000, D(2026, 6, 30), 0)]),
    )
    await nightly(service, D(2026, 7, 15))  # 督促: 時効 restarts after day 10 → ends 2031-07-25
    result = await service.handle(
        pinned(dispositions.record_disposition),
        dispositions.RecordDisposition(
            addressee_id=ADDRESSEE,
            kind="claim_filing",
            executed_on=D(2026, 10, 15),
            amount=100_000,
            staff_user="s",
        ),
    )
    return result["disposition_id"]


async def test_no_write_off_by_limitation_while_the_claim_is_in_force(service):
    await claim_filed(service)
    assert (await write_off(service, D(2036, 1, 1)))["limitation"] == 0
    assert await service.count(orm.write_offs) == 0
    view = await service.handle(
        pinned(cases.delinquency_view),
        cases.ViewCase(addressee_id=ADDRESSEE, as_of=D(2036, 1, 1), staff_user="s"),
    )
    [line] = view["unpaid"]
    assert line["limitation_ends_on"] is None
    assert line["limitation_suspended_by_procedure_since"] == "2026-10-15"


async def test_limitation_restarts_from_the_day_after_the_procedure_ends(service):
    claim = await claim_filed(service)
    with pytest.raises(PermanentError, match="executed_on:before_related_executed_on"):
        await service.handle(
            pinned(dispositions.record_disposition),
            dispositions.RecordDisposition(
                addressee_id=ADDRESSEE,
                kind="release",
                executed_on=D(2026, 10, 1),
                related_id=claim,
                amount=100_000,
                staff_user="s",
            ),
        )
    await service.handle(
        pinned(dispositions.record_disposition),
        dispositions.RecordDisposition(
            addressee_id=ADDRESSEE,
            kind="release",
            executed_on=D(2033, 1, 31),
            related_id=claim,
            amount=100_000,
            staff_user="s",
        ),
    )
    # new period 2033-02-01 .. 2038-01-31: extinguished on 2038-02-01
    assert (await write_off(service, D(2038, 1, 31)))["limitation"] == 0
    assert (await write_off(service, D(2038, 2, 1)))["limitation"] == 1
    [row] = await service.rows(orm.write_offs)
    assert (row["cause"], row["extinguished_on"]) == ("limitation", D(2038, 2, 1))
