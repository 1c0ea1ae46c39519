"""公的年金等に係る特別徴収 (pension withholding of 個人住民税) — 法321条の7の2〜321条の7の8.

A person aged 65 or over who receives an old-age pension has the part of the 個人住民税 on that
pension withheld by the pension payer (年金保険者: 日本年金機構, 共済組合 …) at each bi-monthly
pension payment. The city's request and the payer's results travel through the 経由機関
(地方税共同機構 / eLTAX): city → 経由機関 → 年金保険者 and back.

Payment months (年6回) and stages:

==============  ==================  ===========================================================
stage           months              amount
==============  ==================  ===========================================================
仮徴収          April, June, August  (the previous year's pension-part annual tax ÷ 2) ÷ 3
(仮特別徴収,                          (法321条の7の8; 平成28年度改正 平準化, from 2017-04)
321条の7の8)
本徴収          October, December,   (this year's annual tax − 仮徴収) ÷ 3 (法321条の7の2〜7の5)
(321条の7の2〜)  February
==============  ==================  ===========================================================

- ``provisional_amounts`` / ``main_amounts`` [H for the ½ and ⅓ arithmetic: 富加町 and 倉敷市
  pages with worked tables; see the tests]. Within a stage, the part under 100 yen of the
  per-payment amount goes to the stage's first payment, as for 給与 (``special_collection.spread``)
  [UNCONFIRMED for pensions: the article text was not read; 1-yen remainders of the ½ are
  truncated, our choice]. When 仮徴収 already exceeds the annual tax, 本徴収 is zero and the
  excess is a 過納 to refund (``MainStage.excess``) [H: 津久見市 notes the refunds this caused].
- ``first_year_split``: the first year a person enters pension withholding, half of the annual
  tax is collected by 普通徴収 in the 1st and 2nd 期 (June, August) and the other half by 本徴収
  (October, December, February) [H: 倉敷市]. The 普通徴収 half is split in two with the part
  under 1,000 yen in the 1st 期 (法20条の4の2⑥, domain-rules §6.2) [M]. Which half gets an odd
  yen is not stated: the 普通徴収 half takes it (our choice).
- ``remittance_due``: the payer pays in by the 10th of the month after the pension payment
  (法321条の7の5①) [M].
- ``stop_outcome``: when withholding stops (death, loss of the pension, moving out …) the
  months not yet withheld become 普通徴収 (法321条の7の6 — article number UNCONFIRMED) [M].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from osame_law.errors import InvalidInputError
from osame_law.plausibility import check_amount
from osame_law.special_collection import MONTHLY_UNIT, YearMonth, remittance_due, spread

ORDINARY_UNIT = 1_000
"""法20条の4の2⑥: the part of each 普通徴収 期 under 1,000 yen goes to the first 期."""
PAYMENTS_PER_STAGE = 3


class Stage(StrEnum):
    PROVISIONAL = "provisional"
    """仮徴収 (仮特別徴収, 法321条の7の8): April, June, August."""
    MAIN = "main"
    """本徴収 (法321条の7の2〜): October, December, February."""


def payment_months(fiscal_year: int, stage: Stage) -> tuple[YearMonth, ...]:
    """The three pension payment months of a stage in ``fiscal_year``."""
    if stage is Stage.PROVISIONAL:
        return (YearMonth(fiscal_year, 4), YearMonth(fiscal_year, 6), YearMonth(fiscal_year, 8))
    return (YearMonth(fiscal_year, 10), YearMonth(fiscal_year, 12), YearMonth(fiscal_year + 1, 2))


def provisional_amounts(previous_annual: int, *, unit: int = MONTHLY_UNIT) -> tuple[int, ...]:
    """仮徴収 April/June/August: half of last year's pension-part annual tax, in three."""
    check_amount("previous_annual", previous_annual)
    return spread(previous_annual // 2, PAYMENTS_PER_STAGE, unit=unit)


@dataclass(frozen=True)
class MainStage:
    amounts: tuple[int, ...]
    """本徴収 October/December/February."""
    excess: int
    """仮徴収 beyond this year's annual tax (a 過納 to refund); 0 otherwise."""


def main_amounts(annual: int, provisional_withheld: int, *, unit: int = MONTHLY_UNIT) -> MainStage:
    """本徴収: this year's pension-part annual tax less what 仮徴収 withheld, in three."""
    check_amount("annual", annual)
    check_amount("provisional_withheld", provisional_withheld)
    rest = annual - provisional_withheld
    if rest <= 0:
        return MainStage((0,) * PAYMENTS_PER_STAGE, -rest)
    return MainStage(spread(rest, PAYMENTS_PER_STAGE, unit=unit), 0)


@dataclass(frozen=True)
class FirstYearSplit:
    ordinary: tuple[int, ...]
    """普通徴収 1st 期 (June) and 2nd 期 (August)."""
    main: tuple[int, ...]
    """本徴収 October/December/February."""


def first_year_split(annual: int, *, unit: int = MONTHLY_UNIT) -> FirstYearSplit:
    """First year of pension withholding: half by 普通徴収 (2 期), half by 本徴収 (3 payments)."""
    check_amount("annual", annual)
    main_total = annual // 2
    return FirstYearSplit(
        spread(annual - main_total, 2, unit=ORDINARY_UNIT),
        spread(main_total, PAYMENTS_PER_STAGE, unit=unit),
    )


def pension_remittance_due(paid_in: YearMonth) -> date:
    """The payer's 納入 of the amount withheld in ``paid_in`` is due on the 10th of the next month."""
    return remittance_due(paid_in)


@dataclass(frozen=True)
class StopOutcome:
    withheld: int
    ordinary: int
    """Left to collect by 普通徴収."""


def stop_outcome(amounts: Sequence[int], payments_made: int) -> StopOutcome:
    """Withholding stopped after ``payments_made`` of the stage's (or the year's) ``amounts``."""
    values = tuple(amounts)
    for value in values:
        check_amount("pension withholding amount", value)
    if isinstance(payments_made, bool) or not 0 <= payments_made <= len(values):
        raise InvalidInputError(f"payments_made must be 0..{len(values)}")
    return StopOutcome(sum(values[:payments_made]), sum(values[payments_made:]))
