"""特別徴収 納入 files (docs/formats/special-collection.md §1–2): 納入書 OCR data and eLTAX payments.

- ``withholding-ocr``: one ``D`` row per 納入書 (one amount for one 義務者 and 徴収月, no
  per-employee detail); channel ``bank_counter``, key ``bank_code-branch_code-booked_on-seq``.
- ``withholding-eltax``: one ``D`` row per eLTAX payment, optionally followed by ``E`` rows
  listing each employee's amount (Σ ``E`` = the ``D`` row's ``salary_amount``); channel ``eltax``,
  key ``eltax_payment_id``.

Framing as the other normalized files: UTF-8, header row, trailer ``T,<count of D>,<Σ D amount>``.
A bad header, trailer, ``E`` row or listing sum refuses the whole file (file errors); a bad ``D``
row is a record error and its money is held (``rejected``). Errors name file, line and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from osame_zengin import banks

from osame_receipts.adapters.normalized import LineError, fill_from_trailer  # the normalized files' framing

PAYMENT_COLUMNS = [
    "designation_number",
    "fiscal_year",
    "month",
    "salary_amount",
    "retirement_amount",
    "late_fee",
    "amount",
    "headcount",
    "paid_on",
    "booked_on",
]
OCR_HEADER = ["record_type", "bank_code", "branch_code", "seq", *PAYMENT_COLUMNS]
ELTAX_HEADER = ["record_type", "eltax_payment_id", *PAYMENT_COLUMNS, "notice_number", "addressee_id"]
HEADERS = {"withholding-ocr": OCR_HEADER, "withholding-eltax": ELTAX_HEADER}
CHANNELS = {"withholding-ocr": "bank_counter", "withholding-eltax": "eltax"}
DESIGNATION = re.compile(r"^[0-9A-Za-z-]{1,20}$")
NOTICE = re.compile(r"^[0-9A-Za-z-]{1,20}$")
ADDRESSEE = re.compile(r"^[0-9]{1,15}$")
PAYMENT_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


@dataclass(frozen=True)
class ListedLine:
    """An ``E`` row: one employee's amount in the payment."""

    record_no: int
    notice_number: str
    addressee_id: str
    amount: int


@dataclass
class Payment:
    """One 納入 (a ``D`` row) as the 義務者 declared it."""

    record_no: int
    channel: str
    channel_key: str
    designation_number: str
    fiscal_year: int
    month: str  # 徴収月 YYYY-MM
    salary_amount: int
    retirement_amount: int
    late_fee: int
    amount: int
    headcount: int | None
    paid_on: dt.date
    booked_on: dt.date
    listing: list[ListedLine] = field(default_factory=list)


@dataclass(frozen=True)
class Rejected:
    record_no: int
    amount: int | None
    paid_on: dt.date | None
    booked_on: dt.date | None
    error: LineError
    raw: str


@dataclass
class WithholdingFile:
    payments: list[Payment]
    file_errors: list[LineError]
    record_errors: list[LineError]
    records: int
    rejected: list[Rejected] = field(default_factory=list)
    paid_yen: int | None = None


