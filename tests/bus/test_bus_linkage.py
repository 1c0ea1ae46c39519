"""Issue 13 items 5, 6 and 7 against the real broker, services as their own broker users.

- Stale 符号: 住基 corrects a 個人番号 (A → B); address-sync says so on the bus (no number) and
  the gateway drops the 符号 it held, so no later query uses A's.
- Endless query: a signed request for 年度 10^15 reaches a final state at once (refused with a
  reason), as does one for 1999.
- 個人番号 release: only for an income query collection really asked for on the bus (its staff
  proof verified); a forged request opens nothing, a made-up query id gets 409.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.testing import signer_for_tests
from osame_contracts.messages import address_sync, collection
from sqlalchemy import insert, select
from starlette.applications import Starlette

from .conftest import dlq_depth, eventually, publish_as, sealed

pytestmark = pytest.mark.integration

MY_NUMBER_A, MY_NUMBER_B = "123456789018", "987654321093"  # invented; valid check digits


def resident_change(change_id, sequence, kind, addressee_id, **fields):
    if "my_number" in fields:
        fields["my_number"] = sealed(
            fields["my_number"], address_sync.RecordResidentChange.routing_key, addressee_id
        )
    return address_sync.RecordResidentChange(
        change_id=change_id,
        addressee_id=addressee_id,
        sequence=sequence,
        change_kind=kind,
        changed_on=dt.date(2026, 4, 1),
        fields=fields,
    )


def moved_in(addressee_id: str, my_number: str):
    return resident_change(
        f"C{addressee_id}-1",
        1,
        "moved_in",
        addressee_id,
        name="連携 試験",
        address={"municipality_code": "162027", "town": "試験町", "printed": "富山県高岡市試験町3番3号"},
        my_number=my_number,
    )


def income_request(query_id: str, addressee_id: str, year: int = 2025) -> collection.IncomeQueryRequested:
    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id=addressee_id,
        affair="local_tax_assessment_collection",
        item=collection.InformationItem.INCOME,
        fiscal_year=year,
        purpose="財産調査",
        staff_user="staff-01",
        requested_on=dt.date(2026, 7, 1),
    )


def sender(broker_accounts):
    names = broker_accounts.names

    async def send(principal: str, message, message_id: str) -> None:
        exchange = names.commands().name if message.kind.value == "command" else names.events().name
        await publish_as(
            broker_accounts.url(principal),
            exchange,
            message.routing_key,
            message.model_dump_json().encode(),
            message_id=message_id,
            type=message.routing_key,
            user_id=names.user(principal),
            content_type="application/json",
        )

    return send


async def _rows(harness, table):
    async with harness.runtime.sessions() as session:
        return (await session.execute(select(table))).mappings().all()


async def test_a_corrected_number_drops_the_gateways_linkage_code(live, broker_accounts):
    from osame_gateway.adapters import orm as gw

    address = await live("address-sync")
    gateway = await live("intermediate-server-gw")
    send = sender(broker_accounts)
    await send("jumin", moved_in("300031", MY_NUMBER_A), "c-1")
    await eventually(lambda: _has_addressee(address, "300031"))
    # the gateway obtained A's 符号 for this 宛名番号 earlier
    async with gateway.runtime.sessions() as session, session.begin():
        await session.execute(
            insert(gw.linkage_codes).values(
                addressee_id="300031", linkage_code="code-of-A", obtained_at=dt.datetime.now(dt.UTC)
            )
        )
    correction = resident_change("C300031-2", 2, "my_number_changed", "300031", my_number=MY_NUMBER_B)
    await send("jumin", correction, "c-2")
    await eventually(lambda: _no_rows(gateway, gw.linkage_codes), timeout=30)


async def test_an_impossible_fiscal_year_reaches_a_final_state_at_once(live, broker_accounts):
    from osame_gateway.adapters import orm as gw

    gateway = await live("intermediate-server-gw")
    send = sender(broker_accounts)
    signer = signer_for_tests("collection")
    await send("collection", signer.sign(income_request("q-huge", "300032", 10**15)), "q-huge")
    await send("collection", signer.sign(income_request("q-1999", "300032", 1999)), "q-1999")

    async def both_refused() -> bool:
        rows = {r["query_id"]: (r["status"], r["reason"]) for r in await _rows(gateway, gw.income_queries)}
        return rows == {
            "q-huge": ("refused", "invalid_fiscal_year"),
            "q-1999": ("refused", "invalid_fiscal_year"),
        }

    await eventually(both_refused, timeout=30)


async def test_a_number_is_released_only_for_a_query_collection_really_asked_for(
    live, broker_accounts, amqp_url, tmp_path
):
    address = await live("address-sync")
    send = sender(broker_accounts)
    await send("jumin", moved_in("300033", MY_NUMBER_A), "c-1")
    await eventually(lambda: _has_addressee(address, "300033"))
    # collection's own user without a staff proof (a forged request): dead-lettered, nothing noted
    await send("collection", income_request("q-forged", "300033"), "q-forged")
    queue = broker_accounts.names.queue("address-sync", collection.IncomeQueryRequested)
    await eventually(lambda: _depth(amqp_url, queue, 1), timeout=30)
    await send(
        "collection", signer_for_tests("collection").sign(income_request("q-real", "300033")), "q-real"
    )

    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    from osame_address_sync.entrypoints.http import routes

    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path))
    app = Starlette(routes=routes(address.runtime, auth))
    gw = {"Authorization": "Bearer " + issuer.token("intermediate-server-gw", ["linkage_gateway"])}

    async def release(query_id: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
            body = {"addressee_id": "300033", "purpose": "linkage_code_acquisition", "query_id": query_id}
            return await c.post("/internal/individual-number", json=body, headers=gw)

    async def released() -> bool:
        return (await release("q-real")).status_code == 200

    await eventually(released, timeout=30)
    for made_up in ("q-forged", "q-never-asked"):
        response = await release(made_up)
        assert (response.status_code, response.json()) == (409, {"error": "no_pending_query"})
        assert MY_NUMBER_A not in response.text


async def _has_addressee(harness, addressee_id: str) -> bool:
    from osame_address_sync.adapters import orm

    return any(r["addressee_id"] == addressee_id for r in await _rows(harness, orm.addressees))


async def _no_rows(harness, table) -> bool:
    return await _rows(harness, table) == []


async def _depth(admin_url: str, queue: str, expected: int) -> bool:
    return await dlq_depth(admin_url, queue) == expected
