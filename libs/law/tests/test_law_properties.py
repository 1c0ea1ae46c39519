"""Invariants checked over a deterministic grid of dates (no hypothesis dependency)."""

from datetime import date, timedelta

import pytest
from osame_law.calendar import shift_due_date
from osame_law.late_fee import compute_late_fee
from osame_law.late_fee_exemptions import ExemptInterval, ExemptionKind
from osame_law.refund_interest import RefundCause, compute_refund_interest

DUE_DATES = [date(2023, 1, 31) + timedelta(days=23 * i) for i in range(40)]


@pytest.mark.parametrize("due", DUE_DATES, ids=[d.isoformat() for d in DUE_DATES])
def test_late_fee_segments_tile_the_late_period_and_grow_with_time(due):
    previous = 0
    for lag in range(0, 700, 37):
        paid = due + timedelta(days=lag)
        if paid.year > 2026:
            break
        result = compute_late_fee(principal_tax=987_654, due_date=due, paid_on=paid)
        effective_due = shift_due_date(due)
        assert sum(s.days for s in result.segments) == max((paid - effective_due).days, 0)
        for before, after in zip(result.segments, result.segments[1:], strict=False):
            assert after.start == before.end + timedelta(days=1)
            assert before.start.year == before.end.year
        assert result.late_fee % 100 == 0 and (result.late_fee == 0 or result.late_fee >= 1000)
        assert result.late_fee >= previous
        previous = result.late_fee


@pytest.mark.parametrize("due", DUE_DATES[::4], ids=[d.isoformat() for d in DUE_DATES[::4]])
def test_F2_a_stay_never_increases_the_late_fee(due):
    paid = min(due + timedelta(days=500), date(2026, 12, 31))
    plain = compute_late_fee(principal_tax=987_654, due_date=due, paid_on=paid)
    for offset in range(0, 400, 45):
        stay = ExemptInterval(
            due + timedelta(days=offset), due + timedelta(days=offset + 60), ExemptionKind.ENFORCEMENT_STAY
        )
        stayed = compute_late_fee(principal_tax=987_654, due_date=due, paid_on=paid, exempt_intervals=[stay])
        assert stayed.late_fee <= plain.late_fee


@pytest.mark.parametrize("paid", DUE_DATES[::3], ids=[d.isoformat() for d in DUE_DATES[::3]])
def test_F1_reassessment_start_is_never_later_than_other_causes(paid):
    decided = date(2026, 12, 31)
    reassessment = compute_refund_interest(
        amount=5_000_000, cause=RefundCause.REASSESSMENT, paid_on=paid, decided_on=decided
    )
    erroneous = compute_refund_interest(
        amount=5_000_000, cause=RefundCause.ERRONEOUS_PAYMENT, paid_on=paid, decided_on=decided
    )
    national = compute_refund_interest(
        amount=5_000_000,
        cause=RefundCause.NATIONAL_TAX_CHANGE,
        paid_on=paid,
        notified_on=paid + timedelta(days=90),
        decided_on=decided,
    )
    assert reassessment.start == paid + timedelta(days=1)
    assert reassessment.refund_interest >= erroneous.refund_interest >= national.refund_interest
