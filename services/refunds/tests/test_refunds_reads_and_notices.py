"""Read APIs (each amount with its explanation) and the two notices (PDF with an embedded Japanese
font, read back by text extraction)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from osame_refunds.adapters import orm
from pypdf import PdfReader

from .test_refunds_issue11 import A, appropriate_600_000_paid_in_2025

D = dt.date


@pytest.fixture
def staff_api(api):
    """The API with two refunds officers: clerk-1 prepares, chief-2 approves."""
    client, issuer = api
    return client, {
        user: {"Authorization": f"Bearer {issuer.token(user, ['refunds_staff'])}"}
        for user in ("clerk-1", "chief-2")
    }


async def appropriated_then_partly_refunded(service):
    """600,000 過納 paid 2025-04-30: 400,000 appropriated to a debt due 2026-03-31, the rest refunded."""
    return (await appropriate_600_000_paid_in_2025(service, 400_000))["appropriation_id"]


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    lines = "\n".join(page.extract_text() for page in reader.pages).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines)  # runs of spaces as one


def embedded_fonts(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if "/FontFile2" in descriptor:
                found.append(str(font["/BaseFont"]))
    return found


async def test_read_apis_show_each_amount_with_its_explanation(service, staff_api):
    client, staff = staff_api
    appropriation_id = await appropriated_then_partly_refunded(service)
    [overpayment] = client.get("/overpayments", params={"addressee_id": A}, headers=staff["clerk-1"]).json()
    assert (
        overpayment["amount"],
        overpayment["appropriated"],
        overpayment["refunded"],
        overpayment["held"],
    ) == (
        600_000,
        400_000,
        200_000,
        0,
    )
    [part] = overpayment["interest_parts"]
    assert (part["kind"], part["start"], part["end"], part["interest"]) == (
        "appropriated",
        "2025-05-01",
        "2026-03-31",
        3_600,
    )
    assert [s["days"] for s in part["segments"]] == [245, 90] and "17条の4" in part["legal_basis"]
    [applied] = client.get("/appropriations", params={"status": "applied"}, headers=staff["clerk-1"]).json()
    assert applied["appropriation_id"] == appropriation_id
    assert applied["items"] == [
        {
            "notice_number": "K9",
            "installment_no": 1,
            "component": "principal_tax",
            "amount": 400_000,
            "addressee_id": A,
            "basis_date": "2026-03-31",
        }
    ]
    assert "令6条の14" in applied["legal_basis"] and applied["interest_parts"][0]["interest"] == 3_600
    [to_prepare] = client.get("/refunds", params={"stage": "to_prepare"}, headers=staff["clerk-1"]).json()
    assert to_prepare["amount"] == 200_000
    assert [p["kind"] for p in to_prepare["interest_parts"]] == ["appropriated"]  # carried with the refund
    refund_id = to_prepare["refund_id"]
    assert client.post(f"/refunds/{refund_id}/prepare", headers=staff["clerk-1"]).status_code == 200
    [to_approve] = client.get("/refunds", params={"stage": "to_approve"}, headers=staff["chief-2"]).json()
    assert to_approve["prepared_by"] == "clerk-1"
    approved = client.post(f"/refunds/{refund_id}/approve", json={}, headers=staff["chief-2"]).json()
    assert approved["status"] == "approved"
    assert [line["kind"] for line in approved["lines"]] == ["appropriated", "refunded"]
    assert approved["refund_interest"] == sum(line["interest"] for line in approved["lines"])
    detail = client.get(f"/refunds/{refund_id}", headers=staff["clerk-1"]).json()
    assert detail["refund_interest"] == approved["refund_interest"] and detail["transfer_results"] == []
    assert client.get("/recovery-claims", headers=staff["clerk-1"]).json() == []
    assert client.get("/transfers/returned", headers=staff["clerk-1"]).json() == []
    assert client.get("/payouts", headers=staff["clerk-1"]).json() == []


async def test_notices_are_pdfs_with_an_embedded_japanese_font_and_their_explanations(service, staff_api):
    client, staff = staff_api
    appropriation_id = await appropriated_then_partly_refunded(service)
    pdf = client.get(f"/appropriations/{appropriation_id}/notice.pdf", headers=staff["clerk-1"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert embedded_fonts(pdf.content), "the Japanese font must be embedded"
    text = text_of(pdf.content)
    for expected in (
        "充当通知書",
        "宛名番号 200001",
        "充当額 400,000円",
        "充当適状日 2026年3月31日",
        "K9 第1期 本税 400,000円",
        "還付加算金 3,600円",
        "2025年5月1日〜2025年12月31日 245日 年0.9%",
        "2026年1月1日〜2026年3月31日 90日 年1.3%",
        "17条の2",
    ):
        assert expected in text, (expected, text)
    [refund] = await service.rows(orm.refunds)
    not_yet = client.get(f"/refunds/{refund['refund_id']}/notice.pdf", headers=staff["clerk-1"])
    assert not_yet.status_code == 404  # no 還付通知書 before the 支出決定
    client.post(f"/refunds/{refund['refund_id']}/prepare", headers=staff["clerk-1"])
    approved = client.post(
        f"/refunds/{refund['refund_id']}/approve", json={}, headers=staff["chief-2"]
    ).json()
    pdf = client.get(f"/refunds/{refund['refund_id']}/notice.pdf", headers=staff["clerk-1"])
    text = text_of(pdf.content)
    total = 200_000 + approved["refund_interest"]
    for expected in (
        "還付通知書",
        "還付金額 200,000円",
        "支出決定日 2026年4月10日",
        f"お支払いする額の合計 {total:,}円",
        "充当した額 400,000円",
        "還付する額 200,000円",
    ):
        assert expected in text, (expected, text)


async def test_a_missing_font_is_a_clear_error_never_a_substitute(service, staff_api, tmp_path):
    client, staff = staff_api
    appropriation_id = await appropriated_then_partly_refunded(service)
    service.spec.settings.notice_font = tmp_path / "nofont.ttf"
    response = client.get(f"/appropriations/{appropriation_id}/notice.pdf", headers=staff["clerk-1"])
    assert response.status_code == 503 and "fonts-ipaexfont-gothic" in response.json()["error"]
