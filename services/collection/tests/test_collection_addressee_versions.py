"""The mailing copy from AddresseeChanged v1 and v2 (one version, two queues): whichever arrives first,
the 送付先 of v2 is kept; older versions never overwrite newer ones."""

from __future__ import annotations

import pytest
from osame_collection.adapters import orm
from osame_collection.service_layer import handlers
from osame_contracts.messages import address_sync

A = "310001"


def v1(version, address):
    return address_sync.AddresseeChanged(
        addressee_id=A,
        version=version,
        name="版 太郎",
        name_kana="ハン タロウ",
        postal_code="933-0001",
        address=address,
        protected=False,
    )


def v2(version, address, override_to):
    return address_sync.AddresseeChangedV2(
        addressee_id=A,
        unified_addressee_id="000000000000009",
        version=version,
        addressee_kind="person",
        name="版 太郎",
        name_kana="ハン タロウ",
        postal_code="933-0001",
        address=address,
        protected=False,
        mailing_overrides=[
            address_sync.MailingOverride(
                tax_item="resident_tax", recipient="代理人", postal_code="100-0001", address=override_to
            )
        ],
    )


@pytest.mark.parametrize("v1_first", [True, False], ids=["v1-first", "v2-first"])
async def test_v2_overrides_survive_either_arrival_order(service, v1_first):
    pair = [
        (handlers.apply_addressee_change, v1(2, "新住所")),
        (handlers.apply_addressee_change_v2, v2(2, "新住所", "送付先")),
    ]
    for handler, event in pair if v1_first else reversed(pair):
        await service.handle(handler, event)
    [copy] = await service.rows(orm.addressees)
    assert (copy["version"], copy["address"]) == (2, "新住所")
    assert [o["address"] for o in await service.rows(orm.mailing_overrides)] == ["送付先"]


async def test_an_older_v2_does_not_overwrite_a_newer_copy(service):
    await service.handle(handlers.apply_addressee_change_v2, v2(3, "三番目", "新送付先"))
    await service.handle(handlers.apply_addressee_change_v2, v2(2, "二番目", "旧送付先"))
    await service.handle(handlers.apply_addressee_change, v1(2, "二番目"))
    [copy] = await service.rows(orm.addressees)
    assert (copy["version"], copy["address"]) == (3, "三番目")
    assert [o["address"] for o in await service.rows(orm.mailing_overrides)] == ["新送付先"]
