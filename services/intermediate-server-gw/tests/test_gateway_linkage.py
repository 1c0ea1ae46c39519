"""The lawful path through a real simulator and a real HTTP peer playing address-sync.

Covers: permitted query answered with every step recorded; 符号 obtained once; refusals by our
list, by the network and by address-sync; retries and the circuit breaker under injected
faults; idempotency and late answers; 個人番号 absent from the database, logs and events.
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import pytest
from osame_contracts.messages import gateway
from osame_gateway.adapters import orm
from osame_gateway.adapters.network import Certificate, IncomeAnswer
from osame_gateway.service_layer import processing

from .conftest import income_request as request
from .conftest import receive

AFFAIR = "local_tax_assessment_collection"
NUMBERS = {"100009": "123456789018", "100010": "987654321093"}  # as served by the address-sync peer


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    """Publish IncomeQueryAnswered as if the lead had wired collection's consumer (wiring switch only)."""
    monkeypatch.setattr(processing, "answers_are_wired", lambda: True)


async def steps(svc, query_id="q-1"):
    return [
        (r["step"], r["outcome"], r["reason"])
        for r in await svc.rows(orm.query_records)
        if r["query_id"] == query_id
    ]


async def fault(simulator, spec, count=1, path="/"):
    async with httpx.AsyncClient() as c:
        await c.post(f"{simulator.url}/admin/faults", json={"fault": spec, "count": count, "path": path})


async def sim_stats(simulator) -> dict:
    async with httpx.AsyncClient() as c:
        return (await c.get(f"{simulator.url}/admin/stats")).json()


async def test_full_lawful_path_records_every_step_and_publishes_the_answer(make_linked_service, simulator):
    svc = await make_linked_service()
    await receive(svc, request())
    assert await svc.processor.run_once() == 1

    query = await svc.one(orm.income_queries)
    assert query["status"] == "answered" and query["answer"]["total_income"] > 0
    assert await steps(svc) == [
        ("request", "accepted", None),
        ("linkage_code", "obtained", None),
        ("certificate", "issued", None),
        ("answer", "answered", None),
    ]
    records = await svc.rows(orm.query_records)
    code = (await svc.one(orm.linkage_codes))["linkage_code"]
    assert [r["linkage_code"] for r in records] == [None, code, code, code]
    assert records[-1]["certificate_id"] == query["certificate_id"]
    [(key, body)] = await svc.events()
    assert key == gateway.IncomeQueryAnswered.routing_key
    assert body["query_id"] == "q-1" and body["income"] == query["answer"]
    assert body["certificate_id"] == query["certificate_id"]


async def test_linkage_code_is_obtained_once_per_addressee(make_linked_service, simulator, address_sync):
    svc = await make_linked_service()
    for i in range(3):
        await receive(svc, request(f"q-{i}", year=2023 + i))
    await svc.processor.run_once()
    assert await svc.count(orm.linkage_codes) == 1
    assert address_sync.calls == ["100009"]
    assert (await sim_stats(simulator))["linkage codes issued"] == 1
    assert sorted(e[1]["fiscal_year"] for e in await svc.events()) == [2023, 2024, 2025]


async def test_unlisted_query_is_refused_and_recorded_without_touching_the_network(
    make_linked_service, simulator, address_sync
):
    svc = await make_linked_service()
    await receive(svc, request(item="income", affair="welfare_benefits"))
    assert await svc.processor.run_once() == 0
    assert await steps(svc) == [("refusal", "refused", "not_on_permitted_query_list")]
    assert address_sync.calls == []
    assert await sim_stats(simulator) == {}
    [(key, body)] = await svc.events()
    assert (key, body["reason"]) == (gateway.IncomeQueryRefused.routing_key, "not_on_permitted_query_list")


@pytest.mark.parametrize(
    ("addressee_id", "setup", "reason"),
    [
        pytest.param("100077", None, "unknown_addressee", id="address-sync-unknown"),
        pytest.param("100404", None, "no_individual_number", id="no-individual-number"),
        pytest.param("100009", "not_permitted", "not_permitted_by_network", id="network-refuses-certificate"),
    ],
)
async def test_refusals_after_acceptance(make_linked_service, simulator, addressee_id, setup, reason):
    svc = await make_linked_service()
    if setup == "not_permitted":
        async with httpx.AsyncClient() as c:
            await c.put(f"{simulator.url}/admin/permitted", json=[])
    await receive(svc, request(addressee_id=addressee_id))
    await svc.processor.run_once()
    assert (await svc.one(orm.income_queries))["status"] == "refused"
    assert (await steps(svc))[-1] == ("refusal", "refused", reason)
    [(key, body)] = await svc.events()
    assert (key, body["reason"]) == (gateway.IncomeQueryRefused.routing_key, reason)


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        pytest.param("error=503", "/income-queries", id="5xx"),
        pytest.param("malformed", "/income-queries", id="malformed"),
        pytest.param("error=502", "/linkage-codes", id="5xx-linkage-code"),
        pytest.param("latency=800", "/certificates", id="slow-certificate-timeout"),
    ],
)
async def test_transient_faults_are_retried_within_the_pass(make_linked_service, simulator, spec, path):
    svc = await make_linked_service()
    await fault(simulator, spec, count=2, path=path)
    await receive(svc, request())
    await svc.processor.run_once()
    assert (await svc.one(orm.income_queries))["status"] == "answered"
    assert svc.processor.network.caller.tries == 3 + 2  # three steps, two of them repeated
    assert len(await svc.events()) == 1


