"""延滞金 during 執行停止 and 猶予 (法15条の9, 附則3条の2; domain-rules §5.1, §10.5; incident F2)."""

from datetime import date
from decimal import Decimal

import pytest
from osame_law.errors import InvalidInputError
from osame_law.late_fee import compute_late_fee
from osame_law.late_fee_exemptions import ExemptInterval, ExemptionKind, ExemptionRule, relieved_rate
from osame_law.rates import Tier

d = date.fromisoformat


def seg_tuples(result):
    return [
        (s.start.isoformat(), s.end.isoformat(), s.days, str(s.rate), s.base, s.yen, s.relief, s.relief_rule)
        for s in result.segments
    ]


def test_F2_enforcement_stay_days_are_fully_exempt():
    stay = ExemptInterval(d("2024-06-01"), d("2025-05-31"), ExemptionKind.ENFORCEMENT_STAY)
    kwargs = {"principal_tax": 500_000, "due_date": d("2024-01-31"), "paid_on": d("2025-12-26")}
    result = compute_late_fee(**kwargs, exempt_intervals=[stay])
    assert seg_tuples(result) == [
        ("2024-02-01", "2024-02-29", 29, "2.4", 500_000, 953, None, None),
        ("2024-03-01", "2024-05-31", 92, "8.7", 500_000, 10964, None, None),
        ("2024-06-01", "2024-12-31", 214, "0", 500_000, 0, "enforcement_stay", "full"),
        ("2025-01-01", "2025-05-31", 151, "0", 500_000, 0, "enforcement_stay", "full"),
        ("2025-06-01", "2025-12-26", 209, "8.7", 500_000, 24908, None, None),
    ]
    assert result.late_fee == 36800
    without_stay = compute_late_fee(**kwargs)
    assert without_stay.late_fee > result.late_fee + 40_000  # what 萩市 over-collected


def test_rules_10_5_conversion_deferral_capped_at_postponement_rate_2026():
    deferral = ExemptInterval(d("2026-02-15"), d("2026-06-30"), ExemptionKind.CONVERSION_DEFERRAL)
    result = compute_late_fee(
        principal_tax=1_000_000,
        due_date=d("2026-01-30"),
        paid_on=d("2026-08-31"),
        exempt_intervals=[deferral],
    )
    assert seg_tuples(result) == [
        ("2026-01-31", "2026-02-14", 15, "2.8", 1_000_000, 1150, None, None),
        ("2026-02-15", "2026-02-28", 14, "1.3", 1_000_000, 498, "conversion_deferral", "cap"),
        ("2026-03-01", "2026-06-30", 122, "1.3", 1_000_000, 4345, "conversion_deferral", "cap"),
        ("2026-07-01", "2026-08-31", 62, "9.1", 1_000_000, 15457, None, None),
    ]
    assert result.late_fee == 21400


def test_rules_5_1_half_exemption_before_the_cap_existed_2012():
    deferral = ExemptInterval(d("2012-09-01"), d("2012-10-31"), ExemptionKind.COLLECTION_DEFERRAL_BUSINESS)
    result = compute_late_fee(
        principal_tax=1_000_000,
        due_date=d("2012-07-31"),
        paid_on=d("2012-11-30"),
        exempt_intervals=[deferral],
    )
    assert seg_tuples(result) == [
        ("2012-08-01", "2012-08-31", 31, "4.3", 1_000_000, 3652, None, None),
        ("2012-09-01", "2012-10-31", 61, "7.3", 1_000_000, 12200, "collection_deferral_business", "half"),
        ("2012-11-01", "2012-11-30", 30, "14.6", 1_000_000, 12000, None, None),
    ]
    assert result.late_fee == 27800


@pytest.mark.parametrize(
    ("rate", "tier", "kind", "postponement", "half_in_first", "expected", "rule"),
    [
        pytest.param(
            "9.1",
            Tier.SECOND,
            ExemptionKind.ENFORCEMENT_STAY,
            "1.3",
            False,
            "0",
            "full",
            id="ho15-9-1-enforcement-stay-full",
        ),
        pytest.param(
            "9.1",
            Tier.SECOND,
            ExemptionKind.COLLECTION_DEFERRAL_DISASTER,
            "1.3",
            False,
            "0",
            "full",
            id="ho15-9-1-disaster-deferral-full",
        ),
        pytest.param(
            "8.7",
            Tier.SECOND,
            ExemptionKind.CONVERSION_DEFERRAL,
            "0.9",
            False,
            "0.9",
            "cap",
            id="fusoku3-2-cap-0.9-beats-half-2025",
        ),
        pytest.param(
            "2.4",
            Tier.FIRST,
            ExemptionKind.CONVERSION_DEFERRAL,
            "0.9",
            False,
            "0.9",
            "cap",
            id="fusoku3-2-cap-in-first-tier",
        ),
        pytest.param(
            "14.6",
            Tier.SECOND,
            ExemptionKind.CONVERSION_DEFERRAL,
            None,
            False,
            "7.3",
            "half",
            id="ho15-9-half-when-no-cap-recorded",
        ),
        pytest.param(
            "4.3",
            Tier.FIRST,
            ExemptionKind.CONVERSION_DEFERRAL,
            None,
            False,
            "4.3",
            None,
            id="ho15-9-half-excludes-first-month-by-default",
        ),
        pytest.param(
            "4.3",
            Tier.FIRST,
            ExemptionKind.CONVERSION_DEFERRAL,
            None,
            True,
            "2.15",
            "half",
            id="ho15-9-half-in-first-month-when-configured",
        ),
        pytest.param(
            "14.6",
            Tier.SECOND,
            ExemptionKind.COLLECTION_DEFERRAL_BUSINESS,
            "7.3",
            False,
            "7.3",
            "half",
            id="fusoku3-2-no-cap-at-7.3-or-above",
        ),
    ],
)
def test_relieved_rate(rate, tier, kind, postponement, half_in_first, expected, rule):
    effective, applied = relieved_rate(
        Decimal(rate),
        tier,
        kind,
        Decimal(postponement) if postponement else None,
        half_in_first_tier=half_in_first,
    )
    assert effective == Decimal(expected)
    assert (applied.value if applied else None) == rule
    if rule is not None:
        assert ExemptionRule(rule) is applied


def test_overlapping_intervals_refused():
    a = ExemptInterval(d("2025-08-01"), d("2025-09-30"), ExemptionKind.ENFORCEMENT_STAY)
    b = ExemptInterval(d("2025-09-30"), d("2025-10-31"), ExemptionKind.CONVERSION_DEFERRAL)
    with pytest.raises(InvalidInputError, match="overlap"):
        compute_late_fee(
            principal_tax=100_000, due_date=d("2025-06-30"), paid_on=d("2025-11-30"), exempt_intervals=[a, b]
        )


def test_reversed_interval_refused():
    with pytest.raises(InvalidInputError):
        ExemptInterval(d("2025-09-30"), d("2025-08-01"), ExemptionKind.ENFORCEMENT_STAY)


def test_interval_outside_late_period_changes_nothing():
    stay = ExemptInterval(d("2025-01-01"), d("2025-06-30"), ExemptionKind.ENFORCEMENT_STAY)
    kwargs = {"principal_tax": 100_000, "due_date": d("2025-06-30"), "paid_on": d("2026-02-10")}
    assert compute_late_fee(**kwargs, exempt_intervals=[stay]) == compute_late_fee(**kwargs)
