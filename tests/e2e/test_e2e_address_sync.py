"""End to end for address-sync: 住基 異動 → address-sync → collection's mailing copy, as processes.

A 転居 reaches collection's addressee copy (the address its next 督促 will use); a protected
(支援措置) person's address never reaches it; a death reaches it; an invalid 個人番号 is
dead-lettered with a reason; the gateway obtains a 個人番号 over the audited endpoint; and the
number is in no database file, log or exported span.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import sqlite3
import uuid

import httpx
import pytest
from osame_chassis.auth import DevIssuer
from osame_chassis.otlp_sink import OtlpSink
from osame_cli import dlq
from osame_cli.bus import delete_namespace
from osame_cli.city import sealed_number
from osame_cli.settle import wait_settled
from osame_cli.stack import Stack, free_port
from osame_contracts.messages import address_sync as msgs
from osame_contracts.messages.collection import IncomeQueryRequested

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MY_NUMBER = "123456789018"  # invented, passes the check digit
KEY = base64.b64encode(bytes(range(7, 39))).decode()
TAKAOKA = "162027"


@pytest.fixture(scope="module")
def address_stack(amqp_url, tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e-address")
    issuer = DevIssuer(work / "issuer")
    issuer.write_jwks()
    prefix = f"e2e-addr-{uuid.uuid4().hex[:8]}."
    sink = OtlpSink(free_port())
    sink.start()
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=work,
        otlp_endpoint=sink.endpoint,
        extra_env={"OSAME_AUTH_JWKS_FILE": str(issuer.jwks_path)},
    )
    # The 個人番号 key goes to address-sync only (any other service refuses a setting it does not know).
    stack.services["address-sync"].env["OSAME_MYNUMBER_KEY"] = KEY
    stack.start(timeout=180)
    stack.sink, stack.issuer, stack.work = sink, issuer, work
    yield stack
    codes = stack.stop()
    sink.stop()

    async def cleanup():
        await delete_namespace(amqp_url, prefix)

    asyncio.run(cleanup())
    assert codes == dict.fromkeys(stack.services, 0), f"graceful shutdown failed: {codes}"


def address(printed, postal_code):
    return msgs.StructuredAddress(municipality_code=TAKAOKA, postal_code=postal_code, printed=printed)


def change(addressee_id, sequence, kind, on="2026-04-01", **fields):
    if "my_number" in fields:  # 住基 seals it to address-sync's (the local stack's demo) transport key
        fields["my_number"] = sealed_number(
            fields["my_number"], msgs.RecordResidentChange.routing_key, addressee_id
        )
    return msgs.RecordResidentChange(
        change_id=f"e2e-{addressee_id}-{sequence}",
        addressee_id=addressee_id,
        sequence=sequence,
        change_kind=kind,
        changed_on=dt.date.fromisoformat(on),
        notified_on=dt.date.fromisoformat(on),
        fields=fields,
    )


def moved_in(addressee_id, name, printed, postal_code, **fields):
    return change(addressee_id, 1, "moved_in", name=name, address=address(printed, postal_code), **fields)


def collection_copy(stack) -> dict[str, tuple]:
    with sqlite3.connect(stack.work / "data" / "collection.db") as db:
        rows = db.execute("SELECT addressee_id, address, postal_code, protected, deceased_on FROM addressees")
        return {r[0]: r[1:] for r in rows}


async def test_a_move_reaches_collection_and_protection_and_death_follow(address_stack):
    stack = address_stack
    async with stack.bus() as bus:
        await bus.send(
            msgs.SetProtection(
                addressee_id="500002", revision=1, protected=True, effective_on=dt.date(2026, 3, 1)
            )
        )
        await bus.send(
            moved_in("500001", "移動 一郎", "富山県高岡市旧町1番1号", "933-0101", my_number=MY_NUMBER)
        )
        await bus.send(moved_in("500002", "保護 花子", "富山県高岡市秘匿町2番2号", "933-0102"))
        await bus.send(moved_in("500003", "承継 三郎", "富山県高岡市本町3番3号", "933-0103"))
        await wait_settled(stack, bus, lambda s: s["collection"]["addressees"] == 3, timeout=90)
        assert collection_copy(stack)["500001"][:2] == ("富山県高岡市旧町1番1号", "933-0101")

        # 転居 and 死亡, the 転居 sent twice (a duplicate is a no-op) and an older stale change after it.
        move = change(
            "500001",
            3,
            "moved_within",
            on="2026-06-01",
            address=address("富山県高岡市新町9番9号", "933-0109"),
        )
        await bus.send(move)
        await bus.send(move)
        await bus.send(
            change(
                "500001",
                2,
                "moved_within",
                on="2026-05-01",
                address=address("富山県高岡市中町5番5号", "933-0105"),
            )
        )
        await bus.send(change("500003", 2, "death", on="2026-06-03"))
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["address-sync"]["resident_changes"] == 6 and s["address-sync"]["messages_consumed"] >= 8
            ),
            timeout=90,
        )

    copy = collection_copy(stack)
    assert copy["500001"][:2] == ("富山県高岡市新町9番9号", "933-0109")  # the next 督促 goes here
    assert copy["500002"][:3] == ("", "", 1)  # 支援措置: never disclosed downstream
    assert copy["500003"][3] == "2026-06-03"  # death reaches collection (承継)


async def test_invalid_my_number_is_dead_lettered_with_a_reason(address_stack):
    stack = address_stack
    async with stack.bus() as bus:
        await bus.send(
            moved_in("500009", "誤番 号子", "富山県高岡市誤町9番9号", "933-0199", my_number="123456789010")
        )
        queue = f"address-sync.{msgs.RecordResidentChange.routing_key}"
        for _ in range(100):
            if await bus.queue_depth(bus.names.prefix + queue + ".dlq") == 1:
                break
            await asyncio.sleep(0.1)
        [dead] = await dlq.inspect(bus, queue)
    assert dead["type"] == msgs.RecordResidentChange.routing_key
    log = (stack.work / "logs" / "address-sync.log").read_text(encoding="utf-8")
    assert "fields.my_number: 個人番号 check digit mismatch" in log
    assert "123456789010" not in log
    with sqlite3.connect(stack.work / "data" / "address-sync.db") as db:
        assert db.execute("SELECT count(*) FROM addressees WHERE addressee_id = '500009'").fetchone() == (0,)


async def test_gateway_release_and_the_number_is_nowhere_else(address_stack):
    stack = address_stack
    url = stack.services["address-sync"].url + "/internal/individual-number"
    body = {"addressee_id": "500001", "purpose": "linkage_code_acquisition", "query_id": "e2e-q1"}
    gateway = {"Authorization": "Bearer " + stack.issuer.token("intermediate-server-gw", ["linkage_gateway"])}
    # The right identity without the permission: a gateway token carrying only a staff role.
    unprivileged = {"Authorization": "Bearer " + stack.issuer.token("intermediate-server-gw", ["auditor"])}
    # A number goes out only for an income query collection really asked for (issue 13 item 7).
    async with stack.bus() as bus:
        await bus.send(
            IncomeQueryRequested(
                query_id="e2e-q1",
                addressee_id="500001",
                affair="local_tax_assessment_collection",
                item="income",
                fiscal_year=2025,
                purpose="財産調査",
                staff_user="staff-e2e",
                requested_on=dt.date(2026, 7, 1),
            )
        )
    async with httpx.AsyncClient(timeout=10) as client:
        refused = await client.post(url, json=body, headers=unprivileged)
        for _ in range(100):  # until address-sync has noted the query from the bus
            released = await client.post(url, json=body, headers=gateway)
            if released.status_code != 409:
                break
            await asyncio.sleep(0.2)
        staff = await client.post(
            url, json=body, headers={"Authorization": "Bearer " + stack.issuer.token("staff-01", ["admin"])}
        )
    assert refused.status_code == 403
    assert released.status_code == 200 and released.json()["individual_number"] == MY_NUMBER
    assert (staff.status_code, staff.json()) == (403, {"error": "caller_not_allowed"})

    await asyncio.sleep(1.5)  # span batches flush every 0.5 s
    data = stack.work / "data"
    for path in data.glob("*.db*"):
        assert MY_NUMBER.encode() not in path.read_bytes(), path.name
    for path in (stack.work / "logs").glob("*.log"):
        assert MY_NUMBER not in path.read_text(encoding="utf-8", errors="replace"), path.name
    exported = json.dumps([s.__dict__ for s in stack.sink.snapshot()], ensure_ascii=False, default=str)
    assert MY_NUMBER not in exported
    with sqlite3.connect(data / "address-sync.db") as db:
        query = "SELECT outcome FROM audit_log WHERE operation = 'my-number.release' ORDER BY id"
        outcomes = [r[0] for r in db.execute(query)]
    assert [o for o in outcomes if o != "no_pending_query"] == ["released", "caller_not_allowed"]
