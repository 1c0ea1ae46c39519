"""End to end (issue 18): an HTTP file import is the root span of one trace that reaches
collection through the events it causes, and HTTP spans name routes by template, not by path."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import httpx
import pytest
from osame_cli.settle import wait_settled
from osame_contracts.messages import taxation
from osame_receipts.adapters import cvs

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
D = dt.date
NOTICE = "880018001"
ADDRESSEE = "990018"
SERVER = 2  # SpanKind.SERVER in OTLP


async def _spans_of_trace(sink, trace_id: str, wanted: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted in sink.services_in_trace(trace_id):
            break
        await asyncio.sleep(0.5)  # the services export in batches
    return [s for s in sink.snapshot() if s.trace_id == trace_id]


async def test_http_import_is_the_root_of_a_trace_that_reaches_collection(e2e):
    cashier = {"Authorization": f"Bearer {e2e.staff_token('cashier-1', ['receipts_staff'])}"}
    async with e2e.bus() as bus:  # each message from its own publisher (taxation, channels)
        await bus.send(
            taxation.AssessmentRegistered(
                addressee_id=ADDRESSEE,
                notice_number=NOTICE,
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.LIGHT_VEHICLE_TAX,
                revision=1,
                assessed_on=D(2026, 4, 1),
                installments=[
                    taxation.AssessedInstallment(
                        installment_no=1, principal_tax=10_800, due_date=D(2026, 6, 1)
                    )
                ],
                vehicle_plate="高岡 あ 18",
            )
        )
        await wait_settled(e2e, bus, lambda s: s["collection"].get("installments", 0) >= 1, timeout=90)
        code = cvs.build_barcode(
            company_code="912345",
            notice_number=NOTICE,
            installment_no=1,
            pay_by=D(2026, 6, 30),
            amount=10_800,
        )
        confirmed = cvs.agent_file(
            [("02", D(2026, 5, 28), code, 10_800, D(2026, 6, 10))], created_on=D(2026, 5, 29)
        )
        async with httpx.AsyncClient(
            base_url=e2e.services["receipts"].url, headers=cashier, timeout=30
        ) as api:
            response = await api.post("/api/imports/cvs?file=cvs-0529.csv", content=confirmed)
        assert response.status_code == 200, response.text
        await wait_settled(e2e, bus, lambda s: True)

    roots = [
        s
        for s in e2e.sink.snapshot()
        if s.service == "osame-receipts" and s.kind == SERVER and s.name == "POST /api/imports/{kind}"
    ]
    assert roots, "no SERVER span for the import"
    root = roots[-1]
    assert root.parent_span_id == "", "the HTTP import must be the root of its trace"
    assert root.attributes.get("http.route") == "/api/imports/{kind}"
    trace = await _spans_of_trace(e2e.sink, root.trace_id, "osame-collection")
    services = {s.service for s in trace}
    assert {"osame-receipts", "osame-collection"} <= services, services
    # Every span of the trace hangs under the import: one trace from the HTTP call to collection.
    by_id = {s.span_id: s for s in trace}
    for span in trace:
        hop = span
        while hop.parent_span_id:
            assert hop.parent_span_id in by_id, f"{span.service} {span.name}: parent outside the trace"
            hop = by_id[hop.parent_span_id]
        assert hop.span_id == root.span_id


async def test_http_spans_name_the_route_template_not_the_ids_in_the_path(e2e):
    staff = {"Authorization": f"Bearer {e2e.staff_token('collector-1', ['collection_staff'])}"}
    async with httpx.AsyncClient(base_url=e2e.services["collection"].url, headers=staff, timeout=30) as api:
        response = await api.get(f"/cases/{ADDRESSEE}")
    assert response.status_code in (200, 404), response.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = [s for s in e2e.sink.snapshot() if s.service == "osame-collection" and s.kind == SERVER]
        if any(s.name == "GET /cases/{addressee_id}" for s in spans):
            break
        await asyncio.sleep(0.5)  # the services export in batches
    assert any(s.name == "GET /cases/{addressee_id}" for s in spans), [s.name for s in spans]
    for span in spans:
        assert ADDRESSEE not in span.name
        assert not [k for k, v in span.attributes.items() if ADDRESSEE in str(v)], span.attributes
