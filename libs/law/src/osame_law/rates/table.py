"""Rate table by calendar year — DATA ONLY (domain-rules §1.3, §2.4).

Each row covers ``first_year``..``last_year`` (inclusive) and gives, in percent per year:

- ``late_fee_first_tier``: 延滞金 rate for the first month after the 納期限 (replaces 7.3%)
- ``late_fee_second_tier``: 延滞金 rate after that (replaces 14.6%)
- ``refund_interest``: 還付加算金 rate (replaces 7.3%)
- ``postponement``: 猶予特例基準割合 (2021+) — the cap applied to 猶予 periods (法15条の9,
  附則3条の2). For 2014–2020 we record the 特例基準割合 itself, following the note in §1.3
  ("before 2021 the rate during a 猶予 period was the 特例基準割合 itself" [M]). For 2000–2013
  it is ``None``: no 猶予 cap rule is recorded for those years (only the half exemption applies).

Adding a calendar year (e.g. 2027, announced around Nov/Dec 2026) is a data change: append a
``RateRow`` here. Nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class RateRow:
    first_year: int
    last_year: int
    late_fee_first_tier: Decimal
    late_fee_second_tier: Decimal
    refund_interest: Decimal
    postponement: Decimal | None
    source: str


def _row(
    years: tuple[int, int], low: str, high: str, refund: str, postponement: str | None, source: str
) -> RateRow:
    return RateRow(
        first_year=years[0],
        last_year=years[1],
        late_fee_first_tier=Decimal(low),
        late_fee_second_tier=Decimal(high),
        refund_interest=Decimal(refund),
        postponement=Decimal(postponement) if postponement is not None else None,
        source=source,
    )


RATE_ROWS: tuple[RateRow, ...] = (
    _row((2000, 2001), "4.5", "14.6", "4.5", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2002, 2006), "4.1", "14.6", "4.1", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2007, 2007), "4.4", "14.6", "4.4", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2008, 2008), "4.7", "14.6", "4.7", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2009, 2009), "4.5", "14.6", "4.5", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2010, 2013), "4.3", "14.6", "4.3", None, "domain-rules §1.3; Kumagaya; Hiroshima"),
    _row((2014, 2014), "2.9", "9.2", "1.9", "1.9", "domain-rules §1.3; Koto; Hiroshima"),
    _row((2015, 2016), "2.8", "9.1", "1.8", "1.8", "domain-rules §1.3; Koto; Hiroshima"),
    _row((2017, 2017), "2.7", "9.0", "1.7", "1.7", "domain-rules §1.3; Koto; Hiroshima"),
    _row((2018, 2020), "2.6", "8.9", "1.6", "1.6", "domain-rules §1.3; Koto; Hiroshima"),
    _row((2021, 2021), "2.5", "8.8", "1.0", "1.0", "domain-rules §1.3; Fukuroi; Kusatsu"),
    _row((2022, 2024), "2.4", "8.7", "0.9", "0.9", "domain-rules §1.3; Obu; Otsu"),
    _row((2025, 2025), "2.4", "8.7", "0.9", "0.9", "domain-rules §1.3; Tsurugashima; Toyokawa"),
    _row((2026, 2026), "2.8", "9.1", "1.3", "1.3", "domain-rules §1.3; Hino; Kyoto; Fukuroi; Azumino"),
)
