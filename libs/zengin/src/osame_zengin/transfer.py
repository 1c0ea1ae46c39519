"""全銀 総合振込 (bulk transfer, 種別コード 21) file: 120-byte cp932 records (interfaces.md §1.4).

Header (1) · data (2) per payee · trailer (8: count, total) · end (9). N fields are right-aligned
zero-padded digits; C fields half-width kana/upper-case/digits, left-aligned space-padded. The
refund reference goes in the 20-character EDI情報 (識別表示 `Y`, positions 92–111) so the
taxpayer's passbook shows it. Records are joined with CRLF by default (accepted by banks that
take line breaks; `line_ending=b""` gives the continuous form).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from osame_zengin.codec import END, RECORD, FieldValueError, TooLong, c, code, kana, n, record

PAYEE_WIDTH = 30  # 受取人名, positions 51–80

# A value cannot be written into the file (message names the field, never the value).
TransferFileError = FieldValueError
# A name longer than its field after normalisation: reported with its length, never cut.
PayeeNameTooLong = TooLong


def _c(text: str, width: int, field: str, *, cut: bool = False) -> bytes:
    """A C field from a name brought into the 全銀 alphabet (`codec.kana`)."""
    return c(kana(text, field), width, field, cut=cut)


def check_payee_name(text: str) -> str:
    """The normalised 受取人名 (30 bytes at most), or TransferFileError naming the problem."""
    return _c(text, PAYEE_WIDTH, "payee name").decode("cp932").rstrip()


@dataclass(frozen=True)
class Remitter:
    """振込依頼人: the city's account at its paying bank."""

    code: str  # 振込依頼人コード (10 digits, bank-assigned)
    name_kana: str
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str  # 1 普通, 2 当座
    account_number: str


@dataclass(frozen=True)
class Transfer:
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str  # 1 普通, 2 当座, 4 貯蓄, 9 その他
    account_number: str
    payee_kana: str
    amount: int
    reference: str  # EDI情報 (≤ 20 chars): the refund reference, no personal data


def build(
    remitter: Remitter, transfer_date: dt.date, transfers: Sequence[Transfer], line_ending: bytes = b"\r\n"
) -> bytes:
    if not transfers:
        raise TransferFileError("no transfers")
    header = record(
        b"1",
        b"21",
        b"0",
        n(remitter.code, 10, "remitter code"),
        _c(remitter.name_kana, 40, "remitter name"),
        transfer_date.strftime("%m%d").encode(),
        code(remitter.bank_code, 4, "remitter bank"),
        _c(remitter.bank_name_kana, 15, "remitter bank name", cut=True),
        code(remitter.branch_code, 3, "remitter branch"),
        _c(remitter.branch_name_kana, 15, "remitter branch name", cut=True),
        n(remitter.account_type, 1, "account type"),
        n(remitter.account_number, 7, "remitter account"),
        b" " * 17,
    )
    records = [header]
    for index, t in enumerate(transfers, start=1):
        if t.amount <= 0:
            raise TransferFileError(f"record {index}: amount must be positive")
        reference = _c(t.reference, 20, f"record {index} reference")
        records.append(
            record(
                b"2",
                code(t.bank_code, 4, f"record {index} bank"),
                _c(t.bank_name_kana, 15, f"record {index} bank name", cut=True),
                code(t.branch_code, 3, f"record {index} branch"),
                _c(t.branch_name_kana, 15, f"record {index} branch name", cut=True),
                b"0000",
                n(t.account_type, 1, f"record {index} account type"),
                n(t.account_number, 7, f"record {index} account"),
                _c(t.payee_kana, PAYEE_WIDTH, f"record {index} payee"),
                n(t.amount, 10, f"record {index} amount"),
                b"0",
                reference,
                b"7",
                b"Y",
                b" " * 7,
            )
        )
    total = sum(t.amount for t in transfers)
    records.append(record(b"8", n(len(transfers), 6, "count"), n(total, 12, "total"), b" " * 101))
    records.append(END)
    return line_ending.join(records) + line_ending


@dataclass(frozen=True)
class ParsedTransfer:
    line: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    amount: int
    reference: str


def parse(content: bytes) -> tuple[dict, list[ParsedTransfer], dict]:
    """Read a 総合振込 file back (for checks and for matching returned transfers)."""
    body = content.replace(b"\r\n", b"")
    if len(body) % RECORD:
        raise TransferFileError(f"file length {len(body)} is not a multiple of {RECORD}")
    records = [body[i : i + RECORD].decode("cp932") for i in range(0, len(body), RECORD)]
    if len(records) < 3 or records[0][0] != "1" or records[-1] != END.decode() or records[-2][0] != "8":
        raise TransferFileError("record order must be header, data…, trailer, end")
    header = {"kind": records[0][1:3], "transfer_date": records[0][54:58], "remitter_code": records[0][4:14]}
    transfers = []
    for line, r in enumerate(records[1:-2], start=2):
        if r[0] != "2":
            raise TransferFileError(f"record {line}: expected a data record")
        transfers.append(
            ParsedTransfer(line, r[1:5], r[20:23], r[42], r[43:50], int(r[80:90]), r[91:111].rstrip())
        )
    trailer = {"count": int(records[-2][1:7]), "total": int(records[-2][7:19])}
    if trailer["count"] != len(transfers) or trailer["total"] != sum(t.amount for t in transfers):
        raise TransferFileError("trailer totals do not match the data records")
    return header, transfers, trailer
