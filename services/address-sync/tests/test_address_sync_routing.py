"""Address-sync's subscription through FastStream's in-memory broker (routing → consumer wrapper → handler)."""

from __future__ import annotations

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
