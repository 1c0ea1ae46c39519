"""コンビニ収納: the 44-digit GS1-128 barcode (AI 91) and the agent's 速報/確報/取消 file.

Barcode (interfaces.md §2.1): AI `91` (2) + 収納企業コード (6) + 自由使用欄 (21) + 再発行区分 (1)
+ 支払期限日 YYMMDD (6) + 印紙フラグ (1, always 0 for taxes) + 支払金額 (6) + check digit (1):
modulus 10, weights 3/1 from the right (the JAN scheme). No barcode above ¥300,000.

The 21-digit free field is the city's; Osame's layout (docs/formats/cvs.md):
通知書番号 as 18 digits, zero-padded on the left + 期別 (2) + 区分 (1: 0 = 本税).
So notices paid at a convenience store have numeric 通知書番号 of at most 18 digits.

The agent file is not standardised across agents (§2.2), so Osame reads one documented CSV
(docs/formats/cvs.md); a city's own agent layout plugs in as another parser producing the same
`CvsRecord`s.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

from osame_zengin.codec import fill_from_trailer

from osame_receipts.domain.receipt import NormalizedReceipt, RejectedRecord

MAX_AMOUNT = 300_000  # no barcode above this (interfaces.md §2.1, [S26])
LENGTH = 44


def check_digit(digits43: str) -> int:
    """Modulus 10 / weights 3,1: positions counted from the right with the check digit as 1."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits43)))
    return (10 - total % 10) % 10


class BarcodeError(ValueError):
    """Unusable input (not digits, wrong length): no fields can be decoded."""


@dataclass(frozen=True)
class Barcode:
    company_code: str  # 収納企業コード (6)
    free_field: str  # 自由使用欄 (21)
    reissue: int  # 再発行区分
    pay_by: dt.date | None  # 支払期限日 (None for 999999)
    stamp_flag: str
    amount: int
    check_digit: int
    valid: bool  # check digit matches
    notice_number: str  # decoded from the free field (Osame layout)
    installment_no: int
    part: str

    def as_json(self) -> dict:
        out = dict(self.__dict__)
        out["pay_by"] = self.pay_by.isoformat() if self.pay_by else None
        return out


def build_barcode(
    *,
    company_code: str,
    notice_number: str,
    installment_no: int,
    pay_by: dt.date,
    amount: int,
    reissue: int = 0,
) -> str:
    if not (company_code.isdigit() and len(company_code) == 6):
        raise ValueError("収納企業コード must be 6 digits")
    if not (notice_number.isdigit() and len(notice_number) <= 18):
        raise ValueError("a 通知書番号 paid at a convenience store must be at most 18 digits")
    if not 0 <= installment_no <= 99:
        raise ValueError("期別 must be 0–99")
    if not 0 < amount <= MAX_AMOUNT:
        raise ValueError(f"no convenience-store barcode for amounts above ¥{MAX_AMOUNT:,} (or zero)")
    if not 0 <= reissue <= 9:
        raise ValueError("再発行区分 must be one digit")
    body = (
        "91"
        + company_code
        + notice_number.rjust(18, "0")
        + f"{installment_no:02d}"
        + "0"
        + str(reissue)
        + pay_by.strftime("%y%m%d")
        + "0"
        + f"{amount:06d}"
    )
    return body + str(check_digit(body))


def decode_barcode(code: str) -> Barcode:
    """Decode the fields; `valid` tells whether the check digit matches (BarcodeError if unusable)."""
    code = code.strip()
    if not code.isdigit():
        raise BarcodeError("a barcode is digits only")
    if len(code) != LENGTH:
        raise BarcodeError(f"a barcode has {LENGTH} digits, not {len(code)}")
    if code[:2] != "91":
        raise BarcodeError("application identifier is not 91")
    ymd = code[30:36]
    pay_by = None
    valid_date = True
    if ymd != "999999":
        try:
            pay_by = dt.datetime.strptime(ymd, "%y%m%d").date()
        except ValueError:
            valid_date = False
    free = code[8:29]
    return Barcode(
        company_code=code[2:8],
        free_field=free,
        reissue=int(code[29:30]),
        pay_by=pay_by,
        stamp_flag=code[36],
        amount=int(code[37:43]),
        check_digit=int(code[43]),
        valid=valid_date and check_digit(code[:43]) == int(code[43]),
        notice_number=str(int(free[:18])) if free[:18].strip("0") else "0",
        installment_no=int(free[18:20]),
        part=free[20],
    )


