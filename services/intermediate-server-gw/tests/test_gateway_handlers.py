"""Gateway use case over a real (SQLite) database: every income query is refused and recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import collection, gateway
from osame_gateway.adapters import orm
from osame_gateway.domain.permission import LINKAGE_UNAVAILABLE, NOT_PERMITTED
from osame_gateway.service_layer import handlers
from sqlalchemy import insert

AFFAIR = "local_tax_assessment_collection"


def query(query_id="q-1", affair=AFFAIR):
    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id="100009",
        affair=affair,
        item=collection.InformationItem.INCOME,
        fiscal_year=2025,
        purpose="財産調査",
        staff_user="staff-01",
        requested_on=dt.date(2026, 7, 1),
    )


async def permit(service, affair=AFFAIR, item="income"):
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            insert(orm.permitted_queries).values(affair=affair, item=item, legal_basis="主務省令 第2条 表48")
        )


@pytest.mark.parametrize(
    ("permitted", "reason"),
    [
        pytest.param([], NOT_PERMITTED, id="empty-list"),
        pytest.param([(AFFAIR, "income")], LINKAGE_UNAVAILABLE, id="listed"),
        pytest.param([(AFFAIR, "pension")], NOT_PERMITTED, id="other-item-listed"),
        pytest.param([("other_affair", "income")], NOT_PERMITTED, id="other-affair-listed"),
    ],
)
async def test_query_is_refused_recorded_and_published(service, permitted, reason):
    for affair, item in permitted:
        await permit(service, affair, item)

    await service.handle(handlers.handle_income_query, query())

    record = await service.one(orm.query_records)
    assert {
        k: record[k]
        for k in (
            "query_id",
            "addressee_id",
            "requesting_service",
            "affair",
            "item",
            "staff_user",
            "outcome",
            "reason",
        )
    } == {
        "query_id": "q-1",
        "addressee_id": "100009",
        "requesting_service": "collection",
        "affair": AFFAIR,
        "item": "income",
        "staff_user": "staff-01",
        "outcome": "refused",
        "reason": reason,
    }
    assert await service.events() == [
        (
            gateway.IncomeQueryRefused.routing_key,
            {"query_id": "q-1", "addressee_id": "100009", "reason": reason},
        )
    ]


async def test_every_query_is_recorded(service):
    await service.handle(handlers.handle_income_query, query("q-1"))
    await service.handle(handlers.handle_income_query, query("q-2"))
    assert [r["query_id"] for r in await service.rows(orm.query_records)] == ["q-1", "q-2"]
    assert len(await service.events()) == 2
