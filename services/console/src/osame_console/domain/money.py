"""Amounts as staff read them: integer yen with the yen sign and thousands separators (¥1,234,567)."""

from __future__ import annotations


def yen(amount: int | None) -> str:
    """¥1,234,567; -¥500 for a negative amount; an em dash for an unknown amount (never ¥0)."""
    if amount is None:
        return "—"
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amounts are integer yen")
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,}"
