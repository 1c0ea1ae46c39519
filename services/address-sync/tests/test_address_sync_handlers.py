"""Address-sync use case over a real (SQLite) database: stored 宛名 and the fanned-out event."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.service_layer import handlers
from osame_contracts.messages import address_sync

ADDRESS = "富山県高岡市試験町3番3号"
CHANGED = address_sync.AddresseeChanged.routing_key


def upsert(version=1, protected=False, address=ADDRESS, name="試験 三郎", deceased_on=None):
    return address_sync.UpsertAddressee(
        addressee_id="100007",
        version=version,
        name=name,
        name_kana="シケン サブロウ",
        postal_code="933-0003",
        address=address,
        protected=protected,
        deceased_on=deceased_on,
    )


@pytest.mark.parametrize(
    ("protected", "published_address", "published_postal_code"),
    [pytest.param(False, ADDRESS, "933-0003", id="unprotected"), pytest.param(True, "", "", id="protected")],
)
async def test_upsert_stores_the_addressee_and_publishes_what_may_be_disclosed(
    service, protected, published_address, published_postal_code
):
    await service.handle(handlers.upsert_addressee, upsert(protected=protected))

    row = await service.one(orm.addressees)
    # The full address is always kept here (address-sync is the owner), protected or not.
    assert (row["address"], row["postal_code"], row["protected"], row["version"]) == (
        ADDRESS,
        "933-0003",
        protected,
        1,
    )
    assert row["updated_at"] is not None

    [(key, body)] = await service.events()
    assert key == CHANGED
    assert body == {
        "addressee_id": "100007",
        "version": 1,
        "name": "試験 三郎",
        "name_kana": "シケン サブロウ",
        "postal_code": published_postal_code,
        "address": published_address,
        "protected": protected,
        "deceased_on": None,
    }


async def test_newer_version_updates_and_publishes(service):
    await service.handle(handlers.upsert_addressee, upsert(1))
    await service.handle(
        handlers.upsert_addressee, upsert(2, name="試験 三子", deceased_on=dt.date(2026, 5, 1))
    )
    row = await service.one(orm.addressees)
    assert (row["version"], row["name"], row["deceased_on"]) == (2, "試験 三子", dt.date(2026, 5, 1))
    events = await service.events()
    assert [(k, b["version"], b["deceased_on"]) for k, b in events] == [
        (CHANGED, 1, None),
        (CHANGED, 2, "2026-05-01"),
    ]


async def test_becoming_protected_blanks_the_next_event(service):
    await service.handle(handlers.upsert_addressee, upsert(1))
    await service.handle(handlers.upsert_addressee, upsert(2, protected=True))
    assert (await service.one(orm.addressees))["address"] == ADDRESS
    last = (await service.events())[-1][1]
    assert (last["protected"], last["address"], last["postal_code"]) == (True, "", "")


@pytest.mark.parametrize("stale_version", [pytest.param(1, id="older"), pytest.param(2, id="same")])
async def test_stale_version_is_ignored(service, stale_version):
    await service.handle(handlers.upsert_addressee, upsert(2))
    before = (await service.rows(orm.addressees), await service.events())
    await service.handle(handlers.upsert_addressee, upsert(stale_version, address="富山県高岡市古町9番9号"))
    assert (await service.rows(orm.addressees), await service.events()) == before
