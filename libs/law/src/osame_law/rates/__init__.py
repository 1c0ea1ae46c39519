"""Rates by calendar year: data in ``table.py``, look-ups in ``lookup.py``."""

from osame_law.rates.lookup import (
    DEFAULT_RATES,
    STATUTORY_LATE_FEE_FIRST_TIER,
    STATUTORY_LATE_FEE_SECOND_TIER,
    STATUTORY_REFUND_INTEREST,
    RateTable,
    Tier,
    YearRates,
)
from osame_law.rates.table import RATE_ROWS, RateRow

__all__ = [
    "DEFAULT_RATES",
    "RATE_ROWS",
    "STATUTORY_LATE_FEE_FIRST_TIER",
    "STATUTORY_LATE_FEE_SECOND_TIER",
    "STATUTORY_REFUND_INTEREST",
    "RateRow",
    "RateTable",
    "Tier",
    "YearRates",
]
