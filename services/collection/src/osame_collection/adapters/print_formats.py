"""Print-vendor data file (CSV) and a rendered PDF sample of 督促状 / 催告書.

CSV (UTF-8, header row, CRLF line ends, RFC 4180 quoting), one row per letter line; letter-level
columns repeat on each of its lines and ``letter_id`` groups them (one letter = one addressee):

letter_id, letter_kind (demand_notice|reminder), addressee_id, issued_on, recipient, postal_code,
address, via_override (1 = 送付先), earliest_seizure_on, line_no, notice_number, installment_no,
tax_item, fiscal_year, due_date, principal_tax_due, late_fee, demand_fee, letter_total,
designated_deadline (指定期限, ``domain.legal_documents``), issued_on_wareki,
designated_deadline_wareki (和暦, ``osame_law.wareki``), el_number (the line's eL番号 as printed,
``osame_law.payment_slip``; empty without the city's 収納機関番号 or when the 通知書番号 is not digits),
late_fee_segments (how the line's 延滞金 was computed, as stored when the letter was issued:
"期間 日数 × 基礎額 × 割合 = 金額" per segment, " / " between them; issue #12 B5).

The PDF embeds a Japanese TrueType font (IPAex Gothic by default, IPA Font License: embedding
allowed; Debian ``fonts-ipaexfont-gothic``, the same file refunds' notices embed; setting
``OSAME_LETTER_FONT``): a letter never depends on the reader's fonts, and without the font it is
refused, never printed with a substitute. Each letter prints its 和暦 dates, 指定期限, the 教示 of
a 督促状, and a 納付書 section with each line's eL番号.

Letters with a ``hold_reason`` (支援措置, deceased, no address) are not in the vendor file; they
are counted and listed by id for staff.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from osame_law.payment_slip import el_number
from osame_law.wareki import wareki_or_western
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from osame_collection.domain.late_fee_explained import ROUNDING_BASIS, printed
from osame_collection.domain.legal_documents import (
    BODY,
    TITLES,
    designated_deadline,
    instructions,
    seizure_record_lines,
    stay_notice_lines,
)
from osame_collection.domain.letters import Letter, LetterLine

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
    "designated_deadline",
    "issued_on_wareki",
    "designated_deadline_wareki",
    "el_number",
    "late_fee_segments",
]
TAX_ITEMS = {
    "resident_tax": "個人住民税",
    "fixed_asset_tax": "固定資産税",
    "light_vehicle_tax": "軽自動車税",
    "health_insurance_tax": "国民健康保険税",
    "corporate_resident_tax": "法人市民税",
}
DEFAULT_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")


@dataclass(frozen=True)
class LetterSetup:
    """What the city prints: its name, its 収納機関番号 (None: no eL番号), the font file."""

    city: str
    agency_code: str | None = None
    font: Path = DEFAULT_FONT


class LetterFontMissing(RuntimeError):
    """The letter font is not installed (the message names the path and the package)."""


def _register(font: Path) -> str:
    if not font.is_file():
        raise LetterFontMissing(
            f"letter font {font} not found: install Debian's fonts-ipaexfont-gothic or set OSAME_LETTER_FONT"
        )
    name = f"OsameLetter-{hashlib.sha1(str(font.resolve()).encode()).hexdigest()[:8]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font)))
    return name


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _wareki(day: date | None) -> str:
    return wareki_or_western(day) if day else ""


def _el(line: LetterLine, agency_code: str | None) -> str:
    number = el_number(agency_code, line.notice_number, line.installment_no) if agency_code else None
    return number.printed() if number else ""


def vendor_csv(letters: list[Letter], agency_code: str | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for letter in letters:
        if letter.hold_reason:
            continue
        deadline = designated_deadline(
            letter.kind, letter.issued_on, letter.earliest_seizure_on, letter.reminder_deadline_days
        )
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
                    _iso(letter.earliest_seizure_on),
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
                    _iso(deadline),
                    _wareki(letter.issued_on),
                    _wareki(deadline),
                    _el(line, agency_code),
                    " / ".join(printed(seg, _wareki) for seg in line.late_fee_segments),
                ]
            )
    return out.getvalue()


def sample_pdf(letters: list[Letter], setup: LetterSetup, limit: int = 3) -> bytes:
    """A rendered sample (first ``limit`` printable letters) for proofing, the font embedded."""
    font = _register(setup.font)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle("sample")
    printable = [x for x in letters if not x.hold_reason][:limit]
    for letter in printable:
        _letter_page(pdf, font, letter, setup)
    if not printable:
        pdf.setFont(font, 12)
        pdf.drawString(20 * mm, A4[1] - 30 * mm, "印刷対象の文書はありません。")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    parts, current = [], ""
    for char in text:
        if current and pdfmetrics.stringWidth(current + char, font, size) > width:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current]


def _letter_page(pdf: canvas.Canvas, font: str, letter: Letter, setup: LetterSetup) -> None:
    width, height = A4
    deadline = designated_deadline(
        letter.kind, letter.issued_on, letter.earliest_seizure_on, letter.reminder_deadline_days
    )
    y = height - 25 * mm
    pdf.setFont(font, 10)
    pdf.drawString(20 * mm, y, f"〒{letter.postal_code}")
    pdf.drawString(20 * mm, y - 6 * mm, letter.address)
    pdf.setFont(font, 13)
    pdf.drawString(20 * mm, y - 14 * mm, f"{letter.recipient} 様")
    pdf.setFont(font, 9)
    pdf.drawString(20 * mm, y - 20 * mm, f"宛名番号 {letter.addressee_id}")
    pdf.drawRightString(width - 20 * mm, y, f"発付日 {_wareki(letter.issued_on)}")
    pdf.drawRightString(width - 20 * mm, y - 6 * mm, f"{setup.city}長")
    pdf.setFont(font, 18)
    pdf.drawCentredString(width / 2, y - 36 * mm, TITLES.get(letter.kind, letter.kind))
    y -= 48 * mm
    pdf.setFont(font, 10)
    for text in BODY.get(letter.kind, ()):
        for part in _wrap(text, font, 10, width - 40 * mm):
            pdf.drawString(20 * mm, y, part)
            y -= 5.5 * mm
    if deadline:
        pdf.setFont(font, 11)
        pdf.drawString(20 * mm, y - 2 * mm, f"指定期限 {_wareki(deadline)}")
        y -= 9 * mm
    headers = ["通知書番号", "期別", "税目", "年度", "納期限", "本税", "延滞金", "督促手数料"]
    xs = [20, 55, 68, 98, 112, 142, 162, 180]
    pdf.setFont(font, 8)
    for x, h in zip(xs, headers, strict=True):
        pdf.drawString(x * mm, y, h)
    for line in letter.lines[:20]:
        y -= 5.5 * mm
        if y < 95 * mm:
            break  # the rest is in the vendor file; the sample keeps room for the 教示 and 納付書
        values = [
            line.notice_number,
            str(line.installment_no),
            TAX_ITEMS.get(line.tax_item, line.tax_item),
            str(line.fiscal_year),
            _wareki(line.due_date),
            f"{line.principal_tax_due:,}",
            f"{line.late_fee:,}",
            f"{line.demand_fee:,}",
        ]
        for x, v in zip(xs, values, strict=True):
            pdf.drawString(x * mm, y, v)
        # 延滞金の計算明細 (B5): one short row per segment under the line
        pdf.setFont(font, 7)
        for seg in line.late_fee_segments[:6]:
            y -= 4 * mm
            pdf.drawString(24 * mm, y, f"延滞金明細 {printed(seg, _wareki)}")
        pdf.setFont(font, 8)
    pdf.setFont(font, 10)
    y -= 9 * mm
    pdf.drawRightString(width - 20 * mm, y, f"合計 {letter.total:,} 円")
    if any(line.late_fee_segments for line in letter.lines):
        y -= 5 * mm
        pdf.setFont(font, 7)
        pdf.drawString(20 * mm, y, f"延滞金明細の{ROUNDING_BASIS}")
    y -= 8 * mm
    pdf.setFont(font, 8)
    for text in instructions(letter.kind, setup.city):
        for part in _wrap(text, font, 8, width - 40 * mm):
            pdf.drawString(20 * mm, y, part)
            y -= 4.5 * mm
    # 納付書 (the vendor prints the slip itself; its data here for proofing)
    y = min(y - 4 * mm, 75 * mm)
    pdf.setDash(2, 2)
    pdf.line(15 * mm, y, width - 15 * mm, y)
    pdf.setDash()
    pdf.setFont(font, 10)
    pdf.drawString(20 * mm, y - 7 * mm, f"納付書　納付期限 {_wareki(deadline or letter.issued_on)}")
    pdf.setFont(font, 8)
    row = y - 13 * mm
    for line in letter.lines[:6]:
        amount = line.principal_tax_due + line.late_fee + line.demand_fee
        el = _el(line, setup.agency_code) or "（eL番号なし）"
        pdf.drawString(
            20 * mm, row, f"{line.notice_number} 第{line.installment_no}期  {amount:,}円  eL番号 {el}"
        )
        row -= 5 * mm
    pdf.showPage()


def _document_pdf(title: str, lines: list[tuple[int, str]], setup: LetterSetup) -> bytes:
    """One document of (size, text) lines, wrapped at the margins, the font embedded."""
    font = _register(setup.font)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(title)
    width, height = A4
    y = height - 20 * mm
    for size, text in lines:
        for part in _wrap(text, font, size, width - 40 * mm):
            if y < 20 * mm:
                pdf.showPage()
                y = height - 20 * mm
            pdf.setFont(font, size)
            pdf.drawString(20 * mm, y, part)
            y -= 5.5 * mm * size / 10
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def seizure_record_pdf(record: dict, items: list[dict], setup: LetterSetup) -> bytes:
    """差押調書 (謄本): ``domain.legal_documents.seizure_record_lines`` laid out."""
    named = [{**i, "tax_item_text": TAX_ITEMS.get(i["tax_item"], i["tax_item"])} for i in items]
    lines = seizure_record_lines(record, named, _wareki)
    return _document_pdf("差押調書", [*lines, (10, f"{setup.city}長")], setup)


def stay_notice_pdf(stay: dict, extinguished_on: date | None, setup: LetterSetup) -> bytes:
    """執行停止通知書: ``domain.legal_documents.stay_notice_lines`` laid out."""
    return _document_pdf(
        "執行停止通知書", stay_notice_lines(stay, extinguished_on, _wareki, setup.city), setup
    )
