"""Normalized channel files for 指定金融機関 OCR 領収済通知, MPN (Pay-easy) and eLTAX 共通納税.

Their real layouts are not public (interfaces.md §3, §4 "not found"), so Osame defines one
documented CSV per channel (docs/formats/ocr.md, mpn.md, eltax.md). A city converts its bank's or
LTA's file into it, or plugs in its own parser producing the same `NormalizedReceipt`s
(`PARSERS` is the adapter boundary). Common rules: UTF-8, a header row with the column names, data
rows, and a trailer row `T,<count>,<total yen>` that must match or the whole file is refused.

- ocr:   D,bank_code,branch_code,seq,notice_number,installment_no,amount,paid_on,booked_on
         channel key = bank_code-branch_code-booked_on-seq
- mpn:   D,agency_code(5),payment_number(≤20 digits),confirmation(4),payment_class(3),amount,paid_on,booked_on,
         transaction_id       channel key = transaction_id
- eltax: D,el_number(収納機関番号5+納付番号+確認番号4+納付区分3),amount,paid_on,booked_on,eltax_payment_id
         channel key = eltax_payment_id
For MPN and eLTAX, the city issues 納付番号 = the 通知書番号 (digits, at most 20) and 納付区分 = the
期別 as 3 digits; the 収納機関番号 must be the city's (setting OSAME_AGENCY_CODE when checked).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from osame_zengin import banks
from osame_zengin.codec import fill_from_trailer

from osame_receipts.domain.receipt import NormalizedReceipt, RejectedRecord

KEY = re.compile(r"^[0-9A-Za-z:_-]{1,64}$")


@dataclass(frozen=True)
class LineError:
    file: str
    record_no: int
    field: str
    message: str


@dataclass
class ChannelFile:
    receipts: list[NormalizedReceipt]
    file_errors: list[LineError]
    record_errors: list[LineError]
    records: int
    rejected: list[RejectedRecord] = field(default_factory=list)
    paid_yen: int | None = None  # the trailer total (every record is money)


HEADERS = {
    "ocr": [
        "record_type",
        "bank_code",
        "branch_code",
        "seq",
        "notice_number",
        "installment_no",
        "amount",
        "paid_on",
        "booked_on",
    ],
    "mpn": [
        "record_type",
        "agency_code",
        "payment_number",
        "confirmation",
        "payment_class",
        "amount",
        "paid_on",
        "booked_on",
        "transaction_id",
    ],
    "eltax": ["record_type", "el_number", "amount", "paid_on", "booked_on", "eltax_payment_id"],
}
CHANNELS = {"ocr": "bank_counter", "mpn": "mpn", "eltax": "eltax"}


class _Row:
    def __init__(self, values: dict[str, str], file: str, no: int, errors: list[LineError]):
        self.v, self.file, self.no, self.errors = values, file, no, errors

    def err(self, field: str, message: str) -> None:
        self.errors.append(LineError(self.file, self.no, field, message))

    def digits(self, field: str, width: int | None = None, max_width: int | None = None) -> str:
        text = self.v[field]
        if not text.isdigit() or (width and len(text) != width) or (max_width and len(text) > max_width):
            what = f"{width} digits" if width else f"at most {max_width} digits" if max_width else "digits"
            self.err(field, f"not {what}")
        return text

    def amount(self) -> int:
        text = self.v["amount"]
        if not text.isdigit() or int(text) <= 0:
            self.err("amount", "not a positive integer yen amount")
            return 0
        return int(text)

    def date(self, field: str) -> dt.date:
        try:
            return dt.datetime.strptime(self.v[field], "%Y%m%d").date()
        except ValueError:
            self.err(field, "not a YYYYMMDD date")
            return dt.date.min

    def key(self, field: str) -> str:
        text = self.v[field]
        if not KEY.match(text):
            self.err(field, "not 1–64 of [0-9A-Za-z:_-]")
        return text


def _ocr(r: _Row, channel: str) -> NormalizedReceipt:
    bank = r.digits("bank_code", 4)
    if bank.isdigit() and len(bank) == 4 and not banks.known(bank):
        r.err("bank_code", "unknown bank code (zengin-code master)")
    branch = r.digits("branch_code", 3)
    seq = r.digits("seq", max_width=10)
    notice = r.v["notice_number"]
    if not re.match(r"^[0-9A-Za-z-]{1,20}$", notice):
        r.err("notice_number", "not a 通知書番号")
    inst = r.digits("installment_no", max_width=2)
    booked = r.date("booked_on")
    return NormalizedReceipt(
        channel,
        f"{bank}-{branch}-{booked:%Y%m%d}-{seq}" if booked != dt.date.min else "x",
        notice,
        int(inst) if inst.isdigit() else 0,
        r.amount(),
        r.date("paid_on"),
        booked,
    )


def _mpn(r: _Row, channel: str) -> NormalizedReceipt:
    r.digits("agency_code", 5)
    number = r.digits("payment_number", max_width=20)
    r.digits("confirmation", 4)
    klass = r.digits("payment_class", 3)
    return NormalizedReceipt(
        channel,
        r.key("transaction_id"),
        str(int(number)) if number.isdigit() else "",
        int(klass) if klass.isdigit() and int(klass) <= 99 else 0,
        r.amount(),
        r.date("paid_on"),
        r.date("booked_on"),
    )


def split_el_number(el: str) -> tuple[str, str, str, str]:
    """eL番号 = 収納機関番号 (5) + 納付番号 (variable) + 確認番号 (4) + 納付区分 (3)."""
    if not el.isdigit() or not 13 < len(el) <= 32:
        raise ValueError("an eL番号 is 14–32 digits")
    return el[:5], el[5:-7], el[-7:-3], el[-3:]


def _eltax(r: _Row, channel: str) -> NormalizedReceipt:
    notice, inst = "", 0
    try:
        _, number, _, klass = split_el_number(r.v["el_number"])
        notice, inst = str(int(number)), int(klass)
        if inst > 99:
            r.err("el_number", "納付区分 is not a 期別")
    except ValueError as err:
        r.err("el_number", str(err))
    return NormalizedReceipt(
        channel, r.key("eltax_payment_id"), notice, inst, r.amount(), r.date("paid_on"), r.date("booked_on")
    )


ROW_PARSERS: dict[str, Callable[[_Row, str], NormalizedReceipt]] = {"ocr": _ocr, "mpn": _mpn, "eltax": _eltax}


def parse(kind: str, data: bytes, file: str = "<file>") -> ChannelFile:
    """Parse one normalized file of `kind` (ocr | mpn | eltax): located errors, trailer checked."""
    out = ChannelFile([], [], [], 0)
    header = HEADERS[kind]
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except UnicodeDecodeError:
        out.file_errors.append(LineError(file, 1, "encoding", "not UTF-8"))
        return out
    except csv.Error:  # e.g. a field over the csv module's limit: not a CSV of this format
        out.file_errors.append(LineError(file, 1, "format", "not a CSV file of this format"))
        return out
    if not rows or rows[0] != header:
        out.file_errors.append(LineError(file, 1, "header", "must be: " + ",".join(header)))
        return out
    count = 0
    amounts: list[int | None] = []
    rejected: list[tuple[int, NormalizedReceipt | None, LineError]] = []
    trailer = None
    for no, row in enumerate(rows[1:], 2):
        if not row:
            continue
        if row[0] == "T":
            if trailer is not None:
                out.file_errors.append(LineError(file, no, "record_type", "second trailer"))
            trailer = (no, row)
            continue
        if trailer is not None:
            out.file_errors.append(LineError(file, no, "record_type", "record after the trailer"))
            continue
        count += 1
        if row[0] != "D" or len(row) != len(header):
            error = LineError(file, no, "record", f"expected record_type D and {len(header)} columns")
            out.record_errors.append(error)
            amounts.append(None)
            shape = NormalizedReceipt(
                CHANNELS[kind], "", "", 0, 0, None, None, record_no=no, raw=",".join(row)
            )
            rejected.append((len(amounts) - 1, shape, error))
            continue
        amount = row[header.index("amount")]
        amounts.append(int(amount) if amount.isdigit() else None)
        errors: list[LineError] = []
        rec = ROW_PARSERS[kind](_Row(dict(zip(header, row, strict=True)), file, no, errors), CHANNELS[kind])
        if errors:
            out.record_errors.extend(errors)
            rejected.append(
                (
                    len(amounts) - 1,
                    NormalizedReceipt(**{**rec.__dict__, "record_no": no, "raw": ",".join(row)}),
                    errors[0],
                )
            )
        else:
            out.receipts.append(NormalizedReceipt(**{**rec.__dict__, "record_no": no, "raw": ",".join(row)}))
    out.records = count
    if trailer is None:
        out.file_errors.append(LineError(file, len(rows), "record_type", "no trailer (T)"))
    else:
        no, row = trailer
        if len(row) != 3 or not row[1].isdigit() or not row[2].isdigit():
            out.file_errors.append(LineError(file, no, "trailer", "expected T,<count>,<total>"))
        else:
            if int(row[1]) != count:
                out.file_errors.append(
                    LineError(file, no, "count", f"{row[1]} but the file has {count} records")
                )
            filled = fill_from_trailer(amounts, int(row[2]))
            if filled is None:
                readable = sum(a for a in amounts if a is not None)
                out.file_errors.append(
                    LineError(file, no, "total", f"{row[2]} but the readable records sum to {readable}")
                )
            else:
                amounts = filled
                out.paid_yen = int(row[2])
    if out.file_errors:
        out.receipts = []
        return out
    for index, rec, error in rejected:
        amount = amounts[index]
        if amount is None or amount > 0:  # a zero amount reports no money
            out.rejected.append(RejectedRecord(error.record_no, amount, rec, error))
    return out


def write(kind: str, rows: list[list[str]]) -> bytes:
    """Write a normalized file (data rows without the leading D) with its header and trailer."""
    header = HEADERS[kind]
    amount_at = header.index("amount") - 1
    lines = [",".join(header)] + ["D," + ",".join(r) for r in rows]
    lines.append(f"T,{len(rows)},{sum(int(r[amount_at]) for r in rows)}")
    return ("\n".join(lines) + "\n").encode()
