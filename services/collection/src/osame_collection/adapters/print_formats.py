"""Print-vendor data file (CSV) and a rendered PDF sample of 督促状 / 催告書.

CSV (UTF-8, header row, CRLF line ends, RFC 4180 quoting), one row per letter line; letter-level
columns repeat on each of its lines and ``letter_id`` groups them (one letter = one addressee):

letter_id, letter_kind (demand_notice|reminder), addressee_id, issued_on, recipient, postal_code,
address, via_override (1 = 送付先), earliest_seizure_on, line_no, notice_number, installment_no,
tax_item, fiscal_year, due_date, principal_tax_due, late_fee, demand_fee, letter_total.

Letters with a ``hold_reason`` (支援措置, deceased, no address) are not in the vendor file; they
are counted and listed by id for staff.
"""

from __future__ import annotations

import csv
import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from osame_collection.domain.letters import Letter

COLUMNS = [
    "letter_id",
    "letter_kind",
    "addressee_id",
    "issued_on",
    "recipient",
    "postal_code",
    "address",
    "via_override",
    "earliest_seizure_on",
    "line_no",
    "notice_number",
    "installment_no",
    "tax_item",
    "fiscal_year",
    "due_date",
    "principal_tax_due",
    "late_fee",
    "demand_fee",
    "letter_total",
]
TITLES = {"demand_notice": "督 促 状", "reminder": "催 告 書"}
TAX_ITEMS = {
    "resident_tax": "個人住民税",
    "fixed_asset_tax": "固定資産税",
    "light_vehicle_tax": "軽自動車税",
    "health_insurance_tax": "国民健康保険税",
    "corporate_resident_tax": "法人市民税",
}
FONT = "HeiseiMin-W3"


def vendor_csv(letters: list[Letter]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for letter in letters:
        if letter.hold_reason:
            continue
        for n, line in enumerate(letter.lines, start=1):
            writer.writerow(
                [
                    letter.letter_id,
                    letter.kind,
                    letter.addressee_id,
                    letter.issued_on.isoformat(),
                    letter.recipient,
                    letter.postal_code,
                    letter.address,
                    int(letter.via_override),
                    letter.earliest_seizure_on.isoformat() if letter.earliest_seizure_on else "",
                    n,
                    line.notice_number,
                    line.installment_no,
                    line.tax_item,
                    line.fiscal_year,
                    line.due_date.isoformat(),
                    line.principal_tax_due,
                    line.late_fee,
                    line.demand_fee,
                    letter.total,
                ]
            )
    return out.getvalue()


def sample_pdf(letters: list[Letter], city: str, limit: int = 3) -> bytes:
    """A rendered sample (first ``limit`` printable letters, one page each) for proofing."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle("sample")
    width, height = A4
    printable = [x for x in letters if not x.hold_reason][:limit]
    for letter in printable:
        y = height - 25 * mm
        pdf.setFont(FONT, 10)
        pdf.drawString(20 * mm, y, f"〒{letter.postal_code}")
        pdf.drawString(20 * mm, y - 6 * mm, letter.address)
        pdf.setFont(FONT, 13)
        pdf.drawString(20 * mm, y - 14 * mm, f"{letter.recipient} 様")
        pdf.setFont(FONT, 9)
        pdf.drawString(20 * mm, y - 20 * mm, f"宛名番号 {letter.addressee_id}")
        pdf.drawRightString(width - 20 * mm, y, f"発付日 {letter.issued_on.isoformat()}")
        pdf.drawRightString(width - 20 * mm, y - 6 * mm, city)
        pdf.setFont(FONT, 18)
        pdf.drawCentredString(width / 2, y - 36 * mm, TITLES.get(letter.kind, letter.kind))
        pdf.setFont(FONT, 10)
        body = (
            "下記の市税が納期限までに納付されていません。至急納付してください。"
            if letter.kind == "demand_notice"
            else "下記の市税が未納です。納付がない場合は財産の差押え等の滞納処分を行うことがあります。"
        )
        pdf.drawString(20 * mm, y - 48 * mm, body)
        row_y = y - 60 * mm
        headers = ["通知書番号", "期別", "税目", "年度", "納期限", "本税", "延滞金", "督促手数料"]
        xs = [20, 55, 68, 98, 112, 138, 160, 180]
        for x, h in zip(xs, headers, strict=True):
            pdf.drawString(x * mm, row_y, h)
        for line in letter.lines[:25]:
            row_y -= 6 * mm
            values = [
                line.notice_number,
                str(line.installment_no),
                TAX_ITEMS.get(line.tax_item, line.tax_item),
                str(line.fiscal_year),
                line.due_date.isoformat(),
                f"{line.principal_tax_due:,}",
                f"{line.late_fee:,}",
                f"{line.demand_fee:,}",
            ]
            for x, v in zip(xs, values, strict=True):
                pdf.drawString(x * mm, row_y, v)
        pdf.drawRightString(width - 20 * mm, row_y - 10 * mm, f"合計 {letter.total:,} 円")
        if letter.earliest_seizure_on:
            pdf.drawString(
                20 * mm,
                row_y - 20 * mm,
                f"{letter.earliest_seizure_on.isoformat()} 以降、完納されない場合は差押えを行うことがあります。",
            )
        pdf.showPage()
    if not printable:
        pdf.setFont(FONT, 12)
        pdf.drawString(20 * mm, height - 30 * mm, "印刷対象の文書はありません。")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
