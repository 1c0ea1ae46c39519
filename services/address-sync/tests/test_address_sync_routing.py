"""Address-sync's subscription through FastStream's in-memory broker (routing → consumer wrapper → handler)."""

from __future__ import annotations

import pytest
from osame_address_sync.adapters import orm
from osame_contracts.messages import address_sync
from osame_contracts.topology import SUBSCRIPTIONS


def upsert(version=1):
    return address_sync.UpsertAddressee(
        addressee_id="100008",
        version=version,
        name="試験 四郎",
        address="富山県高岡市試験町4番4号",
        postal_code="9330004",
        protected=True,
    )


def test_subscribes_every_message_of_its_topology_row(service):
    service.spec.register(service.runtime)
    names = service.runtime.names
    assert service.runtime.queues == [names.queue("address-sync", m) for m in SUBSCRIPTIONS["address-sync"]]


async def test_upsert_command_is_routed_and_fanned_out(service, bus):
    await service.deliver(bus, upsert())
    assert (await service.one(orm.addressees))["address"] == "富山県高岡市試験町4番4号"
    [(key, body)] = await service.events()
    assert (key, body["address"], body["postal_code"]) == (address_sync.AddresseeChanged.routing_key, "", "")


async def test_same_message_id_twice_is_applied_once(service, bus):
    await service.deliver(bus, upsert(), message_id="dup-1")
    await service.deliver(bus, upsert(), message_id="dup-1")
    assert await service.inbox_count() == 1
    assert service.duplicates() == 1
    assert len(await service.events()) == 1


async def test_wrong_message_type_is_rejected_without_effect(service, bus):
    await service.deliver(bus, upsert(), message_type=address_sync.AddresseeChanged.message_type())
    assert service.rejected() == 1
    assert await service.rows(orm.addressees) == []
    assert await service.events() == []


# ---- 住基 異動 and registrations through the in-memory broker: bad input → DLQ, nothing partial


async def test_resident_change_is_routed_applied_and_fanned_out(service, bus, f):
    await service.deliver(bus, f.moved_in(my_number=f.my_number_a))
    assert (await service.one(orm.addressees))["address"] == "富山県高岡市試験町1番1号"
    [(key, body)] = await service.events()
    assert key == address_sync.AddresseeChanged.routing_key and "my_number" not in body


async def test_invalid_my_number_is_rejected_to_the_dlq_and_nothing_is_stored(service, bus, f, caplog):
    await service.deliver(bus, f.moved_in(my_number="123456789010"))
    assert service.rejected() == 1
    assert await service.rows(orm.resident_changes) == [] and await service.rows(orm.addressees) == []
    assert await service.inbox_count() == 0  # the rejected message left no trace in the transaction
    assert "check digit" in caplog.text and "123456789010" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"change_id": "c1"}', id="missing-fields"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(
            b'{"change_id":"c1","addressee_id":"1","sequence":1,"change_kind":"moved_within",'
            b'"changed_on":"2026-04-01","fields":{}}',
            id="move-without-address",
        ),
        pytest.param(
            b'{"change_id":"c1","addressee_id":"1","sequence":1,"change_kind":"moved_in",'
            b'"changed_on":"2026-04-01","fields":{"name":"x","address":{"printed":"y"},"my_number":"12345"}}',
            id="short-my-number",
        ),
    ],
)
async def test_malformed_resident_change_is_rejected_without_echoing_values(service, bus, f, caplog, body):
    await service.deliver(bus, f.moved_in(), body=body)
    assert service.rejected() == 1
    assert await service.rows(orm.resident_changes) == []
    assert "12345" not in caplog.text.replace("message_id", "")


async def test_missing_key_sends_a_my_number_change_to_the_dlq(make_service, tmp_path, f):
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/nokey.db", mynumber_key=None)
    await svc.migrate()
    svc.spec.register(svc.runtime)
    from faststream.rabbit import TestRabbitBroker

    async with TestRabbitBroker(svc.runtime.broker) as broker:
        await svc.deliver(broker, f.moved_in(my_number=f.my_number_a))
        assert svc.rejected() == 1
        assert await svc.rows(orm.resident_changes) == []
        await svc.deliver(broker, f.moved_in(addressee_id="200002"))  # no number: fine without a key
        assert await svc.count(orm.addressees) == 1
