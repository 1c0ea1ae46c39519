"""個人番号 in contracts: its check digit, and the sealed envelope it travels in on the bus.

No 個人番号 travels in clear on the shared bus (issue 13 item 4). A message field that carries one
has the type `SealedMyNumber`: the number sealed to address-sync's public transport key
(X25519 + HKDF-SHA256 + AES-256-GCM, bound to the routing key and the 宛名番号; the cryptography
is in `osame_chassis.sealed_number`, how to produce it from another language in
docs/integrating.md).
"""

from __future__ import annotations

from pydantic import Field

from osame_contracts.base import Part


def my_number_check_digit(first_eleven: str) -> int:
    """検査用数字 of a 個人番号 from its first 11 digits (総務省令第85号 第5条).

    P_n is the n-th digit counted from the right of the 11 digits; Q_n = n + 1 (n ≤ 6), n − 5 (n ≥ 7);
    r = Σ P_n·Q_n mod 11; the check digit is 0 when r ≤ 1, else 11 − r.
    """
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("need 11 digits")
    total = sum(int(p) * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(first_eleven), start=1))
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(value: str) -> bool:
    """12 ASCII digits whose last digit is the 検査用数字 of the first 11."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return my_number_check_digit(value[:11]) == int(value[11])


class SealedMyNumber(Part):
    """個人番号 sealed to address-sync's transport key; only address-sync opens it."""

    key_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,20}$", description="Id of address-sync's transport key it is sealed to"
    )
    sealed: str = Field(
        pattern=r"^[A-Za-z0-9_-]{96}$",
        description="base64url (no padding) of ephemeral X25519 public key (32) ‖ nonce (12) ‖ "
        "AES-256-GCM ciphertext+tag (28); associated data 'osame-mynumber-v1|<routing key>|<宛名番号>'",
    )