# ---- agent file -------------------------------------------------------------------------------

RECORD_TYPES = {"01": "preliminary", "02": "final", "03": "cancel"}  # 速報 / 確報 / 速報取消


@dataclass(frozen=True)
class CvsRecord:
    record_no: int
    kind: str  # preliminary | final | cancel
    paid_on: dt.date  # 収納日 (領収日)
    booked_on: dt.date  # 振込予定日 (収入日)
    barcode: Barcode
    raw: str

    @property
    def channel_key(self) -> str:
        """The payment's own identity (defect 4): agent (cvs_code), store, 収納日時 and the agent's
        receipt number; without a receipt number, the slip's barcode (hashed to fit 64 chars).
        Two real payments of one slip on one day differ; the same record re-sent is the same key,
        and its 01 速報 and 02 確報 share it."""
        cols = self.raw.split(",")
        receipt_no = (
            cols[9] if len(cols) > 9 and cols[9] else hashlib.sha256(cols[3].encode()).hexdigest()[:20]
        )
        return f"{cols[5]}-{cols[7]}-{self.paid_on:%Y%m%d}{cols[2]}-{receipt_no}"

    @property
    def barcode_digits(self) -> str:
        return self.raw.split(",")[3]


@dataclass(frozen=True)
class CvsError:
    file: str
    record_no: int
    field: str
    message: str


@dataclass
class CvsFile:
    records: list[CvsRecord]
    file_errors: list[CvsError]
    record_errors: list[CvsError]
    rejected: list[RejectedRecord] = field(default_factory=list)
    paid_yen: int | None = None  # Σ of the money records (not 01/03), from the trailer-checked amounts


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def parse_agent_file(data: bytes, file: str = "<cvs>") -> CvsFile:
    """Parse the documented agent CSV (UTF-8): header row, data rows, trailer `99,<count>,<total>`."""
    out = CvsFile([], [], [])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.file_errors.append(CvsError(file, 1, "encoding", "not UTF-8"))
        return out
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:  # e.g. a field over the csv module's limit: not a CSV of this format
        out.file_errors.append(CvsError(file, 1, "format", "not a CSV file of this format"))
        return out
    if not rows or rows[0][:2] != ["record_type", "paid_on"]:
        out.file_errors.append(CvsError(file, 1, "header", "first row must be the column header"))
        return out
    trailer = None
    count = 0
    amounts: list[int | None] = []
    kinds: list[str] = []
    rejected: list[tuple[int, NormalizedReceipt | None, CvsError]] = []
    for no, row in enumerate(rows[1:], 2):
        if not row:
            continue
        if row[0] == "99":
            if trailer is not None:
                out.file_errors.append(CvsError(file, no, "record_type", "second trailer"))
            trailer = (no, row)
            continue
        if trailer is not None:
            out.file_errors.append(CvsError(file, no, "record_type", "record after the trailer"))
            continue
        count += 1
        kinds.append(row[0])
        if len(row) not in (9, 10):
            error = CvsError(file, no, "record", f"{len(row)} columns, expected 9 or 10")
            out.record_errors.append(error)
            amounts.append(None)
            rejected.append((len(amounts) - 1, _readable(row, no), error))
            continue
        amounts.append(int(row[4]) if row[4].isdigit() else None)
        before = len(out.record_errors)
        rec = _record(row, no, file, out.record_errors)
        if rec is not None:
            out.records.append(rec)
        elif row[0] not in ("01", "03"):  # a 速報 or 速報取消 is not money yet: its 確報 is
            rejected.append((len(amounts) - 1, _readable(row, no), out.record_errors[before]))
    if trailer is None:
        out.file_errors.append(CvsError(file, len(rows), "record_type", "no trailer (99)"))
    else:
        no, row = trailer
        if len(row) < 3 or not row[1].isdigit() or not row[2].isdigit():
            out.file_errors.append(CvsError(file, no, "trailer", "expected 99,<count>,<total>"))
        else:
            if int(row[1]) != count:
                out.file_errors.append(
                    CvsError(file, no, "count", f"{row[1]} but the file has {count} records")
                )
            filled = fill_from_trailer(amounts, int(row[2]))
            if filled is None:
                readable = sum(a for a in amounts if a is not None)
                out.file_errors.append(
                    CvsError(file, no, "total", f"{row[2]} but the readable records sum to {readable}")
                )
            else:
                amounts = filled
    if out.file_errors:
        out.records = []
        return out
    money = [a for a, kind in zip(amounts, kinds, strict=True) if kind not in ("01", "03")]
    out.paid_yen = None if None in money else sum(money)
    for index, receipt, error in rejected:
        if kinds[index] in ("01", "03"):
            continue
        if amounts[index] is None or amounts[index] > 0:
            out.rejected.append(RejectedRecord(error.record_no, amounts[index], receipt, error))
    return out


