"""Plausibility window for dates entered by people (practice F3, F4).

F3: 令和01 typed as 令和10 overstated 延滞金 on 3,176 督促状; F4: a 延滞金計算日 set to the
previous year understated them. A pure library cannot know "today", so the window is an input:
``DateWindow(earliest, latest)``. The default window is the span of the rate table
(1 January of its first year to 31 December of its last year): a date whose rates are unknown
cannot be computed anyway, and a typo such as 2028 or 2091 is refused with a clear message.
Callers should narrow ``latest`` to the processing date (業務日) where they know it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from osame_law.errors import ImplausibleDateError, InvalidInputError
from osame_law.rates import DEFAULT_RATES, RateTable


@dataclass(frozen=True)
class DateWindow:
    earliest: date
    latest: date

    def __post_init__(self) -> None:
        if self.earliest > self.latest:
            raise InvalidInputError("date window: earliest is after latest")

    @classmethod
    def for_rates(cls, rates: RateTable) -> DateWindow:
        return cls(date(rates.first_year, 1, 1), date(rates.last_year, 12, 31))

    def check(self, field: str, value: date) -> None:
        if not isinstance(value, date):
            raise InvalidInputError(f"{field} must be a date")
        if not self.earliest <= value <= self.latest:
            raise ImplausibleDateError(
                f"{field} {value.isoformat()} is outside the plausible window "
                f"{self.earliest.isoformat()}..{self.latest.isoformat()} (mistyped year or era?)"
            )


DEFAULT_WINDOW = DateWindow.for_rates(DEFAULT_RATES)


def check_not_before(field: str, value: date, other_field: str, other: date) -> None:
    if value < other:
        raise ImplausibleDateError(f"{field} {value.isoformat()} is before {other_field} {other.isoformat()}")


def check_amount(field: str, value: int, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{field} must be an integer number of yen")
    if value < 0 or (positive and value == 0):
        raise InvalidInputError(f"{field} must be {'positive' if positive else 'zero or more'}")
