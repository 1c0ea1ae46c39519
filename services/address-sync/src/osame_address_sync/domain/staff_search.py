"""宛名検索 for staff screens: how a typed カナ氏名 is compared, and what a search result shows.

A record under 支援措置 (DV・ストーカー等の被害者支援) is found like any other — staff must know the
person exists and is protected — but its address, postal code and birth date are masked unless the
staff member's roles grant `address-sync:protection.read` (宛名管理担当 who handle the measure).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

PROTECTED_VIEW_PERMISSION = "address-sync:protection.read"
_HIRAGANA = range(0x3041, 0x3097)  # ぁ … ゖ; katakana is 0x60 higher


def kana_key(typed: str) -> str:
    """The form names are compared in: full-width katakana without spaces.

    NFKC turns half-width katakana (ﾔﾏﾀﾞ) into full-width (ヤマダ); hiragana is shifted to katakana.
    """
    text = unicodedata.normalize("NFKC", typed)
    text = "".join(chr(ord(c) + 0x60) if ord(c) in _HIRAGANA else c for c in text)
    return "".join(c for c in text if not c.isspace())


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def staff_view(row: dict, *, may_see_protected: bool) -> dict:
    """One search result; `masked` tells the screen what it was not given."""
    masked = bool(row["protected"]) and not may_see_protected
    return {
        "addressee_id": row["addressee_id"],
        "kind": row["kind"],
        "name": row["name"],
        "name_kana": row["name_kana"],
        "protected": bool(row["protected"]),
        "masked": masked,
        "birth_date": None if masked else _iso(row["date_of_birth"]),
        "postal_code": "" if masked else row["postal_code"],
        "address": "" if masked else row["address"],
        "deceased_on": _iso(row["deceased_on"]),
        "moved_out_on": _iso(row["moved_out_on"]),
        "merged_into": row["merged_into"],
    }