def _readable(row: list[str], no: int) -> NormalizedReceipt | None:
    """What can still be read of an invalid record (for the suspense list)."""

    def day(text: str) -> dt.date | None:
        try:
            return _date(text)
        except ValueError:
            return None

    notice, inst = None, None
    try:
        code = decode_barcode(row[3] if len(row) > 3 else "")
        notice, inst = code.notice_number, code.installment_no
    except BarcodeError:
        pass
    return NormalizedReceipt(
        "convenience_store",
        "",
        notice or "",
        inst or 0,
        0,
        day(row[1]) if len(row) > 1 else None,
        day(row[6]) if len(row) > 6 else None,
        record_no=no,
        raw=",".join(row),
    )


def _record(row: list[str], no: int, file: str, errors: list[CvsError]) -> CvsRecord | None:
    before = len(errors)
    kind = RECORD_TYPES.get(row[0])
    if kind is None:
        errors.append(CvsError(file, no, "record_type", "not 01 (速報), 02 (確報) or 03 (速報取消)"))
    try:
        paid_on = _date(row[1])
    except ValueError:
        errors.append(CvsError(file, no, "paid_on", "not a YYYYMMDD date"))
    try:
        booked_on = _date(row[6])
    except ValueError:
        errors.append(CvsError(file, no, "transfer_on", "not a YYYYMMDD date"))
    try:
        barcode = decode_barcode(row[3])
        if not barcode.valid:
            errors.append(CvsError(file, no, "barcode", "check digit does not match"))
        elif barcode.amount == 0:
            errors.append(CvsError(file, no, "barcode", "amount is zero: no barcode is issued for ¥0"))
        elif not row[4].isdigit() or int(row[4]) != barcode.amount:
            errors.append(CvsError(file, no, "amount", "differs from the barcode amount"))
    except BarcodeError as err:
        errors.append(CvsError(file, no, "barcode", str(err)))
    identity = (("paid_at", row[2], 4, 4), ("cvs_code", row[5], 1, 10), ("store_code", row[7], 1, 12))
    for name, value, low, high in identity:
        if not (value.isdigit() and low <= len(value) <= high):
            errors.append(
                CvsError(file, no, name, f"not {low}–{high} digits" if low != high else f"not {low} digits")
            )
    if len(row) > 9 and not (row[9].isalnum() and row[9].isascii() and len(row[9]) <= 20):
        errors.append(CvsError(file, no, "receipt_no", "not 1–20 letters or digits"))
    if len(errors) > before:
        return None
    return CvsRecord(no, kind, paid_on, booked_on, barcode, ",".join(row))


def agent_file(records: list[tuple], *, created_on: dt.date) -> bytes:
    """Write the documented agent CSV (for tests, demos and the benchmark): records are
    (record_type, paid_on, barcode, amount, transfer_on[, receipt_no]); with a receipt_no the
    row has the 10th column."""
    lines = [
        "record_type,paid_on,paid_at,barcode,amount,cvs_code,transfer_on,store_code,created_on,receipt_no"
    ]
    for kind, paid_on, code, amount, transfer_on, *receipt_no in records:
        lines.append(
            f"{kind},{paid_on:%Y%m%d},1200,{code},{amount},03711,{transfer_on:%Y%m%d},0001234,{created_on:%Y%m%d}"
            + (f",{receipt_no[0]}" if receipt_no else "")
        )
    lines.append(f"99,{len(records)},{sum(r[3] for r in records)}")
    return ("\n".join(lines) + "\n").encode("utf-8")
