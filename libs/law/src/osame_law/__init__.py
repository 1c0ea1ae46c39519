"""osame_law — pure Japanese local-tax law calculations (no I/O, no logging, no database).

Where is X computed?

- 閉庁日, holiday-shifted 納期限, 民法143 month arithmetic ........ ``calendar``
- 法20条の4の2 rounding (base 1,000 / 2,000; total 100 / 1,000) ...... ``rounding``
- rates by calendar year (延滞金 tiers, 還付加算金, 猶予特例基準割合) .. ``rates`` (data: ``rates/table.py``)
- 延滞金 (late_fee) .............................................. ``late_fee``
- 執行停止 / 猶予 exemptions of 延滞金 .............................. ``late_fee_exemptions``
- 還付加算金 (refund_interest) ..................................... ``refund_interest``
- 充当 / 充当適状日 (appropriation / appropriable_on) ............... ``appropriation``
- 督促 deadline, day-10 rule, 督促手数料 (demand_notice / demand_fee) ``demand_notice``
- 時効 (limitation) ............................................... ``limitation``
- plausibility window for typed dates ............................. ``plausibility``
- exceptions ...................................................... ``errors``

Money is ``int`` yen; dates are ``datetime.date``; rates are ``Decimal`` percent per year.
"""

from osame_law.appropriation import (
    Allocation,
    AppropriationPlan,
    AppropriationPolicy,
    ClaimKind,
    GroupOrder,
    UnpaidItem,
    appropriable_on,
    first_out_of_order,
    plan_appropriation,
)
from osame_law.calendar import add_months_civil, days_inclusive, is_closed_day, shift_due_date
from osame_law.demand_notice import (
    TAKAOKA_DEMAND_FEE,
    DemandFeeRule,
    DemandFeeSchedule,
    day10_date,
    demand_cutoff,
    demand_notice_deadline,
    earliest_seizure_date,
    last_due_date_dunnable,
)
from osame_law.errors import ImplausibleDateError, InvalidInputError, LawError, RateNotAvailableError
from osame_law.late_fee import (
    LateFeePolicy,
    LateFeeResult,
    PartialPayment,
    compute_late_fee,
    recompute_after_reduction,
)
from osame_law.late_fee_exemptions import ExemptInterval, ExemptionKind
from osame_law.limitation import LimitationPeriod, limitation_period, restarted_by_demand
from osame_law.plausibility import DateWindow
from osame_law.rates import DEFAULT_RATES, RateRow, RateTable, Tier
from osame_law.refund_interest import (
    RefundCause,
    RefundInterestResult,
    compute_refund_interest,
    refund_interest_start,
)
from osame_law.rounding import SegmentRounding, charge_base, round_total
from osame_law.segments import Segment

__all__ = [
    "DEFAULT_RATES",
    "TAKAOKA_DEMAND_FEE",
    "Allocation",
    "AppropriationPlan",
    "AppropriationPolicy",
    "ClaimKind",
    "DateWindow",
    "DemandFeeRule",
    "DemandFeeSchedule",
    "ExemptInterval",
    "ExemptionKind",
    "GroupOrder",
    "ImplausibleDateError",
    "InvalidInputError",
    "LateFeePolicy",
    "LateFeeResult",
    "LawError",
    "LimitationPeriod",
    "PartialPayment",
    "RateNotAvailableError",
    "RateRow",
    "RateTable",
    "RefundCause",
    "RefundInterestResult",
    "Segment",
    "SegmentRounding",
    "Tier",
    "UnpaidItem",
    "add_months_civil",
    "appropriable_on",
    "charge_base",
    "compute_late_fee",
    "compute_refund_interest",
    "day10_date",
    "days_inclusive",
    "demand_cutoff",
    "demand_notice_deadline",
    "earliest_seizure_date",
    "first_out_of_order",
    "is_closed_day",
    "last_due_date_dunnable",
    "limitation_period",
    "plan_appropriation",
    "recompute_after_reduction",
    "refund_interest_start",
    "restarted_by_demand",
    "round_total",
    "shift_due_date",
]
