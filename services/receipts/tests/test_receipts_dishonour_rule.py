"""不渡 plan (domain/dishonour.py): take back exactly what the cheque brought, never below zero."""

from __future__ import annotations

import pytest
from osame_receipts.domain.dishonour import HeldOverpayment, plan_dishonour
from osame_receipts.domain.reconciliation import Component

P, F, L = Component.PRINCIPAL_TAX, Component.DEMAND_FEE, Component.LATE_FEE


@pytest.mark.parametrize(
    ("amount", "applied", "booked", "ops", "taken", "withdrawals", "unaccounted"),
    [
        pytest.param(10_000, {P: 10_000}, {P: 10_000}, [], {P: 10_000}, [], 0, id="plain"),
        pytest.param(
            10_000,
            {P: 10_000},
            {P: 6_000},
            [HeldOverpayment("R", 4_000, 0, 0)],
            {P: 6_000},
            [("R", 4_000, ())],
            0,
            id="after-reduction-takes-the-kanou-overpayment",
        ),
        pytest.param(
            12_000,
            {P: 10_000, F: 0},
            {P: 10_000},
            [HeldOverpayment("OWN", 2_000, 1_500, 0, (("A2", 500), ("A1", 1_000)))],
            {P: 10_000},
            [("OWN", 2_000, ("A2", "A1"))],
            0,
            id="own-overpayment-appropriated-reverses-the-appropriations",
        ),
        pytest.param(
            12_000,
            {P: 10_000},
            {P: 10_000},
            [HeldOverpayment("OWN", 2_000, 500, 0, (("A1", 500),)), HeldOverpayment("R", 9_000, 0, 0)],
            {P: 10_000},
            [("OWN", 2_000, ("A1",))],
            0,
            id="later-overpayments-untouched-once-the-cheque-is-covered",
        ),
        pytest.param(
            3_000,
            {F: 1_000, P: 2_000},
            {F: 1_000, P: 500},
            [],
            {F: 1_000, P: 500},
            [],
            1_500,
            id="never-negative",
        ),
        pytest.param(
            5_000,
            {P: 5_000},
            {P: 0},
            [HeldOverpayment("R", 5_000, 0, 2_000)],
            {},
            [("R", 3_000, ())],
            2_000,
            id="already-withdrawn-part-is-not-taken-twice",
        ),
    ],
)
def test_plan_dishonour(amount, applied, booked, ops, taken, withdrawals, unaccounted):
    plan = plan_dishonour(amount, applied, booked, ops)
    assert {c: v for c, v in plan.taken.items() if v} == taken
    assert [(w.overpayment_id, w.amount, w.appropriations_reversed) for w in plan.withdrawals] == withdrawals
    assert plan.unaccounted == unaccounted
    assert all(plan.taken[c] <= booked.get(c, 0) for c in (P, F, L))
