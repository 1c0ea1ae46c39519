"""Gateway's subscription through FastStream's in-memory broker (routing → consumer wrapper → handler)."""

from __future__ import annotations

import datetime as dt

from osame_contracts.messages import collection, gateway
from osame_contracts.topology import SUBSCRIPTIONS
from osame_gateway.adapters import orm


def query(query_id="q-r1"):
    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id="100010",
        affair="local_tax_assessment_collection",
        item=collection.InformationItem.INCOME,
        fiscal_year=2025,
        purpose="執行停止の判断",
        staff_user="staff-02",
        requested_on=dt.date(2026, 7, 2),
    )


def test_subscribes_every_message_of_its_topology_row(service):
    service.spec.register(service.runtime)
    names = service.runtime.names
    assert service.runtime.queues == [
        names.queue("intermediate-server-gw", m) for m in SUBSCRIPTIONS["intermediate-server-gw"]
    ]


async def test_income_query_is_routed_refused_and_recorded(service, bus):
    await service.deliver(bus, query())
    record = await service.one(orm.query_records)
    assert (record["query_id"], record["reason"]) == ("q-r1", "not_on_permitted_query_list")
    [(key, body)] = await service.events()
    assert (key, body["reason"]) == (gateway.IncomeQueryRefused.routing_key, "not_on_permitted_query_list")


async def test_same_message_id_twice_is_applied_once(service, bus):
    await service.deliver(bus, query(), message_id="dup-1")
    await service.deliver(bus, query(), message_id="dup-1")
    assert await service.inbox_count() == 1
    assert service.duplicates() == 1
    assert await service.count(orm.query_records) == 1
    assert len(await service.events()) == 1


async def test_invalid_body_is_rejected_without_effect(service, bus):
    body = query().model_dump_json().replace('"item":"income"', '"item":"bank_accounts"').encode()
    assert b"bank_accounts" in body
    await service.deliver(bus, query(), body=body)
    assert service.rejected() == 1
    assert await service.count(orm.query_records) == 0
