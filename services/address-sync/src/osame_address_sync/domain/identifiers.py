"""Check digits of the numbers address-sync accepts (interfaces.md §11).

- 個人番号 (my number, 12 digits): 検査用数字 is the last digit (総務省令第85号 第5条).
- 法人番号 (corporate number, 13 digits): the check digit is the FIRST digit
  (法人番号の指定等に関する省令 第2条).
- 全国地方公共団体コード (6 digits): the last digit is a check digit (JIS X 0401/0402 rule).

A well-formed number is not proof that it was issued; the check only catches typing errors.
Callers report *which field* failed, never the value.
"""

from __future__ import annotations

from osame_contracts.my_number import is_valid_my_number, my_number_check_digit

__all__ = ["is_valid_my_number", "my_number_check_digit"]


def _digits(value: str, length: int) -> list[int] | None:
    if len(value) != length or not value.isascii() or not value.isdigit():
        return None
    return [int(c) for c in value]


def corporate_number_check_digit(last_twelve: str) -> int:
    """Check digit (first digit) of a 法人番号 from its last 12 digits.

    P_n is the n-th digit counted from the right (n = 1 is the last); Q_n = 1 (odd n), 2 (even n);
    the check digit is 9 − (Σ P_n·Q_n mod 9).
    """
    digits = _digits(last_twelve, 12)
    if digits is None:
        raise ValueError("need 12 digits")
    total = sum(p * (1 if n % 2 else 2) for n, p in enumerate(reversed(digits), start=1))
    return 9 - total % 9


def is_valid_corporate_number(value: str) -> bool:
    """13 ASCII digits whose first digit is the check digit of the other 12."""
    digits = _digits(value, 13)
    return digits is not None and corporate_number_check_digit(value[1:]) == digits[0]


def is_valid_municipality_code(value: str) -> bool:
    """全国地方公共団体コード: 5 digits + check digit (11 − (Σ d_i·(6,5,4,3,2) mod 11)) mod 10."""
    digits = _digits(value, 6)
    if digits is None:
        return False
    total = sum(d * w for d, w in zip(digits[:5], (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10 == digits[5]
