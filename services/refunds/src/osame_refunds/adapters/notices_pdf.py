"""充当通知書 (法17条の2⑤) and 還付通知書 as PDF, with a Japanese TrueType font embedded.

reportlab (BSD) subsets and embeds the TrueType font, so the notice prints the same everywhere and
its text can be extracted (a CID font that is not embedded would depend on the reader's fonts).
The font is IPAex Gothic (IPA Font License v1.0, an OSI-approved licence that allows embedding and
redistribution), installed from Debian's `fonts-ipaexfont-gothic` by `.ci/run` and the Dockerfile;
`OSAME_NOTICE_FONT` points at another TrueType (.ttf) file. Without the font the notice is refused
with a clear error — never printed with a substitute.

The notice carries the 宛名番号 (the print vendor adds name and address, as for collection's
letters: refunds holds no 宛名 data) and, for each amount, its explanation: the 充当 items with
their 令6条の14 date and 充当適状日, and the 還付加算金 segments (from, to, days, rate, base, yen)
with the legal basis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

DEFAULT_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_NAME = "OsameNoticeGothic"
COMPONENT = {"principal_tax": "本税", "demand_fee": "督促手数料", "late_fee": "延滞金"}
CAUSE = {
    "reassessment": "減額更正等 (過納)",
    "correction_request": "更正の請求",
    "national_tax_change": "所得税の更正等",
    "erroneous_payment": "誤納",
}


class NoticeFontMissing(RuntimeError):
    """The notice font is not installed (the message names the path and the package)."""


def _register(font: Path) -> str:
    """The reportlab name of `font` (registered once per file); refused when the file is missing."""
    if not font.is_file():
        raise NoticeFontMissing(
            f"notice font {font} not found: install Debian's fonts-ipaexfont-gothic or set OSAME_NOTICE_FONT"
        )
    name = f"{FONT_NAME}-{hashlib.sha1(str(font.resolve()).encode()).hexdigest()[:8]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font)))
    return name


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _date(value) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.year}年{value.month}月{value.day}日"


class _Page:
    """A4 portrait, one column of text lines (new page when full)."""

    def __init__(self, title: str, font: str):
        self.font = font
        self.buffer = io.BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.pdf.setTitle(title)
        self.pdf.setAuthor("Osame refunds")
        self.y = A4[1] - 20 * mm

    def line(self, text: str, size: float = 10, indent: float = 0, gap: float = 5.5) -> None:
        """One line of text, wrapped at the right margin (legal bases are long)."""
        left = 20 * mm + indent * mm
        width = A4[0] - 20 * mm - left
        for part in self._wrap(text, size, width):
            if self.y < 20 * mm:
                self.pdf.showPage()
                self.y = A4[1] - 20 * mm
            self.pdf.setFont(self.font, size)
            self.pdf.drawString(left, self.y, part)
            self.y -= gap * mm * size / 10

    def _wrap(self, text: str, size: float, width: float) -> list[str]:
        parts, current = [], ""
        for char in text:
            if current and pdfmetrics.stringWidth(current + char, self.font, size) > width:
                parts.append(current)
                current = ""
            current += char
        return [*parts, current]

    def space(self, lines: float = 1) -> None:
        self.y -= 5 * mm * lines

    def done(self) -> bytes:
        self.pdf.showPage()
        self.pdf.save()
        return self.buffer.getvalue()


def _header(page: _Page, title: str, addressee_id: str, city: str, issued_on: dt.date) -> None:
    page.line(title, size=16, gap=6)
    page.line(f"発行日 {_date(issued_on)}    {city}", size=9)
    page.line(f"宛名番号 {addressee_id}", size=10)
    page.space()


def _overpayment(page: _Page, overpayment: dict) -> None:
    page.line("過誤納金", size=11)
    page.line(
        f"通知書番号 {overpayment['notice_number']} 第{overpayment['installment_no']}期  "
        f"{_yen(overpayment['amount'])}  原因 {CAUSE.get(overpayment['cause'], overpayment['cause'])}  "
        f"納付日 {_date(overpayment['paid_on'])}  過誤納の日 {_date(overpayment['arose_on'])}",
        size=9,
        indent=4,
    )
    page.space(0.5)


def _interest(page: _Page, parts: list[dict]) -> None:
    live = [p for p in parts if p["status"] in ("owed", "in_refund")]
    page.line(f"還付加算金 {_yen(sum(p['interest'] for p in live))}", size=11)
    for part in live:
        what = "充当した額" if part["kind"] == "appropriated" else "還付する額"
        page.line(
            f"{what} {_yen(part['base_amount'])}: {_date(part['start'])}から{_date(part['end'])}まで  "
            f"還付加算金 {_yen(part['interest'])}",
            size=9,
            indent=4,
        )
        for s in part["segments"]:
            relief = " (除算期間)" if s.get("relief") else ""
            page.line(
                f"{_date(s['from'])}〜{_date(s['to'])}  {s['days']}日  年{s['rate_percent']}%  "
                f"基礎 {_yen(s['base'])}  {_yen(s['yen'])}{relief}",
                size=8,
                indent=8,
            )
        page.line(f"根拠: {part['legal_basis']}", size=7, indent=8)
    if not live:
        page.line(
            "(計算の基礎となる額が2,000円未満又は期間がないため、還付加算金はありません)", size=8, indent=4
        )
    page.space(0.5)


def appropriation_notice(
    appropriation: dict, overpayment: dict, *, city: str, issued_on: dt.date, font: Path = DEFAULT_FONT
) -> bytes:
    """充当通知書 (法17条の2⑤): what the overpayment (and its 還付加算金) paid, effective on the 充当適状日."""
    page = _Page("充当通知書", _register(font))
    _header(page, "充当通知書", appropriation["addressee_id"], city, issued_on)
    page.line(
        "あなたの過誤納金を、地方税法第17条の2の規定により次のとおり未納の徴収金に充当しましたので通知します。",
        size=9,
    )
    page.space()
    _overpayment(page, overpayment)
    page.line(
        f"充当額 {_yen(appropriation['total'])}  充当適状日 {_date(appropriation['appropriable_on'])}",
        size=11,
    )
    for item in appropriation["items"]:
        page.line(
            f"通知書番号 {item['notice_number']} 第{item['installment_no']}期 "
            f"{COMPONENT.get(item['component'], item['component'])}  {_yen(item['amount'])}"
            + (f"  (納期限等 {_date(item['basis_date'])})" if item.get("basis_date") else ""),
            size=9,
            indent=4,
        )
    page.line(f"充当の順序: {appropriation['rule']}", size=7, indent=4)
    page.line(f"根拠: {appropriation['legal_basis']}", size=7, indent=4)
    page.space()
    _interest(page, appropriation["interest_parts"])
    return page.done()


def refund_notice(
    refund: dict, overpayment: dict, *, city: str, issued_on: dt.date, font: Path = DEFAULT_FONT
) -> bytes:
    """還付通知書: the refund (支出決定) with its 還付加算金 and the explanation of every part."""
    page = _Page("還付通知書", _register(font))
    _header(page, "還付通知書", refund["addressee_id"], city, issued_on)
    page.line("あなたの過誤納金を、次のとおり還付することに決定しましたので通知します。", size=9)
    page.space()
    _overpayment(page, overpayment)
    interest = refund["refund_interest"] or 0
    page.line(f"還付金額 {_yen(refund['amount'])}", size=11)
    page.line(f"支出決定日 {_date(refund['decided_on'])}", size=10)
    page.space(0.5)
    _interest(page, refund["interest_parts"])
    page.line(f"お支払いする額の合計 {_yen(refund['amount'] + interest)}", size=12)
    page.line("根拠: 地方税法第17条 (還付), 第17条の4 (還付加算金)", size=7)
    return page.done()
