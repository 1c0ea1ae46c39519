"""個人番号 sealed at rest: AES-GCM keyring, blind index, the raw database never holds the number, rotation."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.adapters.sealing import KeyConfigurationError, Keyring, Sealed, SealedNumberError
from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.key_rotation import key_usage, rotate_keys
from sqlalchemy import select, text

KEY_1 = base64.b64encode(bytes(range(32))).decode()  # the same keys the conftest configures
KEY_2 = base64.b64encode(bytes(range(100, 132))).decode()

NUMBER = "123456789018"


def ring(active="k1", **keys) -> Keyring:
    keys = keys or {"k1": KEY_1}
    return Keyring({k: base64.b64decode(v) for k, v in keys.items()}, active)


def test_seal_and_open_round_trip_with_fresh_nonces():
    r = ring()
    a, b = r.seal(NUMBER, "100001"), r.seal(NUMBER, "100001")
    assert a.blob != b.blob  # random nonce
    assert NUMBER.encode() not in a.blob
    assert r.open(a, "100001") == NUMBER == r.open(b, "100001")


def test_ciphertext_is_bound_to_its_addressee():
    r = ring()
    sealed = r.seal(NUMBER, "100001")
    with pytest.raises(SealedNumberError) as err:
        r.open(sealed, "100002")
    assert NUMBER not in str(err.value)


def test_tampered_ciphertext_and_unknown_key_do_not_open():
    r = ring()
    sealed = r.seal(NUMBER, "100001")
    tampered = Sealed("k1", sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    with pytest.raises(SealedNumberError):
        r.open(tampered, "100001")
    with pytest.raises(SealedNumberError):
        r.open(Sealed("k9", sealed.blob), "100001")


def test_blind_index_is_keyed_and_deterministic():
    r1, r2 = ring(), ring(k1=KEY_2)
    assert r1.blind_index(NUMBER) == r1.blind_index(NUMBER)
    assert r1.blind_index(NUMBER) != r2.blind_index(NUMBER)  # a different key gives a different index
    assert r1.blind_index(NUMBER) != r1.blind_index("987654321093")
    assert NUMBER not in r1.blind_index(NUMBER)


@pytest.mark.parametrize(
    ("single", "key_id", "many", "error"),
    [
        pytest.param("not base64!", "k1", None, "OSAME_MYNUMBER_KEY: not base64", id="not-base64"),
        pytest.param(base64.b64encode(b"short").decode(), "k1", None, "32 bytes", id="short"),
        pytest.param(None, "k2", f"k1:{KEY_1}", "active key id is not among", id="active-missing"),
        pytest.param(None, "k1", "k1=" + KEY_1, "entries are id:base64key", id="bad-list"),
        pytest.param(None, "k1", f"k1:{KEY_1},k1:{KEY_2}", "appears twice", id="duplicate-id"),
        pytest.param(KEY_1, "bad id!", None, "key id must be", id="bad-id"),
    ],
)
def test_key_configuration_errors_name_the_setting_never_the_key(single, key_id, many, error):
    with pytest.raises(KeyConfigurationError, match=error) as err:
        Keyring.from_settings(single, key_id, many)
    assert KEY_1 not in str(err.value)


def test_keyring_from_settings_with_several_keys():
    r = Keyring.from_settings(KEY_2, "k2", f"k1:{KEY_1}")
    assert (r.key_ids, r.active) == (["k1", "k2"], "k2")
    assert Keyring.from_settings(None, "k1", None) is None


def _database_file(service) -> bytes:
    path = service.database_url.removeprefix("sqlite+aiosqlite:///")
    data = b""
    for suffix in ("", "-wal", "-journal"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as fh:
                data += fh.read()
    return data


async def test_the_raw_database_never_contains_the_number(service, f):
    await service.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    await service.run(
        handlers.record_resident_change, f.change("c2", 2, "my_number_changed", my_number=f.my_number_b)
    )
    await service.run(
        handlers.register_non_resident,
        f.non_resident("300001", my_number=f.my_number_a),
    )
    await service.close()
    raw = _database_file(service)
    assert len(raw) > 10_000 and b"resident_changes" in raw  # it is the database, with the rows in it
    for number in (f.my_number_a, f.my_number_b):
        for encoding in ("ascii", "utf-16-le", "utf-16-be"):
            assert number.encode(encoding) not in raw
    # and no row value anywhere (outbox payloads included) holds it as text
    service2 = type(service)(service.database_url)
    try:
        async with service2.runtime.engine.connect() as conn:
            tables = [
                r[0] for r in await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
            ]
            for table in tables:
                for row in await conn.execute(text(f'SELECT * FROM "{table}"')):
                    flat = repr(tuple(row))
                    assert f.my_number_a not in flat and f.my_number_b not in flat, table
    finally:
        await service2.close()


async def test_rotation_re_encrypts_everything_under_the_new_key(make_service, tmp_path, f):
    url = f"sqlite+aiosqlite:///{tmp_path}/rotation.db"
    old = make_service(url)
    await old.migrate()
    for i in range(7):
        number = _valid_number(i)
        await old.run(
            handlers.record_resident_change, f.moved_in(addressee_id=f"2100{i:02d}", my_number=number)
        )
    await old.run(
        handlers.record_resident_change,
        f.change("mn", 2, "my_number_changed", addressee_id="210000", my_number=_valid_number(50)),
    )
    sessions = old.runtime.sessions
    assert await key_usage(sessions) == {"k1": 7 + 8}  # 7 current + 8 history rows carrying a number

    # The operator adds k2 and makes it active; k1 stays configured until rotation is done.
    new = make_service(url, mynumber_key=KEY_2, mynumber_key_id="k2", mynumber_keys=f"k1:{KEY_1}")
    seen = []
    report = await rotate_keys(
        new.runtime.sessions, new.deps.keyring, batch_size=4, progress=lambda d, t: seen.append((d, t))
    )
    assert report.rotated == 15 and report.after == {"k2": 15}
    assert seen[0] == (0, 15) and seen[-1] == (15, 15)
    assert await rotate_keys(new.runtime.sessions, new.deps.keyring) == type(report)(
        "k2", 0, {"k2": 15}, {"k2": 15}
    )

    # Only k2 is needed now: every number opens and the blind index finds 同一人.
    only_new = make_service(url, mynumber_key=KEY_2, mynumber_key_id="k2")
    keyring = only_new.deps.keyring
    async with only_new.runtime.sessions() as session:
        rows = (await session.execute(select(orm.my_numbers))).mappings().all()
        opened = {
            r["addressee_id"]: keyring.open(Sealed(r["key_id"], r["sealed"]), r["addressee_id"]) for r in rows
        }
        assert opened["210000"] == _valid_number(50) and opened["210003"] == _valid_number(3)
        assert all(r["blind_index"] == keyring.blind_index(opened[r["addressee_id"]]) for r in rows)
    with pytest.raises(SealedNumberError):
        ring().open(Sealed("k1", rows[0]["sealed"]), rows[0]["addressee_id"])  # the old key cannot open it


async def test_lookup_works_in_a_half_rotated_database(make_service, tmp_path, f):
    url = f"sqlite+aiosqlite:///{tmp_path}/half.db"
    old = make_service(url)
    await old.migrate()
    await old.run(handlers.record_resident_change, f.moved_in(addressee_id="220001", my_number=f.my_number_a))
    # k2 becomes active but rotation has not run: a 住登外者 with the same number is still 同一人.
    new = make_service(url, mynumber_key=KEY_2, mynumber_key_id="k2", mynumber_keys=f"k1:{KEY_1}")
    await new.run(handlers.register_non_resident, f.non_resident("320001", my_number=f.my_number_a))
    rows = {r["addressee_id"]: r for r in await new.rows(orm.addressees)}
    assert rows["320001"]["unified_addressee_id"] == rows["220001"]["unified_addressee_id"]


def _valid_number(i: int) -> str:
    from osame_address_sync.domain.identifiers import my_number_check_digit

    first = f"{40000000000 + i * 7919:011d}"
    return first + str(my_number_check_digit(first))


def test_rotation_helpers_are_async():
    assert asyncio.iscoroutinefunction(rotate_keys)


def test_the_demo_key_is_refused_outside_development():
    from osame_address_sync.bootstrap import AddressSyncSettings
    from osame_chassis.sealed_number import DEMO_TRANSPORT_KEYS, TransportKeyError, generate_keypair

    private = generate_keypair()[0]

    dev = AddressSyncSettings(mynumber_transport_keys=DEMO_TRANSPORT_KEYS, telemetry_enabled=False)
    assert dev.transport() is not None
    prod = AddressSyncSettings(
        environment="production",
        database_url="postgresql://x@127.0.0.1/x",
        audit_key="b3NhbWUtdGVzdC1vbmx5LWF1ZGl0LWNoYWluLWtleS0wMDAw",
        mynumber_transport_keys=DEMO_TRANSPORT_KEYS,
        telemetry_enabled=False,
    )
    with pytest.raises(TransportKeyError):
        prod.transport()
    assert AddressSyncSettings(
        environment="production",
        database_url="postgresql://x@127.0.0.1/x",
        audit_key="b3NhbWUtdGVzdC1vbmx5LWF1ZGl0LWNoYWluLWtleS0wMDAw",
        mynumber_transport_keys=f"t1:{private}",
    ).transport().key_ids == ["t1"]
