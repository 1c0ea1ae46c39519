"""全銀 総合振込 (bulk transfer, 種別コード 21) file: 120-byte cp932 records (interfaces.md §1.4).

Header (1) · data (2) per payee · trailer (8: count, total) · end (9). N fields are right-aligned
zero-padded digits; C fields half-width kana/upper-case/digits, left-aligned space-padded. The
refund reference goes in the 20-character EDI情報 (識別表示 `Y`, positions 92–111) so the
taxpayer's passbook shows it. Records are joined with CRLF by default (accepted by banks that
take line breaks; `line_ending=b""` gives the continuous form).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import jaconv

RECORD = 120
PAYEE_WIDTH = 30  # 受取人名, positions 51–80
# C-field characters (interfaces.md §1.1): half-width ｱ–ﾝ with ﾞ ﾟ, A–Z, 0–9, ( ) - . / and space.
# `,`, `\\`, `ｰ` and `ｦ` are refused by at least one bank product, so they are normalised away or refused.
_ALLOWED = re.compile(r"^[0-9A-Z ｱ-ﾟ().\-/]*$")


class TransferFileError(ValueError):
    """A value cannot be written into the file (message names the field, never the value)."""


def _n(value: int | str, width: int, field: str) -> str:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise TransferFileError(f"{field}: not {width} digits")
    return text.rjust(width, "0")


# Full-width kana with no half-width form, and small kana, as the full-size kana 全銀 names use
# (interfaces.md §1.1: ｷﾕｳﾖ, not ｷｭｳﾖ).
_FULL_WIDTH_ONLY = str.maketrans("ヮヵヶヰヱ", "ワカケイエ")
_SMALL_TO_FULL = str.maketrans("ｧｨｩｪｫｬｭｮｯｦ", "ｱｲｳｴｵﾔﾕﾖﾂｵ")


def to_kana_field(text: str) -> str:
    """A name as a 全銀 C field wants it (interfaces.md §1.1): katakana (from hiragana too) made
    half-width by jaconv, voiced marks as separate bytes (ｶﾞ), small kana full-size (ｷｭｳ → ｷﾕｳ),
    ASCII upper-case, the long-vowel mark as `-`, the 中黒 as `.`, full-width spaces as spaces."""
    kata = jaconv.hira2kata(text).translate(_FULL_WIDTH_ONLY)
    half = jaconv.z2h(kata, kana=True, digit=True, ascii=True).upper()
    return half.translate(_SMALL_TO_FULL).replace("ｰ", "-").replace("･", ".").replace("\u3000", " ")


def field_bytes(text: str, field: str) -> bytes:
    """`text` normalised and encoded (cp932; every allowed character is one byte)."""
    value = to_kana_field(text)
    if not _ALLOWED.match(value):
        raise TransferFileError(f"{field}: characters outside the 全銀 C-field set")
    return value.encode("cp932")


def _code(value: str, width: int, field: str) -> str:
    """A bank/branch/account code: exactly `width` digits (never padded silently)."""
    if not (value.isdigit() and len(value) == width):
        raise TransferFileError(f"{field}: not exactly {width} digits")
    return value


def _c(text: str, width: int, field: str, *, cut: bool = False) -> str:
    """A C field. A value longer than the field is refused with its length, never cut — except
    where `cut` says the field is informative only (bank/branch names: banks route by code)."""
    encoded = field_bytes(text, field)
    if len(encoded) > width:
        if not cut:
            raise PayeeNameTooLong(field, len(encoded), width)
        encoded = encoded[:width]
    return encoded.decode("cp932").ljust(width, " ")


class PayeeNameTooLong(TransferFileError):
    """A name longer than its field after normalisation: reported with its length, never cut."""

    def __init__(self, field: str, length: int, width: int):
        super().__init__(f"{field}: {length} bytes after 全銀 normalisation; the field holds {width}")
        self.length = length
        self.width = width


def check_payee_name(text: str) -> str:
    """The normalised 受取人名 (30 bytes at most), or TransferFileError naming the problem."""
    return _c(text, PAYEE_WIDTH, "payee name").rstrip()


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


def _record(text: str) -> bytes:
    data = text.encode("cp932")
    if len(data) != RECORD:
        raise TransferFileError(f"record is {len(data)} bytes, not {RECORD}")
    return data


def build(
    remitter: Remitter, transfer_date: dt.date, transfers: Sequence[Transfer], line_ending: bytes = b"\r\n"
) -> bytes:
    if not transfers:
        raise TransferFileError("no transfers")
    header = (
        "1"
        + "21"
        + "0"
        + _n(remitter.code, 10, "remitter code")
        + _c(remitter.name_kana, 40, "remitter name")
        + transfer_date.strftime("%m%d")
        + _code(remitter.bank_code, 4, "remitter bank")
        + _c(remitter.bank_name_kana, 15, "remitter bank name", cut=True)
        + _code(remitter.branch_code, 3, "remitter branch")
        + _c(remitter.branch_name_kana, 15, "remitter branch name", cut=True)
        + _n(remitter.account_type, 1, "account type")
        + _n(remitter.account_number, 7, "remitter account")
        + " " * 17
    )
    records = [_record(header)]
    for index, t in enumerate(transfers, start=1):
        if t.amount <= 0:
            raise TransferFileError(f"record {index}: amount must be positive")
        reference = _c(t.reference, 20, f"record {index} reference")
        data = (
            "2"
            + _code(t.bank_code, 4, f"record {index} bank")
            + _c(t.bank_name_kana, 15, f"record {index} bank name", cut=True)
            + _code(t.branch_code, 3, f"record {index} branch")
            + _c(t.branch_name_kana, 15, f"record {index} branch name", cut=True)
            + "0000"
            + _n(t.account_type, 1, f"record {index} account type")
            + _n(t.account_number, 7, f"record {index} account")
            + _c(t.payee_kana, PAYEE_WIDTH, f"record {index} payee")
            + _n(t.amount, 10, f"record {index} amount")
            + "0"
            + reference
            + "7"
            + "Y"
            + " " * 7
        )
        records.append(_record(data))
    total = sum(t.amount for t in transfers)
    records.append(_record("8" + _n(len(transfers), 6, "count") + _n(total, 12, "total") + " " * 101))
    records.append(_record("9" + " " * 119))
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
    if len(records) < 3 or records[0][0] != "1" or records[-1] != "9" + " " * 119 or records[-2][0] != "8":
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
