"""団体内統合宛名番号, 同一人 by blind index, 名寄せ; 住登外者 and 法人 registration; 送付先 overrides."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.domain.identity import MergeRefusal, merge_refusal, survivor_of
from osame_address_sync.service_layer import handlers
from osame_chassis.errors import PermanentError
from osame_contracts.messages import address_sync

MERGED = address_sync.AddresseesMerged.routing_key
CHANGED_V2 = address_sync.AddresseeChangedV2.routing_key


async def _unified(service) -> dict[str, str]:
    return {r["addressee_id"]: r["unified_addressee_id"] for r in await service.rows(orm.addressees)}


async def test_each_new_addressee_gets_its_own_unified_id(service, f):
    await service.run(handlers.record_resident_change, f.moved_in("200001"))
    await service.run(handlers.register_non_resident, f.non_resident("300001"))
    await service.run(handlers.register_corporation, f.corporation("400001"))
    assert await _unified(service) == {
        "200001": "000000000000001",
        "300001": "000000000000002",
        "400001": "000000000000003",
    }


async def test_same_my_number_merges_the_non_resident_into_the_resident(service, f):
    await service.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    await service.run(handlers.record_resident_change, f.moved_in("200001", my_number=f.my_number_a))
    rows = {r["addressee_id"]: r for r in await service.rows(orm.addressees)}
    assert rows["300001"]["unified_addressee_id"] == rows["200001"]["unified_addressee_id"]
    assert (rows["300001"]["merged_into"], rows["200001"]["merged_into"]) == ("200001", None)
    [merge] = await service.rows(orm.merges)
    assert (merge["surviving_addressee_id"], merge["merged_addressee_id"], merge["reason"]) == (
        "200001",
        "300001",
        "same_my_number",
    )
    # 名寄せ is always published (collection and receipts consume it), once per merged addressee.
    assert [k for k, _ in await service.events()].count(MERGED) == 1


async def test_different_my_numbers_stay_different_people(service, f):
    await service.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    await service.run(handlers.record_resident_change, f.moved_in("200001", my_number=f.my_number_b))
    unified = await _unified(service)
    assert unified["300001"] != unified["200001"]
    assert await service.rows(orm.merges) == []


async def test_merge_event_and_v2_are_published_when_wired(make_service, tmp_path, f):
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/wired.db", publish_addressee_changed_v2=True)
    await svc.migrate()
    await svc.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    await svc.run(handlers.record_resident_change, f.moved_in("200001", my_number=f.my_number_a))
    events = await svc.events()
    [merged] = [b for k, b in events if k == MERGED]
    assert merged == {
        "unified_addressee_id": "000000000000001",
        "surviving_addressee_id": "200001",
        "merged_addressee_id": "300001",
        "reason": "same_my_number",
        "merged_on": "2026-04-01",
    }
    v2 = [b for k, b in events if k == CHANGED_V2]
    assert v2 and all("my_number" not in b for b in v2)
    assert f.my_number_a not in repr(events)


async def test_staff_merge_and_its_refusals(service, f):
    await service.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    await service.run(handlers.register_non_resident, f.non_resident("300002", my_number=f.my_number_b))
    await service.run(handlers.register_non_resident, f.non_resident("300003"))
    await service.run(handlers.register_corporation, f.corporation("400001"))

    def merge(survivor, merged):
        return address_sync.MergeAddressees(
            surviving_addressee_id=survivor,
            merged_addressee_id=merged,
            decided_by="staff-07",
            decided_on=dt.date(2026, 7, 1),
        )

    with pytest.raises(PermanentError, match="different_my_numbers"):
        await service.run(handlers.merge_addressees, merge("300001", "300002"))
    with pytest.raises(PermanentError, match="different_kinds"):
        await service.run(handlers.merge_addressees, merge("300001", "400001"))
    with pytest.raises(PermanentError, match="unknown_addressee"):
        await service.run(handlers.merge_addressees, merge("300001", "399999"))
    await service.run(handlers.merge_addressees, merge("300001", "300003"))
    await service.run(handlers.merge_addressees, merge("300001", "300003"))  # again: no-op
    merged_events = [b for k, b in await service.events() if k == MERGED]
    assert [(b["surviving_addressee_id"], b["merged_addressee_id"], b["reason"]) for b in merged_events] == [
        ("300001", "300003", "staff_decision")
    ]
    [m] = await service.rows(orm.merges)
    assert (m["surviving_addressee_id"], m["merged_addressee_id"], m["reason"], m["decided_by"]) == (
        "300001",
        "300003",
        "staff_decision",
        "staff-07",
    )
    with pytest.raises(PermanentError, match="already_merged_elsewhere"):
        await service.run(handlers.merge_addressees, merge("300002", "300003"))


@pytest.mark.parametrize(
    ("kwargs", "refusal"),
    [
        pytest.param({}, None, id="allowed"),
        pytest.param({"merged_kind": "corporation"}, MergeRefusal.DIFFERENT_KINDS, id="kinds"),
        pytest.param(
            {"survivor_index": "a", "merged_index": "b"}, MergeRefusal.DIFFERENT_MY_NUMBERS, id="numbers"
        ),
        pytest.param(
            {"survivor_index": "a", "merged_index": "a", "same_my_number": True}, None, id="same-number"
        ),
        pytest.param({"survivor_index": "a"}, None, id="one-side-unknown"),
        pytest.param({"merged_into": "999"}, MergeRefusal.ALREADY_MERGED_ELSEWHERE, id="elsewhere"),
    ],
)
def test_merge_refusal(kwargs, refusal):
    args = dict(
        survivor_kind="person",
        merged_kind="person",
        survivor_index=None,
        merged_index=None,
        same_my_number=False,
        merged_into=None,
        survivor_id="1",
    )
    assert merge_refusal(**{**args, **kwargs}) is refusal


def test_survivor_prefers_the_resident_then_the_older_unified_id():
    assert survivor_of(("300001", "1", False), ("200001", "2", True)) == ("200001", "300001")
    assert survivor_of(("300001", "5", False), ("300002", "2", False)) == ("300002", "300001")


async def test_corporation_with_bad_corporate_number_is_refused(service, f):
    with pytest.raises(PermanentError, match="corporate_number: 法人番号 check digit mismatch"):
        await service.run(handlers.register_corporation, f.corporation(corporate_number="1000012050002"))
    assert await service.rows(orm.addressees) == []


async def test_same_corporate_number_is_one_corporation(service, f):
    await service.run(handlers.register_corporation, f.corporation("400001"))
    await service.run(handlers.register_corporation, f.corporation("400002", name="試験商事（株）"))
    unified = await _unified(service)
    assert unified["400001"] == unified["400002"]
    [m] = await service.rows(orm.merges)
    assert (m["surviving_addressee_id"], m["reason"]) == ("400001", "same_corporate_number")


async def test_non_resident_versions_and_stale_updates(service, f):
    await service.run(handlers.register_non_resident, f.non_resident("300001", version=2))
    await service.run(handlers.register_non_resident, f.non_resident("300001", version=1, name="古い 名前"))
    assert (await service.one(orm.addressees))["name"] == "住登外 太郎"
    assert len(await service.events()) == 1


async def test_mailing_override_per_tax_item_is_suppressed_when_protected(make_service, tmp_path, f):
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/override.db", publish_addressee_changed_v2=True)
    await svc.migrate()
    await svc.run(handlers.register_non_resident, f.non_resident("300001"))
    override = address_sync.SetMailingOverride(
        addressee_id="300001",
        tax_item="fixed_asset_tax",
        revision=1,
        recipient="納税管理人 試験 花子",
        address=f.address("富山県高岡市管理町7番7号", "933-0007"),
    )
    await svc.run(handlers.set_mailing_override, override)
    v2 = [b for k, b in await svc.events() if k == CHANGED_V2][-1]
    assert v2["mailing_overrides"] == [
        {
            "tax_item": "fixed_asset_tax",
            "recipient": "納税管理人 試験 花子",
            "postal_code": "933-0007",
            "address": "富山県高岡市管理町7番7号",
        }
    ]
    await svc.run(
        handlers.set_protection,
        address_sync.SetProtection(
            addressee_id="300001", revision=1, protected=True, effective_on="2026-05-01"
        ),
    )
    v1 = [b for k, b in await svc.events() if k == address_sync.AddresseeChanged.routing_key][-1]
    v2 = [b for k, b in await svc.events() if k == CHANGED_V2][-1]
    assert (v1["address"], v1["postal_code"]) == ("", "")
    assert v2["mailing_overrides"][0]["address"] == "" and v2["mailing_overrides"][0]["postal_code"] == ""
    assert "管理町" not in repr((await svc.events())[-2:])
    # a stale override revision changes nothing; removal ends it
    await svc.run(handlers.set_mailing_override, override)
    before = len(await svc.events())
    await svc.run(
        handlers.set_mailing_override,
        address_sync.SetMailingOverride(
            addressee_id="300001", tax_item="fixed_asset_tax", revision=2, removed=True
        ),
    )
    assert len(await svc.events()) == before + 2  # v1 + v2
    assert [b for k, b in await svc.events() if k == CHANGED_V2][-1]["mailing_overrides"] == []


async def test_a_person_and_a_corporation_never_share_a_number_and_stale_versions_are_ignored(service, f):
    await service.run(handlers.register_non_resident, f.non_resident("300009", version=2))
    with pytest.raises(PermanentError, match="kind_mismatch: this 宛名番号 is a person"):
        await service.run(handlers.register_corporation, f.corporation("300009", version=3))
    await service.run(handlers.register_corporation, f.corporation("400009", version=2))
    with pytest.raises(PermanentError, match="kind_mismatch: this 宛名番号 is a corporation"):
        await service.run(handlers.register_non_resident, f.non_resident("400009", version=3))
    await service.run(
        handlers.register_corporation, f.corporation("400009", version=1, name="古い名称（株）")
    )
    rows = {r["addressee_id"]: r for r in await service.rows(orm.addressees)}
    assert (rows["300009"]["kind"], rows["400009"]["kind"], rows["400009"]["source_version"]) == (
        "person",
        "corporation",
        2,
    )
    assert rows["400009"]["name"] != "古い名称（株）"
