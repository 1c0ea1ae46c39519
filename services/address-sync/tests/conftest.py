"""The address-sync service under test: its `Service` (the chassis harness with this service's test
settings) as `service_harness`; `make_service`, `service`, `any_service` and `bus` come from the
workspace's pytest plugin (`osame_chassis.pytest_plugin`)."""

from __future__ import annotations

import base64
import functools

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.bootstrap import AddressSyncSettings, build_spec
from osame_chassis.sealed_number import RecipientKey, public_of, seal
from osame_chassis.testing import ServiceHarness

KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(100, 132))).decode()
# address-sync's transport key: publishers seal each 個人番号 to its public half (issue 13 item 4).
TRANSPORT_PRIVATE = base64.b64encode(bytes(range(50, 82))).decode()
TRANSPORT = f"t1:{public_of(TRANSPORT_PRIVATE)}"


def sealed(number: str, routing_key: str, addressee_id: str) -> dict[str, str]:
    """A 個人番号 as a publisher puts it on the bus."""
    return seal(number, RecipientKey.parse(TRANSPORT), routing_key=routing_key, addressee_id=addressee_id)


class Service(ServiceHarness):
    """This service's runtime on `database_url` with test settings (see osame_chassis.testing),
    plus its handler dependencies (keyring, publish flags)."""

    name = "address-sync"  # its SQLite file in the `service` fixture

    def __init__(self, database_url: str, **settings_overrides):
        settings = AddressSyncSettings(
            database_url=database_url,
            telemetry_enabled=False,
            amqp_prefix="test.",
            # v1-only fan-out unless a test asks for v2 (production publishes both).
            **{
                "mynumber_key": KEY_1,
                "mynumber_key_id": "k1",
                "mynumber_transport_keys": f"t1:{TRANSPORT_PRIVATE}",
                "publish_addressee_changed_v2": False,
                **settings_overrides,
            },
        )
        super().__init__(build_spec, settings, orm.metadata)
        self.deps = settings.deps()
        self.database_url = database_url

    async def run(self, handler, message):
        """A service-layer handler with this service's dependencies (keyring, publish flags)."""
        return await self.handle(functools.partial(handler, deps=self.deps), message)


# ---------------------------------------------------------------- message factories

MY_NUMBER_A = "123456789018"  # invented; passes the check digit
MY_NUMBER_B = "987654321093"  # invented; passes the check digit (verified in the identifiers test)
TAKAOKA = "162027"  # 高岡市 全国地方公共団体コード


class Factories:
    """Builders for address-sync commands with sensible synthetic defaults."""

    my_number_a = MY_NUMBER_A
    my_number_b = MY_NUMBER_B

    @staticmethod
    def address(printed="富山県高岡市試験町1番1号", postal_code="933-0001", **kw):
        from osame_contracts.messages.address_sync import StructuredAddress

        return StructuredAddress(
            municipality_code=kw.pop("municipality_code", TAKAOKA),
            town=kw.pop("town", "試験町"),
            block=kw.pop("block", "1番1号"),
            postal_code=postal_code,
            printed=printed,
            **kw,
        )

    @staticmethod
    def change(
        change_id, sequence, kind, *, addressee_id="200001", changed_on="2026-04-01", cancels=None, **fields
    ):
        import datetime as dt

        from osame_contracts.messages.address_sync import RecordResidentChange

        if isinstance(fields.get("my_number"), str):
            fields["my_number"] = sealed(fields["my_number"], RecordResidentChange.routing_key, addressee_id)
        return RecordResidentChange(
            change_id=change_id,
            addressee_id=addressee_id,
            sequence=sequence,
            change_kind=kind,
            changed_on=dt.date.fromisoformat(changed_on),
            notified_on=dt.date.fromisoformat(changed_on),
            cancels_change_id=cancels,
            fields=fields,
        )

    def moved_in(self, addressee_id="200001", sequence=1, change_id=None, my_number=None, **kw):
        fields = {
            "name": "試験 一郎",
            "name_kana": "シケン イチロウ",
            "date_of_birth": "1980-05-05",
            "address": self.address(),
            **kw,
        }
        if my_number:
            fields["my_number"] = my_number
        return self.change(
            change_id or f"C{addressee_id}-{sequence}",
            sequence,
            "moved_in",
            addressee_id=addressee_id,
            **fields,
        )

    def non_resident(self, addressee_id="300001", version=1, my_number=None, **kw):
        from osame_contracts.messages.address_sync import RegisterNonResident

        return RegisterNonResident(
            addressee_id=addressee_id,
            version=version,
            name=kw.pop("name", "住登外 太郎"),
            name_kana=kw.pop("name_kana", "ジュウトウガイ タロウ"),
            address=kw.pop(
                "address", self.address("東京都千代田区試験2-2", "100-0002", municipality_code="131016")
            ),
            my_number=sealed(my_number, RegisterNonResident.routing_key, addressee_id) if my_number else None,
            **kw,
        )

    def corporation(self, addressee_id="400001", version=1, corporate_number="7000012050002", **kw):
        from osame_contracts.messages.address_sync import RegisterCorporation

        return RegisterCorporation(
            addressee_id=addressee_id,
            version=version,
            name=kw.pop("name", "試験商事株式会社"),
            name_kana=kw.pop("name_kana", "シケンショウジ"),
            corporate_number=corporate_number,
            address=kw.pop("address", self.address("富山県高岡市本町5番5号", "933-0005")),
            **kw,
        )


@pytest.fixture
def f() -> Factories:
    return Factories()


@pytest.fixture
def service_harness():
    return Service
