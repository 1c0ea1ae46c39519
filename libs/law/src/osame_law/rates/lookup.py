"""Look-ups into a rate table by calendar year (附則3条の2: each rate applies "その年中").

``RateTable`` wraps rows (normally ``table.RATE_ROWS``); tests and callers may build a table
with extra rows (e.g. a 2027 row once announced). A year that is not in the table raises
``RateNotAvailableError`` — never a silent fallback to another year's rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from osame_law.errors import InvalidInputError, RateNotAvailableError
from osame_law.rates.table import RATE_ROWS, RateRow

STATUTORY_LATE_FEE_FIRST_TIER = Decimal("7.3")  # 法326①, 369① etc.
STATUTORY_LATE_FEE_SECOND_TIER = Decimal("14.6")
STATUTORY_REFUND_INTEREST = Decimal("7.3")  # 法17条の4①


class Tier(StrEnum):
    """延滞金 tier: first month after the 納期限 (7.3% line) or after it (14.6% line)."""

    FIRST = "first"
    SECOND = "second"


@dataclass(frozen=True)
class YearRates:
    year: int
    late_fee_first_tier: Decimal
    late_fee_second_tier: Decimal
    refund_interest: Decimal
    postponement: Decimal | None

    def late_fee(self, tier: Tier) -> Decimal:
        return self.late_fee_first_tier if tier is Tier.FIRST else self.late_fee_second_tier


class RateTable:
    def __init__(self, rows: Iterable[RateRow]) -> None:
        by_year: dict[int, YearRates] = {}
        for row in rows:
            if row.first_year > row.last_year:
                raise InvalidInputError(f"rate row {row.first_year}-{row.last_year} is reversed")
            _check_statutory_caps(row)
            for year in range(row.first_year, row.last_year + 1):
                if year in by_year:
                    raise InvalidInputError(f"rate table lists calendar year {year} twice")
                by_year[year] = YearRates(
                    year,
                    row.late_fee_first_tier,
                    row.late_fee_second_tier,
                    row.refund_interest,
                    row.postponement,
                )
        if not by_year:
            raise InvalidInputError("rate table is empty")
        self._by_year = by_year

    @property
    def first_year(self) -> int:
        return min(self._by_year)

    @property
    def last_year(self) -> int:
        return max(self._by_year)

    def for_year(self, year: int) -> YearRates:
        try:
            return self._by_year[year]
        except KeyError:
            raise RateNotAvailableError(
                f"no 延滞金/還付加算金 rates recorded for calendar year {year} "
                f"(table covers {self.first_year}-{self.last_year}); add the year to the rate table"
            ) from None

    def late_fee(self, year: int, tier: Tier) -> Decimal:
        return self.for_year(year).late_fee(tier)

    def refund_interest(self, year: int) -> Decimal:
        return self.for_year(year).refund_interest

    def postponement(self, year: int) -> Decimal | None:
        return self.for_year(year).postponement

    def with_rows(self, *rows: RateRow) -> RateTable:
        """A new table with extra rows (for a newly announced year)."""
        return RateTable([*self._rows(), *rows])

    def _rows(self) -> list[RateRow]:
        return [
            RateRow(
                y, y, r.late_fee_first_tier, r.late_fee_second_tier, r.refund_interest, r.postponement, ""
            )
            for y, r in sorted(self._by_year.items())
        ]


def _check_statutory_caps(row: RateRow) -> None:
    """附則3条の2 lowers the statutory rates; a special rate above them is a data error."""
    if (
        row.late_fee_first_tier > STATUTORY_LATE_FEE_FIRST_TIER
        or row.late_fee_second_tier > STATUTORY_LATE_FEE_SECOND_TIER
        or row.refund_interest > STATUTORY_REFUND_INTEREST
        or min(row.late_fee_first_tier, row.late_fee_second_tier, row.refund_interest) < 0
    ):
        raise InvalidInputError(f"rate row {row.first_year}-{row.last_year} exceeds the statutory rates")


DEFAULT_RATES = RateTable(RATE_ROWS)
