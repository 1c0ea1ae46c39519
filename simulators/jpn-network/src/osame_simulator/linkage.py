"""符号 (information-provision personal identification code) issuance and 個人番号 checks."""

from __future__ import annotations

import base64
import hashlib
import hmac


def my_number_check_digit(first_eleven: str) -> int:
    """検査用数字 of a 個人番号 (総務省令第85号 第5条)."""
    total = 0
    for n in range(1, 12):
        p = int(first_eleven[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(value: str) -> bool:
    return (
        len(value) == 12
        and value.isascii()
        and value.isdigit()
        and my_number_check_digit(value[:11]) == int(value[11])
    )


def person_key(secret: bytes, individual_number: str) -> str:
    """The hub's internal person key (never leaves the simulator)."""
    return hmac.new(secret, b"person:" + individual_number.encode(), hashlib.sha256).hexdigest()


def linkage_code(secret: bytes, agency_code: str, key: str) -> str:
    """符号 of one person at one agency: stable, differs per agency, not derivable without the secret."""
    digest = hmac.new(secret, f"code:{agency_code}:{key}".encode(), hashlib.sha256).digest()
    return "LC" + base64.b32encode(digest[:20]).decode().rstrip("=")
