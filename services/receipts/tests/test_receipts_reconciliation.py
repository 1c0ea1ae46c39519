"""消込 rules (domain-rules §1.5, §10.2): allocate(), apply_to_component(), reconcile(),
parse_order() and excess_after_reduction(), table-driven."""

from __future__ import annotations

import pytest
from osame_receipts.domain.reconciliation import (
    DEFAULT_ORDER,
    Component,
    Outcome,
    Owed,
    allocate,
    apply_to_component,
    excess_after_reduction,
    parse_order,
    reconcile,
)

P, F, L = Component.PRINCIPAL_TAX, Component.DEMAND_FEE, Component.LATE_FEE
FEE_AFTER_TAX = (P, F, L)


@pytest.mark.parametrize(
    ("principal_tax", "already_paid", "amount", "applied", "overpaid", "remaining", "outcome"),
    [
        pytest.param(10_000, 0, 10_000, 10_000, 0, 0, Outcome.EXACT, id="exact-first-payment"),
        pytest.param(10_000, 4_000, 6_000, 6_000, 0, 0, Outcome.EXACT, id="exact-completes-partial"),
        pytest.param(10_000, 0, 4_000, 4_000, 0, 6_000, Outcome.PARTIAL, id="partial"),
        pytest.param(10_000, 4_000, 1, 1, 0, 5_999, Outcome.PARTIAL, id="partial-one-yen"),
        pytest.param(10_000, 0, 13_000, 10_000, 3_000, 0, Outcome.OVER, id="over"),
        pytest.param(10_000, 9_000, 5_000, 1_000, 4_000, 0, Outcome.OVER, id="over-after-partial"),
        pytest.param(10_000, 10_000, 2_500, 0, 2_500, 0, Outcome.OVER, id="paid-twice"),
        pytest.param(0, 0, 1_000, 0, 1_000, 0, Outcome.OVER, id="zero-owed-installment"),
        pytest.param(6_000, 10_000, 500, 0, 500, 0, Outcome.OVER, id="paid-above-reduced-principal"),
    ],
)
def test_reconcile_principal_only(principal_tax, already_paid, amount, applied, overpaid, remaining, outcome):
    result = reconcile(principal_tax, already_paid, amount)
    assert (result.applied, result.overpaid, result.remaining.total, result.outcome) == (
        applied,
        overpaid,
        remaining,
        outcome,
    )
    assert result.applied + result.overpaid == amount


@pytest.mark.parametrize(
    ("owed", "amount", "order", "split", "overpaid", "remaining"),
    [
        # default order 督促手数料 → 本税 → 延滞金 (domain-rules §10.2)
        pytest.param(
            Owed(10_000, 100, 0), 10_100, DEFAULT_ORDER, (10_000, 100, 0), 0, Owed(), id="tax+fee-exact"
        ),
        pytest.param(
            Owed(10_000, 100, 0), 5_000, DEFAULT_ORDER, (4_900, 100, 0), 0, Owed(5_100), id="fee-first"
        ),
        pytest.param(
            Owed(10_000, 100, 0), 60, DEFAULT_ORDER, (0, 60, 0), 0, Owed(10_000, 40), id="fee-partly"
        ),
        pytest.param(
            Owed(10_000, 100, 1_200),
            10_600,
            DEFAULT_ORDER,
            (10_000, 100, 500),
            0,
            Owed(0, 0, 700),
            id="late-fee-last",
        ),
        pytest.param(
            Owed(10_000, 100, 1_200),
            12_000,
            DEFAULT_ORDER,
            (10_000, 100, 1_200),
            700,
            Owed(),
            id="all-and-over",
        ),
        # city policy 本税 → 督促手数料 → 延滞金
        pytest.param(
            Owed(10_000, 100, 0), 5_000, FEE_AFTER_TAX, (5_000, 0, 0), 0, Owed(5_000, 100), id="tax-first"
        ),
        pytest.param(
            Owed(10_000, 100, 300),
            10_050,
            FEE_AFTER_TAX,
            (10_000, 50, 0),
            0,
            Owed(0, 50, 300),
            id="tax-then-fee",
        ),
        pytest.param(Owed(0, 0, 300), 300, DEFAULT_ORDER, (0, 0, 300), 0, Owed(), id="late-fee-bill-alone"),
        pytest.param(Owed(), 1, DEFAULT_ORDER, (0, 0, 0), 1, Owed(), id="nothing-owed"),
    ],
)
def test_allocate_in_order(owed, amount, order, split, overpaid, remaining):
    result = allocate(owed, amount, order)
    assert (result.principal_tax, result.demand_fee, result.late_fee) == split
    assert result.overpaid == overpaid
    assert result.remaining == remaining
    assert result.applied + result.overpaid == amount


@pytest.mark.parametrize(
    ("component", "amount", "expected"),
    [
        pytest.param(P, 10_000, Owed(0, 100, 500), id="principal"),
        pytest.param(F, 100, Owed(10_000, 0, 500), id="fee"),
        pytest.param(L, 200, Owed(10_000, 100, 300), id="late-fee-part"),
    ],
)
def test_apply_to_component(component, amount, expected):
    result = apply_to_component(Owed(10_000, 100, 500), component, amount)
    assert result.remaining == expected
    assert result.applied == amount and result.overpaid == 0


@pytest.mark.parametrize(
    ("component", "amount"),
    [
        pytest.param(P, 10_001, id="more-than-principal"),
        pytest.param(F, 101, id="more-than-fee"),
        pytest.param(L, 1, id="late-fee-not-owed"),
        pytest.param(P, 0, id="zero"),
    ],
)
def test_apply_to_component_refuses_what_is_not_owed(component, amount):
    with pytest.raises(ValueError):
        apply_to_component(Owed(10_000, 100, 0), component, amount)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("demand_fee,principal_tax,late_fee", DEFAULT_ORDER, id="default"),
        pytest.param(" principal_tax , demand_fee , late_fee ", FEE_AFTER_TAX, id="fee-after-tax"),
        pytest.param("principal_tax,late_fee,demand_fee", (P, L, F), id="fee-last"),
    ],
)
def test_parse_order(text, expected):
    assert parse_order(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("late_fee,principal_tax,demand_fee", id="late-fee-before-tax"),
        pytest.param("principal_tax,demand_fee", id="missing"),
        pytest.param("principal_tax,demand_fee,late_fee,late_fee", id="twice"),
        pytest.param("principal_tax,fee,late_fee", id="unknown"),
    ],
)
def test_parse_order_rejects(text):
    with pytest.raises(ValueError):
        parse_order(text)


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
