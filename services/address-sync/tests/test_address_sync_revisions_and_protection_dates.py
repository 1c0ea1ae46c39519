"""Issue 13 items 2, 3 and 7 (merge by HTTP) through the service layer and the HTTP routes.

- A revision far ahead (2147483647) cannot pin a 支援措置 flag, a 送付先 or a name: on the bus it
  is refused (dead-lettered with the reason), over HTTP it is a 409 (address-sync assigns
  revisions there: exactly current + 1).
- A 支援措置 decision is in force from its effective date (business date), and a decision dated
  later is applied by the daily pass when the date comes, with the fan-out that goes with it.
- The 名寄せ decided over HTTP names the token's subject, never the body's `decided_by`.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.entrypoints.http import routes
from osame_address_sync.service_layer import handlers
from osame_address_sync.service_layer.protection import apply_due_protections
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.errors import PermanentError
from osame_contracts.messages import address_sync
from starlette.applications import Starlette

PIN = 2147483647


def protection(revision: int, protected: bool, effective_on: dt.date, addressee_id="200001"):
    return address_sync.SetProtection(
        addressee_id=addressee_id, revision=revision, protected=protected, effective_on=effective_on
    )


def override(revision: int, f, printed="東京都千代田区送付先1-1"):
    return address_sync.SetMailingOverride(
        addressee_id="300001",
        tax_item="resident_tax",
        revision=revision,
        recipient="納税管理人",
        address=f.address(printed, "100-0001", municipality_code="131016"),
    )


async def _addressee(service, addressee_id):
    return next(r for r in await service.rows(orm.addressees) if r["addressee_id"] == addressee_id)


async def test_a_pinning_revision_on_the_bus_is_refused_and_later_changes_still_apply(service, f):
    service.runtime.settings.business_date = dt.date(2026, 8, 1)
    await service.run(handlers.record_resident_change, f.moved_in())
    with pytest.raises(PermanentError, match=r"revision: revision_out_of_window \(expected 1\.\.100\)"):
        await service.run(handlers.set_protection, protection(PIN, False, dt.date(2026, 7, 1)))
    await service.run(handlers.set_protection, protection(1, True, dt.date(2026, 7, 1)))
    with pytest.raises(PermanentError, match="revision_out_of_window"):
        await service.run(handlers.set_protection, protection(PIN, False, dt.date(2026, 7, 1)))
    await service.run(handlers.set_protection, protection(2, False, dt.date(2026, 7, 15)))
    assert (await _addressee(service, "200001"))["protected"] is False

    await service.run(handlers.register_non_resident, f.non_resident("300001"))
    with pytest.raises(PermanentError, match="version: revision_out_of_window"):
        await service.run(
            handlers.register_non_resident, f.non_resident("300001", version=PIN, name="乗取 太郎")
        )
    await service.run(handlers.register_non_resident, f.non_resident("300001", version=2, name="改名 太郎"))
    assert (await _addressee(service, "300001"))["name"] == "改名 太郎"

    with pytest.raises(PermanentError, match="revision: revision_out_of_window"):
        await service.run(handlers.set_mailing_override, override(PIN, f, "攻撃者の住所"))
    await service.run(handlers.set_mailing_override, override(1, f))
    [held] = await service.rows(orm.mailing_overrides)
    assert (held["revision"], held["address"]) == (1, "東京都千代田区送付先1-1")
    await service.run(handlers.set_mailing_override, override(1, f, "重複"))  # stale: ignored
    assert (await service.rows(orm.mailing_overrides))[0]["address"] == "東京都千代田区送付先1-1"


async def test_protection_ends_on_its_effective_date_not_at_once(service, f):
    settings = service.runtime.settings
    settings.business_date = dt.date(2026, 8, 1)
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(handlers.set_protection, protection(1, True, dt.date(2026, 7, 1)))
    assert (await _addressee(service, "200001"))["protected"] is True
    published = len(await service.events())

    await service.run(handlers.set_protection, protection(2, False, dt.date(2026, 12, 31)))
    assert (await _addressee(service, "200001"))["protected"] is True  # the end is not due yet
    assert len(await service.events()) == published

    settings.business_date = dt.date(2026, 12, 30)
    assert await service.handle(lambda _, uow: apply_due_protections(uow, service.deps), None) == 0
    assert (await _addressee(service, "200001"))["protected"] is True

    settings.business_date = dt.date(2026, 12, 31)
    assert await service.handle(lambda _, uow: apply_due_protections(uow, service.deps), None) == 1
    row = await _addressee(service, "200001")
    assert row["protected"] is False
    key, body = (await service.events())[-1]
    assert (key, body["protected"], body["address"]) == (
        address_sync.AddresseeChanged.routing_key,
        False,
        "富山県高岡市試験町1番1号",
    )
    # nothing left to apply
    assert await service.handle(lambda _, uow: apply_due_protections(uow, service.deps), None) == 0


async def test_protection_starts_on_its_effective_date(service, f):
    settings = service.runtime.settings
    settings.business_date = dt.date(2026, 8, 1)
    await service.run(handlers.record_resident_change, f.moved_in())
    await service.run(handlers.set_protection, protection(1, True, dt.date(2026, 9, 1)))
    assert (await _addressee(service, "200001"))["protected"] is False
    # a 住基 異動 before the date does not apply it early either
    await service.run(handlers.record_resident_change, f.change("C2", 2, "name_changed", name="試験 二郎"))
    assert (await _addressee(service, "200001"))["protected"] is False
    settings.business_date = dt.date(2026, 9, 1)
    assert await service.handle(lambda _, uow: apply_due_protections(uow, service.deps), None) == 1
    row = await _addressee(service, "200001")
    assert row["protected"] is True
    assert (await service.events())[-1][1]["address"] == ""


async def test_a_decision_before_the_addressee_is_known_applies_when_it_is_registered(service, f):
    service.runtime.settings.business_date = dt.date(2026, 8, 1)
    await service.run(handlers.set_protection, protection(1, True, dt.date(2026, 7, 1)))
    await service.run(handlers.record_resident_change, f.moved_in())
    assert (await _addressee(service, "200001"))["protected"] is True


# ---------------------------------------------------------------- HTTP


@pytest.fixture
async def client(service, issuer):
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.jwks_path, role_permissions={"addressee_staff": ["address-sync:*"]}),
        audit=AUDIT.hook(service.runtime.sessions),
    )
    app = Starlette(routes=routes(service.runtime, auth))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://address-sync") as c:
        yield c


def staff(issuer, user="staff-01"):
    return {"Authorization": f"Bearer {issuer.token(user, ['addressee_staff'])}"}


async def test_http_revisions_are_current_plus_one(service, client, issuer, f):
    service.runtime.settings.business_date = dt.date(2026, 8, 1)
    await service.run(handlers.record_resident_change, f.moved_in())

    def body(revision, protected):
        return protection(revision, protected, dt.date(2026, 7, 1)).model_dump(mode="json")

    response = await client.put("/addressees/protection", json=body(PIN, True), headers=staff(issuer))
    assert (response.status_code, response.json()) == (
        409,
        {"error": "revision: revision_out_of_window (expected 1)"},
    )
    assert (
        await client.put("/addressees/protection", json=body(1, True), headers=staff(issuer))
    ).status_code == 202
    response = await client.put("/addressees/protection", json=body(1, False), headers=staff(issuer))
    assert (response.status_code, response.json()) == (
        409,
        {"error": "revision: revision_stale (expected 2)"},
    )
    response = await client.put("/addressees/protection", json=body(3, False), headers=staff(issuer))
    assert response.status_code == 409
    assert (await _addressee(service, "200001"))["protected"] is True
    assert (
        await client.put("/addressees/protection", json=body(2, False), headers=staff(issuer))
    ).status_code == 202
    assert (await _addressee(service, "200001"))["protected"] is False

    name = f.non_resident("300001").model_dump(mode="json")
    assert (
        await client.post("/addressees/non-residents", json=name, headers=staff(issuer))
    ).status_code == 202
    pinned = name | {"version": PIN, "name": "乗取 太郎"}
    assert (
        await client.post("/addressees/non-residents", json=pinned, headers=staff(issuer))
    ).status_code == 409
    assert (await _addressee(service, "300001"))["name"] == "住登外 太郎"


async def test_http_merge_names_the_token_subject_and_the_business_date(service, client, issuer, f):
    service.runtime.settings.business_date = dt.date(2026, 8, 1)
    for addressee_id in ("300001", "300002"):
        await service.run(handlers.register_non_resident, f.non_resident(addressee_id))
    body = {
        "surviving_addressee_id": "300001",
        "merged_addressee_id": "300002",
        "decided_by": "someone-else",
        "decided_on": "2020-01-01",
    }
    response = await client.post("/addressees/merges", json=body, headers=staff(issuer, "staff-07"))
    assert response.status_code == 202
    [merge] = await service.rows(orm.merges)
    assert (merge["decided_by"], merge["merged_on"]) == ("staff-07", dt.date(2026, 8, 1))