async def test_refusal_is_not_retried(make_linked_service, simulator):
    svc = await make_linked_service()
    async with httpx.AsyncClient() as c:
        await c.put(f"{simulator.url}/admin/permitted", json=[])
    await receive(svc, request())
    await svc.processor.run_once()
    assert svc.processor.network.caller.tries == 2  # 符号 + one certificate request, no retry of a 403


async def test_timeout_then_late_answer_is_reconciled_not_duplicated(make_linked_service, simulator):
    """The network produces the answer but holds the response past our timeout; the retry gets it once."""
    svc = await make_linked_service()
    await fault(simulator, "timeout", count=1, path="/income-queries")
    await receive(svc, request())
    await svc.processor.run_once()
    assert (await svc.one(orm.income_queries))["status"] == "answered"
    stats = await sim_stats(simulator)
    assert stats["income answers produced"] == 1 and stats["income queries repeated"] == 1
    assert len(await svc.events()) == 1

    # the same answer arriving again later (another pass, a redelivered request) changes nothing
    query = await svc.one(orm.income_queries)
    await svc.processor._answer(
        query,
        Certificate(query["certificate_id"], "x", dt.datetime.now(dt.UTC)),
        IncomeAnswer("x", 2025, query["answer"]),
    )
    assert svc.processor.late_answers == 1
    assert len(await svc.events()) == 1
    assert [s for s in await steps(svc) if s[0] == "answer"] == [("answer", "answered", None)]


async def test_redelivered_request_with_a_new_message_id_is_not_answered_twice(
    make_linked_service, simulator
):
    svc = await make_linked_service()
    await receive(svc, request())
    await svc.processor.run_once()
    await receive(svc, request())
    assert await svc.processor.run_once() == 0
    assert len(await svc.events()) == 1
    assert await svc.count(orm.income_queries) == 1


async def test_circuit_breaker_fails_fast_while_down_and_recovers(make_linked_service, simulator):
    svc = await make_linked_service(
        breaker_failure_threshold=3, breaker_reset_seconds=0.3, network_retry_attempts=2
    )
    # The breaker's own clock, moved by the test: on a loaded machine the real 0.3 s would pass
    # while the queries are still failing, and the circuit would half-open before it is checked.
    now = [0.0]
    svc.processor.network.caller.breaker.clock = lambda: now[0]
    await receive(svc, request("q-1"))
    await svc.processor.run_once()  # obtains 符号 etc. while up
    await simulator.stop()  # the network goes down
    for i in range(2, 6):
        await receive(svc, request(f"q-{i}", year=2020 + i))
    await svc.processor.run_once()
    breaker = svc.processor.network.caller.breaker
    tries_while_down = svc.processor.network.caller.tries
    assert breaker.state == "open"
    assert breaker.rejected >= 1  # later queries failed fast without an HTTP attempt
    await svc.processor.run_once()
    assert svc.processor.network.caller.tries == tries_while_down  # still open: no HTTP at all
    pending = [q for q in await svc.rows(orm.income_queries) if q["status"] == "pending"]
    assert len(pending) == 4 and all(q["last_error"] for q in pending)

    await simulator.start()  # back up; after reset_seconds one trial call closes the circuit
    now[0] += 0.35
    while await svc.processor.run_once():
        pass
    assert breaker.state == "closed"
    assert {q["status"] for q in await svc.rows(orm.income_queries)} == {"answered"}
    assert len(await svc.events()) == 5


async def test_network_down_past_the_deadline_refuses(make_linked_service, simulator):
    svc = await make_linked_service(query_deadline_seconds=0.0, network_retry_attempts=1)
    await simulator.stop()
    await receive(svc, request())
    await svc.processor.run_once()
    assert (await steps(svc))[-1] == ("refusal", "refused", "linkage_unavailable")
    await simulator.start()


async def test_individual_number_never_stored_logged_or_published(
    make_linked_service, simulator, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    svc = await make_linked_service()
    await fault(simulator, "error=503", count=1, path="/linkage-codes")
    for i, addressee in enumerate(NUMBERS):
        await receive(svc, request(f"q-{i}", addressee_id=addressee))
    await svc.processor.run_once()
    assert {q["status"] for q in await svc.rows(orm.income_queries)} == {"answered"}
    events = repr(await svc.events())
    assert "100010" in events  # the events were read
    await svc.close()

    raw = b"".join(p.read_bytes() for p in tmp_path.glob("gw-linked-0.db*"))
    assert b"100010" in raw  # the database was read
    for number in NUMBERS.values():
        assert number.encode() not in raw
        assert number not in caplog.text
        assert number not in events
