"""Issue 13 items 6 and 5 at the gateway.

- A query with an impossible 年度 (1999, 10^15) is refused at once with a reason (a final
  state, a refusal event), never stored half or looped on.
- Every pending query reaches a final state: past its deadline it is refused even when nothing
  failed, when another worker leased it and died, or when a pass fails unexpectedly.
- After the 個人番号 behind a 宛名番号 changes (A → B), address-sync's IndividualNumberChanged
  drops the 符号; the next query obtains B's 符号 and B's income, never A's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import address_sync
from osame_gateway.adapters import orm
from osame_gateway.domain.query_bounds import fiscal_year_of, fiscal_year_refusal
from osame_gateway.service_layer import handlers, processing

from .conftest import NUMBERS, receive
from .conftest import income_request as request


@pytest.fixture(autouse=True)
def wired(monkeypatch):
    monkeypatch.setattr(processing, "answers_are_wired", lambda: True)


@pytest.mark.parametrize(
    ("year", "on", "reason"),
    [
        pytest.param(2026, dt.date(2026, 12, 7), None, id="current"),
        pytest.param(2025, dt.date(2026, 3, 31), None, id="current-before-april"),
        pytest.param(2026, dt.date(2026, 3, 31), "invalid_fiscal_year", id="next-before-april"),
        pytest.param(2019, dt.date(2026, 12, 7), None, id="seven-back"),
        pytest.param(2018, dt.date(2026, 12, 7), "invalid_fiscal_year", id="eight-back"),
        pytest.param(1999, dt.date(2026, 12, 7), "invalid_fiscal_year", id="1999"),
        pytest.param(10**15, dt.date(2026, 12, 7), "invalid_fiscal_year", id="huge"),
        pytest.param(-1, dt.date(2026, 12, 7), "invalid_fiscal_year", id="negative"),
    ],
)
def test_fiscal_year_bounds(year, on, reason):
    assert fiscal_year_refusal(year, on) == reason


def test_fiscal_year_of():
    assert (fiscal_year_of(dt.date(2026, 3, 31)), fiscal_year_of(dt.date(2026, 4, 1))) == (2025, 2026)


@pytest.mark.parametrize(("year", "stored"), [(1999, 1999), (10**15, None)])
async def test_an_impossible_fiscal_year_is_refused_at_once(make_linked_service, address_sync, year, stored):
    svc = await make_linked_service()
    await receive(svc, request(year=year))
    query = await svc.one(orm.income_queries)
    assert (query["status"], query["reason"], query["fiscal_year"]) == (
        "refused",
        "invalid_fiscal_year",
        stored,
    )
    assert [(k, b["reason"]) for k, b in await svc.events()] == [
        ("intermediate-server-gw.income-query.refused.v1", "invalid_fiscal_year")
    ]
    assert await svc.processor.run_once() == 0
    assert address_sync.calls == []  # no 個人番号 was asked for


async def test_a_pending_query_is_refused_when_its_deadline_passes_even_if_nothing_failed(
    make_linked_service,
):
    svc = await make_linked_service(query_deadline_seconds=60)
    await receive(svc, request())
    svc.processor.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert await svc.processor.run_once() == 0
    query = await svc.one(orm.income_queries)
    assert (query["status"], query["reason"]) == ("refused", "linkage_unavailable")
    assert (await svc.events())[-1][1]["reason"] == "linkage_unavailable"


async def test_a_query_leased_by_a_worker_that_died_still_reaches_a_final_state(make_linked_service):
    from osame_gateway.adapters.repository import GatewayRepository

    svc = await make_linked_service(query_deadline_seconds=60)
    await receive(svc, request())
    now = dt.datetime.now(dt.UTC)
    async with svc.runtime.unit_of_work() as uow:
        assert await GatewayRepository(uow.session).lease("q-1", now, now + dt.timedelta(days=1))
        await uow.commit()
    svc.processor.clock = lambda: now + dt.timedelta(minutes=5)
    await svc.processor.run_once()
    assert (await svc.one(orm.income_queries))["status"] == "refused"


async def test_an_unexpected_failure_is_retried_then_refused_at_the_deadline(
    make_linked_service, monkeypatch
):
    svc = await make_linked_service(query_deadline_seconds=60)
    await receive(svc, request())

    async def broken(*_):
        raise RuntimeError("bug")

    monkeypatch.setattr(svc.processor.network, "obtain_linkage_code", broken)
    assert await svc.processor.run_once() == 1  # no exception escapes the pass
    query = await svc.one(orm.income_queries)
    assert (query["status"], query["last_error"], query["attempts"]) == ("pending", "error:RuntimeError", 1)
    svc.processor.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    await svc.processor.run_once()
    assert (await svc.one(orm.income_queries))["status"] == "refused"


async def test_a_corrected_individual_number_invalidates_the_linkage_code(make_linked_service, monkeypatch):
    svc = await make_linked_service()
    await receive(svc, request("q-1"))
    await svc.processor.run_once()
    first = await svc.one(orm.linkage_codes)
    [answered_a] = [q for q in await svc.rows(orm.income_queries) if q["query_id"] == "q-1"]

    # 住基 corrects the number of 100009 from A to 100010's (B); address-sync says so on the bus
    monkeypatch.setitem(NUMBERS, "100009", NUMBERS["100010"])
    changed = address_sync.IndividualNumberChanged(
        addressee_id="100009", reason="corrected", changed_on=dt.date(2026, 12, 7)
    )
    await svc.handle(handlers.invalidate_linkage_code, changed)
    assert await svc.rows(orm.linkage_codes) == []

    await receive(svc, request("q-2"))
    await svc.processor.run_once()
    second = await svc.one(orm.linkage_codes)
    assert second["linkage_code"] != first["linkage_code"]
    answers = {q["query_id"]: q["answer"] for q in await svc.rows(orm.income_queries)}
    assert answers["q-2"] != answered_a["answer"]  # B's figures, not A's

    # the reference: what B's own 宛名番号 gets is the same 符号 and the same figures
    await receive(svc, request("q-3", addressee_id="100010"))
    await svc.processor.run_once()
    codes = {r["addressee_id"]: r["linkage_code"] for r in await svc.rows(orm.linkage_codes)}
    assert codes["100009"] == codes["100010"]
    answers = {q["query_id"]: q["answer"] for q in await svc.rows(orm.income_queries)}
    assert answers["q-2"] == answers["q-3"]
