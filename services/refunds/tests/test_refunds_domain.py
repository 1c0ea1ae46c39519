"""Refunds' domain rules, table-driven from the law (domain-rules §2)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_law.refund_interest import RefundCause
from osame_refunds.domain.appropriation_plan import Debt, plan
from osame_refunds.domain.conservation import ReceiptsSide, RefundsSide, balance
from osame_refunds.domain.interest import CauseDates, interest_for, total_interest
from osame_refunds.domain.overpayment import refund_cause

D = dt.date


def debt(notice, no, component, amount, basis):
    return Debt(notice, no, component, amount, basis)


@pytest.mark.parametrize(
    ("amount", "debts", "expected_requests", "remainder"),
    [
        pytest.param(5_000, [], [], 5_000, id="nothing-owed-all-refunded"),
        pytest.param(
            5_000,
            [
                debt("N2", 1, "principal_tax", 3_000, D(2026, 7, 31)),
                debt("N1", 1, "principal_tax", 4_000, D(2026, 4, 30)),
            ],
            [
                (D(2026, 6, 1), [("N1", 1, "principal_tax", 4_000)]),
                (D(2026, 7, 31), [("N2", 1, "principal_tax", 1_000)]),
            ],
            0,
            id="oldest-first-split-by-appropriable-date",
        ),
        pytest.param(
            3_500,
            [
                debt("N1", 1, "late_fee", 1_000, D(2026, 4, 30)),
                debt("N1", 1, "principal_tax", 3_000, D(2026, 4, 30)),
            ],
            [(D(2026, 6, 1), [("N1", 1, "principal_tax", 3_000), ("N1", 1, "late_fee", 500)])],
            0,
            id="tax-before-its-own-late-fee-17-2-3",
        ),
        pytest.param(
            9_000,
            [
                debt("N1", 1, "principal_tax", 2_000, D(2026, 4, 30)),
                debt("N1", 2, "principal_tax", 0, D(2026, 7, 31)),
            ],
            [(D(2026, 6, 1), [("N1", 1, "principal_tax", 2_000)])],
            7_000,
            id="paid-items-ignored-rest-refunded",
        ),
    ],
)
def test_plan_appropriation(amount, debts, expected_requests, remainder):
    result = plan(amount, D(2026, 6, 1), debts)
    got = [
        (r.appropriable_on, [(i.notice_number, i.installment_no, i.component, i.amount) for i in r.items])
        for r in result.requests
    ]
    assert got == expected_requests
    assert result.remainder == remainder
    assert sum(r.total for r in result.requests) + result.remainder == amount


@pytest.mark.parametrize(
    ("cause", "dates", "start"),
    [
        pytest.param(
            RefundCause.REASSESSMENT,
            CauseDates(),
            D(2025, 5, 1),
            id="17-4-1-i-reassessment-day-after-payment",
        ),
        pytest.param(
            RefundCause.ERRONEOUS_PAYMENT, CauseDates(), D(2025, 6, 1), id="17-4-1-iv-erroneous-month-after"
        ),
        pytest.param(
            RefundCause.NATIONAL_TAX_CHANGE,
            CauseDates(notified_on=D(2025, 9, 10)),
            D(2025, 10, 11),
            id="17-4-1-iii-month-after-notice",
        ),
        pytest.param(
            RefundCause.CORRECTION_REQUEST,
            CauseDates(requested_on=D(2025, 8, 1), corrected_on=D(2025, 8, 20)),
            D(2025, 9, 21),
            id="17-4-1-ii-earlier-of-request-3m-and-correction-1m",
        ),
    ],
)
def test_interest_start_follows_the_cause(cause, dates, start):
    line = interest_for(500_000, cause, D(2025, 4, 30), D(2026, 3, 31), dates, appropriated=False)
    assert line.start == start
    assert line.interest > 0


def test_incident_f1_reassessment_interest_does_not_start_a_month_late():
    """F1: a reduction by 更正 counted from the income-tax notice instead of the payment under-paid
    interest; the reassessment cause must run from the day after payment."""
    right = interest_for(
        1_000_000, RefundCause.REASSESSMENT, D(2025, 4, 30), D(2026, 2, 27), CauseDates(), appropriated=False
    )
    wrong = interest_for(
        1_000_000,
        RefundCause.NATIONAL_TAX_CHANGE,
        D(2025, 4, 30),
        D(2026, 2, 27),
        CauseDates(notified_on=D(2025, 8, 1)),
        appropriated=False,
    )
    assert right.start == D(2025, 5, 1)
    assert right.interest > wrong.interest


def test_appropriated_part_earns_interest_only_to_its_appropriable_date():
    total, lines = total_interest(
        400_000,
        D(2026, 12, 25),
        [(600_000, D(2026, 3, 31))],
        RefundCause.REASSESSMENT,
        D(2025, 4, 30),
        CauseDates(),
    )
    assert [line.end for line in lines] == [D(2026, 3, 31), D(2026, 12, 25)]
    assert total == sum(line.interest for line in lines)


@pytest.mark.parametrize(
    ("amount", "interest"),
    [
        pytest.param(1_999, 0, id="base-under-2000-no-interest"),
        pytest.param(10_000, 0, id="under-1000-yen-none"),
    ],
)
def test_small_refunds_carry_no_interest(amount, interest):
    line = interest_for(
        amount, RefundCause.REASSESSMENT, D(2025, 4, 30), D(2026, 3, 31), CauseDates(), appropriated=False
    )
    assert line.interest == interest


def test_cause_is_required_and_typed():
    assert refund_cause("reassessment") is RefundCause.REASSESSMENT
    with pytest.raises(ValueError, match="unknown overpayment cause"):
        refund_cause("")


@pytest.mark.parametrize(
    ("receipts", "refunds", "ok"),
    [
        pytest.param(ReceiptsSide(10_000, 7_000, 0), RefundsSide(2_000, 1_000), True, id="balanced"),
        pytest.param(ReceiptsSide(10_000, 7_000, 500), RefundsSide(2_000, 500), True, id="with-unmatched"),
        pytest.param(ReceiptsSide(10_000, 7_000, 0), RefundsSide(2_000, 0), False, id="a-yen-missing"),
    ],
)
def test_money_conservation(receipts, refunds, ok):
    assert balance("100001", receipts, refunds).ok is ok


# --- issue 11 rules -------------------------------------------------------------------------------
from itertools import permutations  # noqa: E402

from osame_law.errors import ImplausibleDateError  # noqa: E402
from osame_refunds.domain.approval import DutyError, check_approver, check_staff_date  # noqa: E402
from osame_refunds.domain.lapse import lapses_on  # noqa: E402
from osame_refunds.domain.persons import join  # noqa: E402
from osame_refunds.domain.withdrawal import WithdrawalError, WithdrawalPlan, plan_withdrawal  # noqa: E402


def people(pairs):
    groups: dict[str, str] = {}
    for merged, survivor in pairs:
        groups.update(join(groups, merged, survivor))
    return groups


@pytest.mark.parametrize("order", list(permutations([("A", "B"), ("B", "C"), ("D", "C")])))
def test_a_person_is_the_same_whatever_order_the_merges_arrive_in(order):
    assert people(order) == dict.fromkeys("ABCD", "A")


def test_a_repeated_merge_changes_nothing():
    once = people([("B", "A")])
    assert people([("B", "A"), ("B", "A"), ("A", "B")]) == once == {"A": "A", "B": "A"}


@pytest.mark.parametrize(
    ("amount", "held", "status", "refund", "expected"),
    [
        pytest.param(4_000, 10_000, None, 0, WithdrawalPlan(4_000, 0, 0), id="from-held"),
        pytest.param(
            10_000, 0, "pending_approval", 10_000, WithdrawalPlan(0, 10_000, 0), id="pending-refund"
        ),
        pytest.param(
            10_000, 3_000, "approved", 7_000, WithdrawalPlan(3_000, 7_000, 0), id="held-then-approved"
        ),
        pytest.param(10_000, 0, "in_payout", 10_000, WithdrawalPlan(0, 0, 10_000), id="in-file-recovery"),
        pytest.param(6_000, 1_000, "paid", 10_000, WithdrawalPlan(1_000, 0, 5_000), id="paid-recovery"),
    ],
)
def test_withdrawal_takes_held_then_unsent_refund_then_claims_back(amount, held, status, refund, expected):
    assert plan_withdrawal(amount, held, status, refund) == expected


def test_a_withdrawal_beyond_the_overpayment_is_refused():
    with pytest.raises(WithdrawalError, match="exceeds"):
        plan_withdrawal(12_000, 0, "approved", 10_000)


@pytest.mark.parametrize(
    ("arose_on", "acknowledged", "lapses"),
    [
        pytest.param(D(2020, 6, 2), [], D(2025, 6, 3), id="18-3-five-years-from-the-day-after"),
        pytest.param(D(2020, 2, 28), [], D(2025, 3, 1), id="month-end-civil-143"),
        pytest.param(D(2020, 6, 2), [D(2024, 1, 10)], D(2029, 1, 11), id="notice-acknowledges-and-restarts"),
    ],
)
def test_refund_claim_lapse(arose_on, acknowledged, lapses):
    assert lapses_on(arose_on, acknowledged) == lapses


def test_the_preparer_may_not_approve():
    check_approver("clerk-1", "chief-2")
    with pytest.raises(DutyError, match="different staff member"):
        check_approver("clerk-1", "clerk-1")
    with pytest.raises(DutyError, match="not been prepared"):
        check_approver(None, "chief-2")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(D(2026, 12, 1), "after the business date", id="future"),
        pytest.param(D(1926, 11, 1), "outside the plausible window", id="mistyped-era"),
        pytest.param(D(2026, 5, 31), "before prepared_on", id="before-the-record"),
    ],
)
def test_staff_dates_are_checked_against_the_business_date_and_the_record(value, message):
    with pytest.raises(ImplausibleDateError, match=message):
        check_staff_date("decided_on", value, D(2026, 11, 28), [("prepared_on", D(2026, 6, 1))])


def test_an_open_recovery_claim_balances_a_refund_whose_receipt_bounced():
    """10,000 refunded, then the cheque behind it bounced: receipts no longer counts it as received."""
    assert balance("100001", ReceiptsSide(0, 0, 0), RefundsSide(10_000, 0, recovery=10_000)).ok