class _Fields:
    def __init__(self, values: dict[str, str], file: str, no: int, errors: list[LineError]):
        self.v, self.file, self.no, self.errors = values, file, no, errors

    def err(self, name: str, message: str) -> None:
        self.errors.append(LineError(self.file, self.no, name, message))

    def text(self, name: str, pattern: re.Pattern, what: str) -> str:
        if not pattern.match(self.v[name]):
            self.err(name, f"not {what}")
        return self.v[name]

    def yen(self, name: str, *, blank_zero: bool = False, positive: bool = False) -> int | None:
        text = self.v[name]
        if blank_zero and text == "":
            return 0
        if not text.isdigit() or (positive and int(text) == 0):
            self.err(name, "not a positive integer yen amount" if positive else "not an integer yen amount")
            return None
        return int(text)

    def date(self, name: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(self.v[name], "%Y%m%d").date()
        except ValueError:
            self.err(name, "not a YYYYMMDD date")
            return None


def _payment(kind: str, f: _Fields) -> Payment | None:
    v = f.v
    if kind == "withholding-ocr":
        bank, branch, seq = v["bank_code"], v["branch_code"], v["seq"]
        if not (bank.isdigit() and len(bank) == 4) or not banks.known(bank):
            f.err("bank_code", "not a known 4-digit bank code (zengin-code master)")
        if not (branch.isdigit() and len(branch) == 3):
            f.err("branch_code", "not 3 digits")
        if not (seq.isdigit() and len(seq) <= 10):
            f.err("seq", "not at most 10 digits")
        key = f"{bank}-{branch}-{v['booked_on']}-{seq}"
    else:
        key = f.text("eltax_payment_id", PAYMENT_ID, "1–40 of [0-9A-Za-z_-]")
    designation = f.text("designation_number", DESIGNATION, "a 指定番号")
    year = v["fiscal_year"]
    if not (year.isdigit() and len(year) == 4):
        f.err("fiscal_year", "not a 4-digit 年度")
    month = v["month"]
    if not (month.isdigit() and len(month) == 2 and 1 <= int(month) <= 12):
        f.err("month", "not a 徴収月 01..12")
    salary = f.yen("salary_amount")
    retirement = f.yen("retirement_amount", blank_zero=True)
    late = f.yen("late_fee", blank_zero=True)
    amount = f.yen("amount", positive=True)
    headcount = v["headcount"]
    if headcount and not headcount.isdigit():
        f.err("headcount", "not a number of people")
    paid_on, booked_on = f.date("paid_on"), f.date("booked_on")
    if None not in (salary, retirement, late, amount) and salary + retirement + late != amount:
        f.err("amount", "is not salary_amount + retirement_amount + late_fee")
    if f.errors:
        return None
    fiscal_year, m = int(year), int(month)
    return Payment(
        f.no,
        CHANNELS[kind],
        key,
        designation,
        fiscal_year,
        f"{fiscal_year + (m < 6):04d}-{m:02d}",
        salary,
        retirement,
        late,
        amount,
        int(headcount) if headcount else None,
        paid_on,
        booked_on,
    )


def _listed(f: _Fields) -> ListedLine | None:
    notice = f.text("notice_number", NOTICE, "a 通知書番号")
    addressee = f.text("addressee_id", ADDRESSEE, "a 宛名番号")
    amount = f.yen("salary_amount", positive=True)
    return None if f.errors else ListedLine(f.no, notice, addressee, amount)


def parse(kind: str, data: bytes, file: str = "<file>") -> WithholdingFile:
    """Parse one 特別徴収 納入 file of ``kind`` (withholding-ocr | withholding-eltax)."""
    out = WithholdingFile([], [], [], 0)
    header = HEADERS[kind]
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        out.file_errors.append(LineError(file, 1, "format", "not a UTF-8 CSV file of this format"))
        return out
    if not rows or rows[0] != header:
        out.file_errors.append(LineError(file, 1, "header", "must be: " + ",".join(header)))
        return out
    amounts: list[int | None] = []
    rejected: list[tuple[int, Rejected]] = []
    current: Payment | None = None  # the D row the next E rows belong to
    current_id = None
    trailer = None
    for no, row in enumerate(rows[1:], 2):
        if not row:
            continue
        kind_of = row[0]
        if trailer is not None:
            out.file_errors.append(LineError(file, no, "record_type", "record after the trailer"))
            continue
        if kind_of == "T":
            trailer = (no, row)
            continue
        if (
            len(row) != len(header)
            or kind_of not in ("D", "E")
            or (kind_of == "E" and kind == "withholding-ocr")
        ):
            error = LineError(
                file,
                no,
                "record",
                f"expected record_type D{'/E' * (kind != 'withholding-ocr')} and {len(header)} columns",
            )
            if kind_of == "E":
                out.file_errors.append(error)
                continue
            out.records += 1
            amounts.append(None)
            rejected.append((len(amounts) - 1, Rejected(no, None, None, None, error, ",".join(row))))
            current, current_id = None, None
            continue
        values = dict(zip(header, row, strict=True))
        errors: list[LineError] = []
        fields = _Fields(values, file, no, errors)
        if kind_of == "E":
            if current_id is None or values["eltax_payment_id"] != current_id:
                out.file_errors.append(
                    LineError(file, no, "eltax_payment_id", "an E row must follow its D row")
                )
                continue
            line = _listed(fields)
            if line is None:
                out.file_errors.extend(errors)
            elif current is not None:
                current.listing.append(line)
            continue
        out.records += 1
        amount = values["amount"]
        amounts.append(int(amount) if amount.isdigit() else None)
        current_id = values.get("eltax_payment_id")
        current = _payment(kind, fields)
        if current is None:
            out.record_errors.extend(errors)
            held = _Fields(values, file, no, [])
            rejected.append(
                (
                    len(amounts) - 1,
                    Rejected(
                        no, None, held.date("paid_on"), held.date("booked_on"), errors[0], ",".join(row)
                    ),
                )
            )
        else:
            out.payments.append(current)
    for payment in out.payments:
        numbers = [line.notice_number for line in payment.listing]
        if len(numbers) != len(set(numbers)):
            out.file_errors.append(
                LineError(
                    file, payment.record_no, "notice_number", "an employee is listed twice in one payment"
                )
            )
        if payment.listing and sum(line.amount for line in payment.listing) != payment.salary_amount:
            out.file_errors.append(
                LineError(file, payment.record_no, "salary_amount", "is not the sum of its E rows")
            )
    _check_trailer(out, trailer, amounts, file, len(rows))
    if out.file_errors:
        out.payments = []
        return out
    for index, item in rejected:
        if amounts[index] is None or amounts[index] > 0:
            out.rejected.append(
                Rejected(item.record_no, amounts[index], item.paid_on, item.booked_on, item.error, item.raw)
            )
    return out


def _check_trailer(out: WithholdingFile, trailer, amounts: list[int | None], file: str, last: int) -> None:
    if trailer is None:
        out.file_errors.append(LineError(file, last, "record_type", "no trailer (T)"))
        return
    no, row = trailer
    if len(row) != 3 or not row[1].isdigit() or not row[2].isdigit():
        out.file_errors.append(LineError(file, no, "trailer", "expected T,<count>,<total>"))
        return
    if int(row[1]) != out.records:
        out.file_errors.append(
            LineError(file, no, "count", f"{row[1]} but the file has {out.records} D records")
        )
    filled = fill_from_trailer(amounts, int(row[2]))
    if filled is None:
        readable = sum(a for a in amounts if a is not None)
        out.file_errors.append(
            LineError(file, no, "total", f"{row[2]} but the readable D records sum to {readable}")
        )
        return
    amounts[:] = filled
    out.paid_yen = int(row[2])


def write(kind: str, rows: list[list[str]]) -> bytes:
    """A file of ``kind`` from rows (each with its record type first); the trailer is computed."""
    header = HEADERS[kind]
    at = header.index("amount")
    payments = [r for r in rows if r[0] == "D"]
    lines = [",".join(header), *(",".join(r) for r in rows)]
    lines.append(f"T,{len(payments)},{sum(int(r[at]) for r in payments)}")
    return ("\n".join(lines) + "\n").encode()
