"""分離課税に係る所得割 (退職所得) — 納入申告 and its 延滞金, 法328条の5, 328条の10, 326.

The payer of a retirement allowance (退職手当等) is the 特別徴収義務者 for the residence tax on
it (法328条の5①). It withholds the tax when it pays the allowance and, by the 10th of the next
month, files a 納入申告書 (tax base, tax, number of recipients …) and pays the tax in
(法328条の5②) [H: statute text]. 納期の特例 applies as for salaries (法328条の5③ 準用
321条の5の2) [H].

When the city fixes a shortfall by 更正 or 決定 (法328条の9), the 不足金額 is due on the day after
one month passes from the notice (法328条の10①), and 延滞金 runs from the day after the ORIGINAL
納期限 at 14.6%, lowered to 7.3% up to the deficiency's 納期限 and for one month after it
(法328条の10②) [H: statute text]. A late 納入 of the declared amount pays 延滞金 under 法326①
like any 特別徴収 納入金.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from osame_law.calendar import ONE_DAY, add_months_civil
from osame_law.late_fee import LateFeeResult, PartialPayment
from osame_law.plausibility import check_not_before
from osame_law.rates import DEFAULT_RATES, RateTable
from osame_law.self_assessment import deficiency_due, effective
from osame_law.special_collection import Remittance, YearMonth, remittance_for, remittances
from osame_law.tiered_late_fee import compute_tiered_late_fee


def retirement_remittance(allowance_paid_on: date, *, special_approved_on: date | None = None) -> Remittance:
    """The 納入 (and 納入申告) that carries tax withheld from an allowance paid on ``allowance_paid_on``."""
    month = YearMonth.of(allowance_paid_on)
    fiscal_year = month.year if month.month >= 6 else month.year - 1
    return remittance_for(month, remittances(fiscal_year, special_approved_on=special_approved_on))


def deficiency_late_fee(
    *,
    deficiency: int,
    original: Remittance,
    notified_on: date,
    paid_on: date,
    partial_payments: Iterable[PartialPayment] = (),
    rates: RateTable = DEFAULT_RATES,
) -> LateFeeResult:
    """法328条の10②: 延滞金 on a 不足金額 notified on ``notified_on``, paid in full on ``paid_on``."""
    check_not_before("notified_on", notified_on, "original 納期限", original.statutory_due)
    due = deficiency_due(notified_on)
    return compute_tiered_late_fee(
        principal_tax=deficiency,
        effective_due=effective(original.statutory_due),
        first_tier_end=add_months_civil(due + ONE_DAY, 1),
        paid_on=paid_on,
        partial_payments=partial_payments,
        rates=rates,
    )
