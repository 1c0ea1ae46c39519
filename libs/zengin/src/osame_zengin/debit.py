"""全銀協 預金口座振替 (種別コード 91) request and result files: 120-byte cp932 records.

Layout: interfaces.md §1.2 (header 1 / data 2 / trailer 8 / end 9). The same layout goes both
ways: the city builds the request (振替結果コード blank), the bank returns it with the code and the
trailer's 振替済/振替不能 totals filled in. Records may be separated by CRLF or not at all (§1.1);
CR-only or LF-only is an error. Every problem is reported with the file name, the 1-based record
number and the field name; nothing about the money is guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from osame_zengin import banks
from osame_zengin.codec import (
    ENCODING,
    END,
    RECORD,
    FieldError,
    ZenginFileError,
    c,
    fill_from_trailer,
    kana,
    n,
    record,
    split_records,
)
from osame_zengin.codec import read_c as _text
from osame_zengin.codec import read_n as _num

__all__ = ["ENCODING", "END", "RECORD", "FieldError", "ZenginFileError", "split_records"]

# 振替結果コード (§1.2): code → reason. Unknown codes are "other / manual review".
RESULT_CODES = {
    "0": "debited",  # 振替済
    "1": "insufficient_funds",  # 資金不足
    "2": "no_account",  # 取引なし
    "3": "stopped_by_payer",  # 預金者の都合による振替停止
    "4": "no_mandate",  # 預金口座振替依頼書なし
    "8": "stopped_by_creditor",  # 委託者の都合による振替停止
    "9": "other",  # その他
}
# Codes after which the mandate must not be debited again until the taxpayer renews it.
MANDATE_STOPPING_CODES = frozenset({"3", "4", "8"})


def normalize_kana(text: str) -> str:
    """A name as a 全銀 C field wants it (`codec.kana`): ValueError on characters a bank would
    refuse (kanji, other symbols)."""
    return kana(text, "name")


@dataclass(frozen=True)
class Header:
    creditor_code: str  # 委託者コード (10)
    creditor_name: str  # 委託者名 (kana, 40 bytes)
    debit_date: dt.date  # 引落日 (MMDD in the file)
    bank_code: str  # 取引銀行番号
    branch_code: str  # 取引支店番号
    account_type: str = "1"
    account_number: str = "0"
    bank_name: str = ""
    branch_name: str = ""


@dataclass(frozen=True)
class DebitRecord:
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    holder_kana: str
    amount: int
    customer_number: str  # 顧客番号 (20)
    new_code: str = "0"  # 新規コード: 1 first debit, 2 changed account, 0 other
    result_code: str = " "  # blank in a request
    bank_name: str = ""
    branch_name: str = ""


@dataclass(frozen=True)
class Trailer:
    count: int
    total: int
    done_count: int = 0
    done_total: int = 0
    failed_count: int = 0
    failed_total: int = 0


@dataclass
class ZenginFile:
    header: Header
    records: list[DebitRecord]
    trailer: Trailer
    # record numbers (1-based, in the file) of each data record, for located errors later
    record_numbers: list[int] = field(default_factory=list)


def header_bytes(h: Header) -> bytes:
    return record(
        b"1",
        b"91",
        b"0",
        n(h.creditor_code, 10, "委託者コード"),
        c(normalize_kana(h.creditor_name), 40, "委託者名", cut=True),
        h.debit_date.strftime("%m%d").encode(),
        n(h.bank_code, 4, "取引銀行番号"),
        c(h.bank_name, 15, "取引銀行名", cut=True),
        n(h.branch_code, 3, "取引支店番号"),
        c(h.branch_name, 15, "取引支店名", cut=True),
        n(h.account_type, 1, "預金種目"),
        n(h.account_number, 7, "口座番号"),
        b" " * 17,
    )


def data_bytes(r: DebitRecord) -> bytes:
    return record(
        b"2",
        n(r.bank_code, 4, "引落銀行番号"),
        c(r.bank_name, 15, "引落銀行名", cut=True),
        n(r.branch_code, 3, "引落支店番号"),
        c(r.branch_name, 15, "引落支店名", cut=True),
        b" " * 4,
        n(r.account_type, 1, "預金種目"),
        n(r.account_number, 7, "口座番号"),
        c(normalize_kana(r.holder_kana), 30, "預金者名", cut=True),
        n(r.amount, 10, "引落金額"),
        n(r.new_code, 1, "新規コード"),
        c(r.customer_number, 20, "顧客番号", cut=True),
        r.result_code.encode("ascii"),
        b" " * 8,
    )


def trailer_bytes(t: Trailer) -> bytes:
    return record(
        b"8",
        n(t.count, 6, "合計件数"),
        n(t.total, 12, "合計金額"),
        n(t.done_count, 6, "振替済件数"),
        n(t.done_total, 12, "振替済金額"),
        n(t.failed_count, 6, "振替不能件数"),
        n(t.failed_total, 12, "振替不能金額"),
        b" " * 65,
    )


def build_file(
    header: Header, records: list[DebitRecord], *, result: bool = False, crlf: bool = True
) -> bytes:
    """The whole file; for a result file (`result=True`) the trailer carries 済/不能 totals."""
    done = [r for r in records if r.result_code == "0"]
    failed = [r for r in records if r.result_code not in ("0", " ")]
    trailer = Trailer(
        count=len(records),
        total=sum(r.amount for r in records),
        done_count=len(done) if result else 0,
        done_total=sum(r.amount for r in done) if result else 0,
        failed_count=len(failed) if result else 0,
        failed_total=sum(r.amount for r in failed) if result else 0,
    )
    sep = b"\r\n" if crlf else b""
    lines = [header_bytes(header), *(data_bytes(r) for r in records), trailer_bytes(trailer), END]
    return sep.join(lines) + sep


# ---- parsing ---------------------------------------------------------------------------------


def parse_header(
    rec: bytes, file: str, no: int, errors: list[FieldError], *, year: int | None
) -> Header | None:
    if rec[1:3] != b"91":
        errors.append(FieldError(file, no, "種別コード", "not 91 (預金口座振替)"))
    if rec[3:4] not in (b"0",):
        errors.append(FieldError(file, no, "コード区分", "only 0 (JIS/cp932) is supported"))
    mmdd = _num(rec, 55, 4, "引落日", file, no, errors)
    debit_date = None
    if mmdd:
        try:
            debit_date = dt.date(year or dt.date.today().year, mmdd // 100, mmdd % 100)
        except ValueError:
            errors.append(FieldError(file, no, "引落日", "not a valid MMDD date"))
    creditor = _num(rec, 5, 10, "委託者コード", file, no, errors)
    bank = _num(rec, 59, 4, "取引銀行番号", file, no, errors)
    branch = _num(rec, 78, 3, "取引支店番号", file, no, errors)
    name = _text(rec, 15, 40, "委託者名", file, no, errors)
    if debit_date is None:
        return None
    return Header(
        creditor_code=f"{creditor:010d}",
        creditor_name=name,
        debit_date=debit_date,
        bank_code=f"{bank:04d}",
        branch_code=f"{branch:03d}",
        account_type=rec[95:96].decode("ascii", "replace"),
        account_number=rec[96:103].decode("ascii", "replace"),
        bank_name=_text(rec, 63, 15, "取引銀行名", file, no, errors),
        branch_name=_text(rec, 81, 15, "取引支店名", file, no, errors),
    )


_DATA = re.compile(
    rb"2(\d{4})(.{15})(\d{3})(.{15}) {4}([1239])(\d{7})(.{30})(\d{10})([012])(.{20})(.) {8}", re.S
)
_BLANK15 = b" " * 15


def parse_data(
    rec: bytes, file: str, no: int, errors: list[FieldError], *, check_banks: bool
) -> DebitRecord | None:
    m = _DATA.fullmatch(rec)
    if m is not None and (not check_banks or banks.known(m[1].decode())):
        try:  # fast path: a well-formed record (the vast majority in a bank's file)
            customer = m[10].decode(ENCODING).rstrip(" ")
            if customer:
                return DebitRecord(
                    bank_code=m[1].decode(),
                    branch_code=m[3].decode(),
                    account_type=m[5].decode(),
                    account_number=m[6].decode(),
                    holder_kana=m[7].decode(ENCODING).rstrip(" "),
                    amount=int(m[8]),
                    customer_number=customer,
                    new_code=m[9].decode(),
                    result_code=m[11].decode(ENCODING),
                    bank_name="" if m[2] == _BLANK15 else m[2].decode(ENCODING).rstrip(" "),
                    branch_name="" if m[4] == _BLANK15 else m[4].decode(ENCODING).rstrip(" "),
                )
        except UnicodeDecodeError:
            pass  # the slow path below names the field
    before = len(errors)
    bank = rec[1:5].decode("ascii", "replace")
    branch = rec[20:23].decode("ascii", "replace")
    if not bank.isdigit():
        errors.append(FieldError(file, no, "引落銀行番号", "not 4 digits"))
    elif check_banks and not banks.known(bank):
        errors.append(FieldError(file, no, "引落銀行番号", "unknown bank code (zengin-code master)"))
    if not branch.isdigit():
        errors.append(FieldError(file, no, "引落支店番号", "not 3 digits"))
    account_type = rec[42:43].decode("ascii", "replace")
    if account_type not in ("1", "2", "3", "9"):
        errors.append(FieldError(file, no, "預金種目", "not 1, 2, 3 or 9"))
    account = rec[43:50].decode("ascii", "replace")
    if not account.isdigit():
        errors.append(FieldError(file, no, "口座番号", "not 7 digits"))
    amount = _num(rec, 81, 10, "引落金額", file, no, errors)
    new_code = rec[90:91].decode("ascii", "replace")
    if new_code not in ("0", "1", "2"):
        errors.append(FieldError(file, no, "新規コード", "not 0, 1 or 2"))
    customer = _text(rec, 92, 20, "顧客番号", file, no, errors)
    if not customer:
        errors.append(FieldError(file, no, "顧客番号", "blank"))
    result = rec[111:112].decode("ascii", "replace")
    holder = _text(rec, 51, 30, "預金者名", file, no, errors)
    if len(errors) > before:
        return None
    return DebitRecord(
        bank_code=bank,
        branch_code=branch,
        account_type=account_type,
        account_number=account,
        holder_kana=holder,
        amount=amount,
        customer_number=customer,
        new_code=new_code,
        result_code=result,
        bank_name=_text(rec, 6, 15, "引落銀行名", file, no, errors),
        branch_name=_text(rec, 24, 15, "引落支店名", file, no, errors),
    )


def parse_trailer(rec: bytes, file: str, no: int, errors: list[FieldError]) -> Trailer:
    return Trailer(
        count=_num(rec, 2, 6, "合計件数", file, no, errors),
        total=_num(rec, 8, 12, "合計金額", file, no, errors),
        done_count=_num(rec, 20, 6, "振替済件数", file, no, errors),
        done_total=_num(rec, 26, 12, "振替済金額", file, no, errors),
        failed_count=_num(rec, 38, 6, "振替不能件数", file, no, errors),
        failed_total=_num(rec, 44, 12, "振替不能金額", file, no, errors),
    )


@dataclass
class ParseResult:
    """A parsed file: `file_errors` (structure, trailer: the whole file is refused) and
    `record_errors` (one data record is invalid: the others can still be applied)."""

    file: ZenginFile | None
    file_errors: list[FieldError]
    record_errors: list[FieldError]
    # invalid data records: (record number, amount or None if unreadable even from the trailer,
    # 振替結果コード byte, SHA-256 of the record) — a paid one (b"0") reports money that must be
    # held, not dropped (the hash lets a re-sent record be held once without keeping account data)
    rejected: list[tuple[int, int | None, bytes, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[FieldError]:
        return self.file_errors + self.record_errors


def parse_file(
    data: bytes,
    file: str = "<zengin>",
    *,
    result: bool = True,
    year: int | None = None,
    check_banks: bool = True,
) -> ParseResult:
    """Parse a 種別91 file and check record order and trailer totals.

    `result=True` also checks the 振替結果コード of each record and the 済/不能 totals.
    """
    try:
        recs = split_records(data, file)
    except ZenginFileError as err:
        return ParseResult(None, err.errors, [])
    file_errors: list[FieldError] = []
    record_errors: list[FieldError] = []
    if not recs or recs[0][:1] != b"1":
        return ParseResult(
            None, [FieldError(file, 1, "データ区分", "the file must start with a header (1)")], []
        )
    header = parse_header(recs[0], file, 1, file_errors, year=year)
    records: list[DebitRecord] = []
    numbers: list[int] = []
    amounts_seen = []  # (amount, result) of every data record, valid or not, for the trailer check
    rejected_at: list[tuple[int, int, str]] = []  # (index in amounts_seen, record number, record hash)
    trailer = None
    end_seen = False
    for no, rec in enumerate(recs[1:], 2):
        kind = rec[:1]
        if end_seen:
            file_errors.append(FieldError(file, no, "データ区分", "record after the end record (9)"))
            break
        if kind == b"2":
            if trailer is not None:
                file_errors.append(FieldError(file, no, "データ区分", "data record after the trailer"))
                continue
            amount_raw = rec[80:90]
            amounts_seen.append((int(amount_raw) if amount_raw.isdigit() else None, rec[111:112]))
            parsed = parse_data(rec, file, no, record_errors, check_banks=check_banks)
            if parsed is not None and result and parsed.result_code == " ":
                record_errors.append(FieldError(file, no, "振替結果コード", "blank in a result file"))
                parsed = None
            if parsed is not None:
                records.append(parsed)
                numbers.append(no)
            else:
                rejected_at.append((len(amounts_seen) - 1, no, hashlib.sha256(rec).hexdigest()))
        elif kind == b"8":
            if trailer is not None:
                file_errors.append(
                    FieldError(file, no, "データ区分", "second trailer (multi-file is not supported)")
                )
            trailer = parse_trailer(rec, file, no, file_errors)
            trailer_no = no
        elif kind == b"9":
            if trailer is None:
                file_errors.append(FieldError(file, no, "データ区分", "end record before the trailer"))
            end_seen = True
        else:
            file_errors.append(FieldError(file, no, "データ区分", "not 1, 2, 8 or 9"))
    if trailer is None:
        file_errors.append(FieldError(file, len(recs), "データ区分", "no trailer record (8)"))
    elif not end_seen:
        file_errors.append(FieldError(file, len(recs), "データ区分", "no end record (9)"))
    if trailer is not None:
        amounts_seen = _check_trailer(trailer, amounts_seen, file, trailer_no, file_errors, result=result)
    if header is None or trailer is None or file_errors:
        return ParseResult(None, file_errors, record_errors)
    rejected = [(no, amounts_seen[i][0], amounts_seen[i][1], digest) for i, no, digest in rejected_at]
    return ParseResult(ZenginFile(header, records, trailer, numbers), file_errors, record_errors, rejected)


def _check_trailer(t: Trailer, seen, file: str, no: int, errors: list[FieldError], *, result: bool) -> list:
    """Check the trailer; returns `seen` with one unreadable amount derived from the 合計金額."""
    if t.count != len(seen):
        errors.append(
            FieldError(file, no, "合計件数", f"{t.count} but the file has {len(seen)} data records")
        )
    filled = fill_from_trailer([a for a, _ in seen], t.total)
    if filled is None:
        readable = sum(a for a, _ in seen if a is not None)
        errors.append(FieldError(file, no, "合計金額", f"{t.total} but the data records sum to {readable}"))
        return seen
    seen = [(a, code) for a, (_, code) in zip(filled, seen, strict=True)]
    if not result or any(a is None for a, _ in seen):
        return seen  # several unreadable amounts: the 済/不能 split cannot be checked
    done = [a for a, code in seen if code == b"0"]
    failed = [a for a, code in seen if code not in (b"0", b" ")]
    if (t.done_count, t.done_total) != (len(done), sum(done)):
        errors.append(FieldError(file, no, "振替済件数/金額", "do not match the records with result code 0"))
    if (t.failed_count, t.failed_total) != (len(failed), sum(failed)):
        errors.append(
            FieldError(file, no, "振替不能件数/金額", "do not match the records with result codes ≠ 0")
        )
    if t.done_count + t.failed_count != t.count or t.done_total + t.failed_total != t.total:
        errors.append(FieldError(file, no, "合計", "済 + 不能 ≠ 合計"))
    return seen


def to_json(parsed: ParseResult) -> dict:
    """The parsed file for `osame zengin parse` (header, records, trailer)."""
    f = parsed.file
    if f is None:
        return {"errors": [e.__dict__ for e in parsed.errors]}

    def rec(r: DebitRecord, no: int) -> dict:
        return {
            "record_no": no,
            **r.__dict__,
            "result": RESULT_CODES.get(r.result_code, "unknown") if r.result_code != " " else None,
        }

    return {
        "header": {**f.header.__dict__, "debit_date": f.header.debit_date.isoformat()},
        "records": [rec(r, n) for r, n in zip(f.records, f.record_numbers, strict=True)],
        "trailer": f.trailer.__dict__,
        "errors": [e.__dict__ for e in parsed.record_errors],
    }
