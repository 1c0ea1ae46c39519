"""消込 rules: reconcile() and excess_after_reduction(), table-driven."""

from __future__ import annotations

import pytest
from osame_receipts.domain.reconciliation import Outcome, Reconciliation, excess_after_reduction, reconcile


@pytest.mark.parametrize(
    ("principal_tax", "already_paid", "amount", "expected"),
    [
        pytest.param(
            10_000, 0, 10_000, Reconciliation(10_000, 0, 0, Outcome.EXACT), id="exact-first-payment"
        ),
        pytest.param(
            10_000, 4_000, 6_000, Reconciliation(6_000, 0, 0, Outcome.EXACT), id="exact-completes-partial"
        ),
        pytest.param(10_000, 0, 4_000, Reconciliation(4_000, 0, 6_000, Outcome.PARTIAL), id="partial"),
        pytest.param(10_000, 4_000, 1, Reconciliation(1, 0, 5_999, Outcome.PARTIAL), id="partial-one-yen"),
        pytest.param(10_000, 0, 13_000, Reconciliation(10_000, 3_000, 0, Outcome.OVER), id="over"),
        pytest.param(
            10_000, 9_000, 5_000, Reconciliation(1_000, 4_000, 0, Outcome.OVER), id="over-after-partial"
        ),
        pytest.param(10_000, 10_000, 2_500, Reconciliation(0, 2_500, 0, Outcome.OVER), id="paid-twice"),
        pytest.param(0, 0, 1_000, Reconciliation(0, 1_000, 0, Outcome.OVER), id="zero-owed-installment"),
        pytest.param(
            6_000, 10_000, 500, Reconciliation(0, 500, 0, Outcome.OVER), id="paid-above-reduced-principal"
        ),
    ],
)
def test_reconcile(principal_tax, already_paid, amount, expected):
    result = reconcile(principal_tax, already_paid, amount)
    assert result == expected
    assert result.applied + result.overpaid == amount


@pytest.mark.parametrize(
    ("principal_tax", "already_paid", "amount"),
    [
        pytest.param(10_000, 0, 0, id="zero-amount"),
        pytest.param(10_000, 0, -1, id="negative-amount"),
        pytest.param(-1, 0, 100, id="negative-principal"),
        pytest.param(10_000, -1, 100, id="negative-paid"),
    ],
)
def test_reconcile_rejects_invalid_amounts(principal_tax, already_paid, amount):
    with pytest.raises(ValueError):
        reconcile(principal_tax, already_paid, amount)


@pytest.mark.parametrize(
    ("new_principal_tax", "already_paid", "excess"),
    [
        pytest.param(6_000, 10_000, 4_000, id="reduced-below-paid"),
        pytest.param(10_000, 10_000, 0, id="reduced-to-paid"),
        pytest.param(8_000, 5_000, 0, id="reduced-above-paid"),
        pytest.param(0, 10_000, 10_000, id="cancelled"),
        pytest.param(12_000, 10_000, 0, id="increased"),
        pytest.param(0, 0, 0, id="cancelled-unpaid"),
    ],
)
def test_excess_after_reduction(new_principal_tax, already_paid, excess):
    assert excess_after_reduction(new_principal_tax, already_paid) == excess
