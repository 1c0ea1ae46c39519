"""住基 異動 consumer over a real (SQLite) database: ordering, duplicates, 取消, death, 転出, bad input."""

from __future__ import annotations

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.service_layer import handlers
from osame_chassis.errors import PermanentError
from osame_contracts.messages import address_sync

CHANGED = address_sync.AddresseeChanged.routing_key


async def test_moved_in_creates_the_addressee_with_structured_address_and_print_string(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    row = await service.one(orm.addressees)
    assert (row["source"], row["status"], row["address"], row["postal_code"]) == (
        "resident_register",
        "resident",
        "富山県高岡市試験町1番1号",
        "933-0001",
    )
    assert row["address_detail"]["municipality_code"] == "162027"
    assert row["address_detail"]["town"] == "試験町"
    assert row["unified_addressee_id"] == "000000000000001"
    [(key, body)] = await service.events()
    assert (key, body["version"], body["address"], body["name"]) == (
        CHANGED,
        1,
        "富山県高岡市試験町1番1号",
        "試験 一郎",
    )


async def test_duplicate_change_is_a_no_op(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    before = (
        await service.rows(orm.addressees),
        await service.events(),
        await service.rows(orm.resident_changes),
    )
    await service.run(handlers.record_resident_change, f.moved_in())
    after = (
        await service.rows(orm.addressees),
        await service.events(),
        await service.rows(orm.resident_changes),
    )
    assert after == before


async def test_older_change_arriving_after_a_newer_one_does_not_overwrite(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(
        handlers.record_resident_change,
        f.change("c3", 3, "moved_within", address=f.address("高岡市末広町3番3号", "933-0003")),
    )
    await service.run(
        handlers.record_resident_change,
        f.change("c2", 2, "moved_within", address=f.address("高岡市新町2番2号", "933-0002")),
    )
    assert (await service.one(orm.addressees))["address"] == "高岡市末広町3番3号"
    assert await service.count(orm.resident_changes) == 3  # the late one is kept in the history
    events = await service.events()
    assert [b["address"] for _, b in events] == ["富山県高岡市試験町1番1号", "高岡市末広町3番3号"]
    assert [b["version"] for _, b in events] == [1, 2]


async def test_cancellation_reverts_exactly_the_named_change(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(
        handlers.record_resident_change,
        f.change("c2", 2, "moved_within", address=f.address("高岡市新町2番2号", "933-0002")),
    )
    await service.run(handlers.record_resident_change, f.change("c3", 3, "name_changed", name="試験 一朗"))
    await service.run(handlers.record_resident_change, f.change("x4", 4, "cancellation", cancels="c2"))
    row = await service.one(orm.addressees)
    # the 転居 is undone, the later 氏名変更 stays
    assert (row["address"], row["name"]) == ("富山県高岡市試験町1番1号", "試験 一朗")
    last = (await service.events())[-1][1]
    assert (last["address"], last["name"], last["version"]) == ("富山県高岡市試験町1番1号", "試験 一朗", 4)


async def test_death_reaches_the_event_and_its_cancellation_clears_it(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(handlers.record_resident_change, f.change("c2", 2, "death", changed_on="2026-06-03"))
    assert (await service.events())[-1][1]["deceased_on"] == "2026-06-03"
    assert (await service.one(orm.addressees))["status"] == "deceased"
    await service.run(handlers.record_resident_change, f.change("x3", 3, "cancellation", cancels="c2"))
    assert (await service.events())[-1][1]["deceased_on"] is None


async def test_moved_out_sends_letters_to_the_destination(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(
        handlers.record_resident_change,
        f.change(
            "c2",
            2,
            "moved_out",
            changed_on="2026-05-10",
            destination=f.address("東京都千代田区試験1-1", "100-0001", municipality_code="131016"),
        ),
    )
    row = await service.one(orm.addressees)
    assert (row["status"], str(row["moved_out_on"]), row["destination"]) == (
        "moved_out",
        "2026-05-10",
        "東京都千代田区試験1-1",
    )
    last = (await service.events())[-1][1]
    assert (last["address"], last["postal_code"]) == ("東京都千代田区試験1-1", "100-0001")


async def test_protected_resident_address_is_blanked_in_the_event(service, f):
    await service.run(
        handlers.set_protection,
        address_sync.SetProtection(
            addressee_id="200001", revision=1, protected=True, effective_on="2026-03-01"
        ),
    )
    assert await service.events() == []  # protection before the addressee: kept, nothing to publish
    await service.run(handlers.record_resident_change, f.moved_in())
    [(_, body)] = await service.events()
    assert (body["protected"], body["address"], body["postal_code"]) == (True, "", "")
    assert (await service.one(orm.addressees))["address"] == "富山県高岡市試験町1番1号"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(
            lambda f: f.moved_in(my_number="123456789010"),
            "fields.my_number: 個人番号 check digit",
            id="my-number",
        ),
        pytest.param(
            lambda f: f.moved_in(address=f.address(municipality_code="162028")),
            "fields.address.municipality_code",
            id="municipality-code",
        ),
    ],
)
async def test_bad_check_digit_is_refused_and_nothing_is_stored(service, f, make, reason):
    with pytest.raises(PermanentError, match=reason) as err:
        await service.run(handlers.record_resident_change, make(f))
    assert "123456789010" not in str(err.value)
    assert await service.rows(orm.resident_changes) == []
    assert await service.rows(orm.addressees) == []
    assert await service.events() == []


async def test_conflicting_sequence_is_refused(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    with pytest.raises(PermanentError, match="change_conflict"):
        await service.run(handlers.record_resident_change, f.change("other", 1, "name_changed", name="別人"))
    assert await service.count(orm.resident_changes) == 1


async def test_cancelling_another_persons_change_is_refused(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    with pytest.raises(PermanentError, match="cancellation_of_another_addressee"):
        await service.run(
            handlers.record_resident_change,
            f.change("x9", 9, "cancellation", cancels="C200001-1", addressee_id="200002"),
        )


async def test_addressee_system_upsert_cannot_override_a_resident(service, f):
    await service.run(handlers.record_resident_change, f.moved_in())
    upsert = address_sync.UpsertAddressee(addressee_id="200001", version=9, name="別人", address="どこか")
    with pytest.raises(PermanentError, match="maintained_by_resident_register"):
        await service.run(handlers.upsert_addressee, upsert)


async def test_my_number_change_and_its_cancellation(service, f):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    first = (await service.one(orm.my_numbers))["blind_index"]
    await service.run(
        handlers.record_resident_change, f.change("c2", 2, "my_number_changed", my_number=f.my_number_b)
    )
    second = (await service.one(orm.my_numbers))["blind_index"]
    await service.run(handlers.record_resident_change, f.change("x3", 3, "cancellation", cancels="c2"))
    assert first != second
    assert (await service.one(orm.my_numbers))["blind_index"] == first
    assert service.deps.keyring.blind_index(f.my_number_a) == first


async def test_a_resident_change_on_a_non_residents_id_keeps_its_sealed_number(service, f):
    """Issue 13 item 8: a 住基 異動 without a number must not delete a 住登外者's sealed 個人番号."""
    await service.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    held = await service.one(orm.my_numbers)
    await service.run(handlers.record_resident_change, f.moved_in(addressee_id="300001"))
    assert (await service.one(orm.my_numbers))["blind_index"] == held["blind_index"]
    # a number 住基 gives, then cancels, is removed again; the 住登外者's own number is not lost
    await service.run(
        handlers.record_resident_change,
        f.change("c2", 2, "my_number_changed", addressee_id="300001", my_number=f.my_number_b),
    )
    assert (await service.one(orm.my_numbers))["blind_index"] == service.deps.keyring.blind_index(
        f.my_number_b
    )
    await service.run(
        handlers.record_resident_change,
        f.change("x3", 3, "cancellation", addressee_id="300001", cancels="c2"),
    )
    assert await service.rows(orm.my_numbers) == []


@pytest.mark.integration
async def test_history_sealing_and_merge_on_postgresql(make_service, pg_databases, f):
    import asyncio

    (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    await svc.migrate()
    await svc.run(handlers.register_non_resident, f.non_resident("300001", my_number=f.my_number_a))
    await svc.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await svc.run(
        handlers.record_resident_change,
        f.change("c3", 3, "moved_within", address=f.address("高岡市末広町3番3号", "933-0003")),
    )
    await svc.run(
        handlers.record_resident_change,
        f.change("c2", 2, "moved_within", address=f.address("高岡市新町2番2号", "933-0002")),
    )
    await svc.run(handlers.record_resident_change, f.change("x4", 4, "cancellation", cancels="c3"))
    rows = {r["addressee_id"]: r for r in await svc.rows(orm.addressees)}
    assert rows["200001"]["address"] == "高岡市新町2番2号"
    assert rows["300001"]["merged_into"] == "200001"
    for table in orm.metadata.sorted_tables:
        for row in await svc.rows(table):
            assert f.my_number_a not in repr(row), table.name
    from osame_chassis.messaging.tables import outbox

    assert f.my_number_a not in repr(await svc.rows(outbox))
