"""督促状 / 催告書 as legal documents (issue #12 capabilities): 指定期限 (法331①一 for a 督促状; two
weeks moved past closed days for a 催告書), 教示 on the 督促状 (行審法82, 行訴法46), 和暦 dates,
the 納付書's eL番号 per line, and a PDF that embeds its Japanese font."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from osame_collection.domain import legal_documents as docs
from osame_collection.service_layer import handlers

from .test_collection_cases_http import A, issuer, seed  # noqa: F401 (fixture)
from .test_collection_nightly import assessment
from .test_collection_worklists import staff_client

D = dt.date
ROLES = {"collection_staff": ["collection:*"]}


@pytest.mark.parametrize(
    ("kind", "issued_on", "earliest_seizure_on", "deadline"),
    [
        ("demand_notice", D(2026, 7, 15), D(2026, 7, 26), D(2026, 7, 25)),  # 10 days have passed
        ("demand_notice", D(2026, 7, 15), None, None),  # held: no 指定期限 until served
        ("reminder", D(2026, 9, 1), None, D(2026, 9, 15)),
        ("reminder", D(2026, 9, 7), None, D(2026, 9, 24)),  # 9/21 敬老の日, 9/22 休日, 9/23 秋分の日
        ("reminder", D(2026, 12, 20), None, D(2027, 1, 4)),  # 1/3 年末年始 (法20条の5②)
        ("reminder", D(2026, 4, 22), None, D(2026, 5, 7)),  # 5/6 振替休日
    ],
)
def test_designated_deadline(kind, issued_on, earliest_seizure_on, deadline):
    assert docs.designated_deadline(kind, issued_on, earliest_seizure_on) == deadline


def test_instructions_only_on_the_demand_notice():
    text = "".join(docs.instructions("demand_notice", "高岡市"))
    for needed in (
        "審査請求",
        "3か月以内",
        "高岡市長",
        "第19条の4",
        "第19条の12",
        "6か月以内",
        "高岡市を被告",
    ):
        assert needed in text
    assert "{city}" not in text
    assert docs.instructions("reminder", "高岡市") == ()  # a 催告 is not a 処分


@pytest.fixture
async def client(service, issuer):  # noqa: F811
    service.runtime.settings.agency_code = "16202"
    async with staff_client(service, issuer, ROLES, D(2026, 12, 31)) as c:
        yield c


async def test_letters_csv_and_pdf_carry_the_legal_parts(service, client):
    await seed(service)
    await service.handle(
        handlers.project_assessment, assessment("2026000123", [(1, 50_000, D(2026, 6, 30), 0)], addressee=A)
    )
    run = (await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})).json()["result"]
    rows = list(
        csv.DictReader(io.StringIO((await client.get(f"/batches/{run['batch_id']}/letters.csv")).text))
    )
    by_notice = {r["notice_number"]: r for r in rows}
    digits = by_notice["2026000123"]
    assert (digits["designated_deadline"], digits["designated_deadline_wareki"]) == (
        "2026-07-25",
        "令和8年7月25日",
    )
    assert digits["issued_on_wareki"] == "令和8年7月15日"
    agency, number, confirmation, klass = digits["el_number"].split("-")
    assert (agency, number, klass) == ("16202", "2026000123", "001") and len(confirmation) == 4
    assert by_notice["R8-100"]["el_number"] == ""  # not a 納付番号: no eL番号, the letter still goes
    pdf = (await client.get(f"/batches/{run['batch_id']}/sample.pdf")).content
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf  # the TrueType font is embedded
    assert b"HeiseiMin" not in pdf


async def test_a_missing_font_is_refused_not_substituted(service, client, issuer):  # noqa: F811
    await seed(service)
    run = (await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})).json()["result"]
    service.runtime.settings.letter_font = Path("/nonexistent/font.ttf")
    async with staff_client(service, issuer, ROLES, D(2026, 12, 31)) as other:
        refused = await other.get(f"/batches/{run['batch_id']}/sample.pdf")
    assert (refused.status_code, refused.json()["error"]) == (503, "letter_font_missing")
