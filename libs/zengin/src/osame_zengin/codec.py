"""The 全銀協 record and its fields (interfaces.md §1.1): one codec for every 全銀 file.

A record is 120 bytes of cp932. N fields are digits, right-aligned and zero-padded; C fields are
left-aligned and space-padded, in one alphabet: half-width ｱ–ﾝ with ﾞ ﾟ, A–Z, 0–9, `( ) - . /` and
space. Names are brought into that alphabet by `kana` (jaconv). Errors found while reading name the
file, the 1-based record number and the field — never the value (it may be personal data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jaconv

RECORD = 120
ENCODING = "cp932"

# The C-field alphabet. `,`, `\\`, `ｰ` and `ｦ` are refused by at least one bank product, so they
# are normalised away (ｰ → -, ｦ → ｵ) or refused.
ALPHABET = re.compile(r"^[0-9A-Z ｱ-ﾟ().\-/]*$")
# Full-width kana with no half-width form, and small kana, as the full-size kana 全銀 names use
# (ｷﾕｳﾖ, not ｷｭｳﾖ).
_FULL_WIDTH_ONLY = str.maketrans("ヮヵヶヰヱ", "ワカケイエ")
_SMALL_TO_FULL = str.maketrans("ｧｨｩｪｫｬｭｮｯｦ", "ｱｲｳｴｵﾔﾕﾖﾂｵ")


class FieldValueError(ValueError):
    """A value cannot be written into a field (the message names the field, never the value)."""


class TooLong(FieldValueError):
    """A value longer than its field: reported with its length, never cut."""

    def __init__(self, field: str, length: int, width: int):
        super().__init__(f"{field}: {length} bytes after 全銀 normalisation; the field holds {width}")
        self.length = length
        self.width = width


# ---- writing ---------------------------------------------------------------------------------


def to_kana(text: str) -> str:
    """A name as a 全銀 C field wants it: katakana (from hiragana too) made half-width by jaconv,
    voiced marks as separate bytes (ｶﾞ), small kana full-size (ｷｭｳ → ｷﾕｳ), ASCII upper-case, the
    long-vowel mark as `-`, the 中黒 as `.`, full-width spaces as spaces. No check of the result."""
    kata = jaconv.hira2kata(text).translate(_FULL_WIDTH_ONLY)
    half = jaconv.z2h(kata, kana=True, digit=True, ascii=True).upper()
    return half.translate(_SMALL_TO_FULL).replace("ｰ", "-").replace("･", ".").replace("\u3000", " ")


def kana(text: str, field: str = "name") -> str:
    """`to_kana(text)`, or FieldValueError when a character is outside the alphabet (kanji,
    symbols a bank would refuse). The message gives the count of bad characters, not them."""
    value = to_kana(text)
    if not ALPHABET.match(value):
        bad = {c for c in value if not ALPHABET.match(c)}
        raise FieldValueError(f"{field}: {len(bad)} character(s) outside the 全銀 C-field set")
    return value


def n(value: int | str, width: int, field: str) -> bytes:
    """An N field: digits, zero-padded on the left; more than `width` digits is refused."""
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise FieldValueError(f"{field}: not {width} digits")
    return text.rjust(width, "0").encode("ascii")


def code(value: str, width: int, field: str) -> bytes:
    """A bank/branch/account code: exactly `width` digits (never padded silently)."""
    if not (value.isdigit() and len(value) == width):
        raise FieldValueError(f"{field}: not exactly {width} digits")
    return value.encode("ascii")


def c(text: str, width: int, field: str, *, cut: bool = False) -> bytes:
    """A C field from text already in the alphabet (or a code): space-padded. Longer than the
    field is refused (TooLong) unless `cut` says the field is informative only (bank/branch
    names: banks route by code)."""
    data = text.encode(ENCODING)
    if len(data) > width:
        if not cut:
            raise TooLong(field, len(data), width)
        data = data[:width]
    return data + b" " * (width - len(data))


def record(*fields: bytes) -> bytes:
    """Fields joined into one record, which must be exactly 120 bytes."""
    out = b"".join(fields)
    if len(out) != RECORD:
        raise FieldValueError(f"record is {len(out)} bytes, not {RECORD}")
    return out


END = b"9" + b" " * (RECORD - 1)


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """A located problem: file, record number (1-based), field, message (no field values: PII)."""

    file: str
    record_no: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: record {self.record_no}: {self.field}: {self.message}"


class ZenginFileError(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]) + (" …" if len(errors) > 5 else ""))


def split_records(data: bytes, file: str) -> list[bytes]:
    """120-byte records, either continuous or each followed by CRLF (§1.1). CR-only or LF-only
    line endings are refused."""
    if b"\r\n" in data[: RECORD + 2]:
        lines = data.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        errors = [
            FieldError(file, i, "record", f"length {len(line)} bytes, expected {RECORD}")
            for i, line in enumerate(lines, 1)
            if len(line) != RECORD
        ]
        if errors:
            raise ZenginFileError(errors)
        return lines
    if b"\n" in data or b"\r" in data:
        raise ZenginFileError(
            [FieldError(file, 1, "line ending", "CR-only or LF-only line endings are refused")]
        )
    if len(data) % RECORD:
        raise ZenginFileError(
            [
                FieldError(
                    file,
                    len(data) // RECORD + 1,
                    "record",
                    f"file length {len(data)} is not a multiple of {RECORD}",
                )
            ]
        )
    return [data[i : i + RECORD] for i in range(0, len(data), RECORD)]


def read_n(
    rec: bytes, start: int, width: int, name: str, file: str, no: int, errors: list[FieldError]
) -> int:
    """The N field at 1-based position `start`; 0 and a located error when it is not digits."""
    raw = rec[start - 1 : start - 1 + width]
    if not raw.isdigit():
        errors.append(FieldError(file, no, name, f"not {width} digits"))
        return 0
    return int(raw)


def read_c(
    rec: bytes, start: int, width: int, name: str, file: str, no: int, errors: list[FieldError]
) -> str:
    """The C field at 1-based position `start`, trailing spaces removed; "" and a located error
    when it is not cp932."""
    try:
        return rec[start - 1 : start - 1 + width].decode(ENCODING).rstrip(" ")
    except UnicodeDecodeError:
        errors.append(FieldError(file, no, name, "not valid cp932"))
        return ""


def fill_from_trailer(amounts: list[int | None], trailer_total: int) -> list[int | None] | None:
    """`amounts` with the one unreadable amount derived from the trailer; None when they cannot
    add up to `trailer_total` (the file is refused).

    An unreadable amount must not make the file's money vanish nor refuse the good records: when
    exactly one record's amount is unreadable, the trailer total gives it (total − Σ readable), so
    the record can be held with its amount and the file still reconciles; with several unreadable,
    only Σ readable ≤ total can be checked and the records are held without an amount.
    """
    unknown = [i for i, a in enumerate(amounts) if a is None]
    rest = trailer_total - sum(a for a in amounts if a is not None)
    if not unknown:
        return amounts if rest == 0 else None
    if len(unknown) == 1:
        if rest <= 0:
            return None
        filled = list(amounts)
        filled[unknown[0]] = rest
        return filled
    return amounts if rest >= 0 else None
