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


def test_seizure_record_and_stay_notice_lines():
    record = {
        "addressee_id": A,
        "executed_on": D(2026, 10, 15),
        "property_type": "deposit",
        "amount": 50_000,
        "protected_amount": 130_000,
    }
    item = {
        "fiscal_year": 2026,
        "tax_item_text": "個人住民税",
        "installment_no": 1,
        "due_date": D(2026, 6, 30),
        "principal_tax_due": 120_000,
        "late_fee": 1_200,
    }
    text = "\n".join(t for _, t in docs.seizure_record_lines(record, [item], lambda d: d.isoformat()))
    for needed in (
        "差 押 調 書",
        "国税徴収法第54条",
        "預貯金債権",
        "50,000円",
        "差押禁止額",
        "130,000円",
        "第1期",
        "120,000円",
    ):
        assert needed in text
    stay = {
        "addressee_id": A,
        "decided_on": D(2026, 1, 10),
        "ground": "livelihood",
        "immediate_extinction": False,
    }
    notice = "\n".join(
        t for _, t in docs.stay_notice_lines(stay, D(2029, 1, 11), lambda d: d.isoformat(), "高岡市")
    )
    for needed in ("第15条の7第1項", "同条第2項", "第2号", "第15条の9第1項", "2029-01-11", "高岡市長"):
        assert needed in notice
    immediate = {**stay, "ground": "no_property", "immediate_extinction": True}
    text = "\n".join(t for _, t in docs.stay_notice_lines(immediate, D(2026, 1, 10), str, "高岡市"))
    assert "直ちに消滅" in text and "3年間" not in text


async def test_seizure_record_and_stay_notice_pdfs(service, client):
    from .test_collection_cases_http import SEIZURE

    await seed(service)
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    seized = await client.post(f"/cases/{A}/dispositions", json=SEIZURE)
    assert seized.status_code == 201, seized.text
    record = await client.get(f"/dispositions/{seized.json()['result']['disposition_id']}/record.pdf")
    assert (
        record.status_code == 200 and record.content.startswith(b"%PDF") and b"/FontFile2" in record.content
    )
    assert (await client.get("/dispositions/nope/record.pdf")).status_code == 404
    stay = await client.post(f"/cases/{A}/stays", json={"ground": "livelihood", "decided_on": "2026-11-01"})
    assert stay.status_code == 201, stay.text
    notice = await client.get(f"/stays/{stay.json()['result']}/notice.pdf")
    assert notice.status_code == 200 and notice.content.startswith(b"%PDF")
    release = {
        "kind": "release",
        "executed_on": "2026-11-02",
        "amount": 50_000,
        "related_id": seized.json()["result"]["disposition_id"],
    }
    released = await client.post(f"/cases/{A}/dispositions", json=release)
    not_seizure = await client.get(f"/dispositions/{released.json()['result']['disposition_id']}/record.pdf")
    assert (not_seizure.status_code, not_seizure.json()["error"]) == (422, "not_a_seizure")


def test_reminder_deadline_days_come_from_the_row_in_force():
    # a loaded reminder_deadline_days row (domain.law_parameters) replaces the 14 days; still moved
    # past closed days (法20条の5②): 9/1 + 21 = 9/22 (国民の休日) → 9/23 秋分の日 → 9/24
    assert docs.designated_deadline("reminder", D(2026, 9, 1), None, 21) == D(2026, 9, 24)
    assert docs.designated_deadline("reminder", D(2026, 9, 1), None) == D(2026, 9, 15)
