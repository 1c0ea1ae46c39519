"""充当 / 充当適状日 (法17条の2, 令6条の14; domain-rules §2.6, §10.3)."""

from datetime import date

import pytest
from osame_law.appropriation import (
    AppropriationPolicy,
    ClaimKind,
    GroupOrder,
    UnpaidItem,
    appropriable_on,
    plan_appropriation,
)
from osame_law.errors import InvalidInputError

d = date.fromisoformat


@pytest.mark.parametrize(
    ("basis", "arose", "expected"),
    [
        pytest.param("2025-01-31", "2025-10-15", "2025-10-15", id="rei6-14-overpayment-later-than-due-date"),
        pytest.param("2026-01-31", "2025-10-15", "2026-01-31", id="rei6-14-installment-due-date-later"),
        pytest.param("2025-10-15", "2025-10-15", "2025-10-15", id="rei6-14-same-day"),
    ],
)
def test_appropriable_on_is_the_later_date(basis, arose, expected):
    assert appropriable_on(d(basis), d(arose)) == d(expected)


ITEMS = [
    UnpaidItem("B-tax", "2025-住民税-1期", ClaimKind.PRINCIPAL_TAX, 25_000, d("2025-06-30")),
    UnpaidItem("A-late", "2024-住民税-4期", ClaimKind.LATE_FEE, 1_000, d("2099-01-01")),
    UnpaidItem("A-tax", "2024-住民税-4期", ClaimKind.PRINCIPAL_TAX, 10_000, d("2025-01-31")),
    UnpaidItem("A-fee", "2024-住民税-4期", ClaimKind.DEMAND_FEE, 100, d("2025-02-20")),
]


def test_oldest_installment_first_tax_before_its_late_fee():
    plan = plan_appropriation(30_000, ITEMS, overpayment_arose_on=d("2025-10-15"))
    assert [(a.item_id, a.amount, a.appropriable_on) for a in plan.allocations] == [
        ("A-fee", 100, d("2025-10-15")),
        ("A-tax", 10_000, d("2025-10-15")),
        ("A-late", 1_000, d("2025-10-15")),  # 延滞金 follows its tax's basis date (令6条の14)
        ("B-tax", 18_900, d("2025-10-15")),
    ]
    assert plan.remainder == 0
    assert {a.rule for a in plan.allocations} == {
        "oldest_first;disposition_cost>demand_fee>principal_tax>additional_tax>late_fee"
    }


def test_remainder_is_refunded():
    plan = plan_appropriation(50_000, ITEMS, overpayment_arose_on=d("2025-10-15"))
    assert sum(a.amount for a in plan.allocations) == 36_100
    assert plan.remainder == 13_900


def test_as_given_group_order_for_town_rules():
    policy = AppropriationPolicy(group_order=GroupOrder.AS_GIVEN)
    plan = plan_appropriation(26_000, ITEMS, overpayment_arose_on=d("2025-10-15"), policy=policy)
    assert [(a.item_id, a.amount) for a in plan.allocations] == [
        ("B-tax", 25_000),
        ("A-fee", 100),
        ("A-tax", 900),
    ]


def test_appropriable_date_follows_future_installment_due_date():
    items = [UnpaidItem("C-tax", "2025-固定資産税-4期", ClaimKind.PRINCIPAL_TAX, 5_000, d("2026-03-02"))]
    plan = plan_appropriation(5_000, items, overpayment_arose_on=d("2025-10-15"))
    assert plan.allocations[0].appropriable_on == d("2026-03-02")


def test_ho17_2_3_late_fee_before_tax_is_refused():
    order = (
        ClaimKind.LATE_FEE,
        ClaimKind.PRINCIPAL_TAX,
        ClaimKind.DEMAND_FEE,
        ClaimKind.ADDITIONAL_TAX,
        ClaimKind.DISPOSITION_COST,
    )
    with pytest.raises(InvalidInputError, match="17条の2③"):
        AppropriationPolicy(kind_order=order)


@pytest.mark.parametrize(
    ("amount", "items"),
    [
        pytest.param(-1, ITEMS, id="negative-overpayment"),
        pytest.param(100, [ITEMS[0], ITEMS[0]], id="duplicate-ids"),
        pytest.param(
            100, [UnpaidItem("x", "g", ClaimKind.PRINCIPAL_TAX, -5, d("2025-01-31"))], id="negative-item"
        ),
    ],
)
def test_bad_input(amount, items):
    with pytest.raises(InvalidInputError):
        plan_appropriation(amount, items, overpayment_arose_on=d("2025-10-15"))


# -- the order inside an installment, as a 充当 books it (法17条の2③ + the city's order) --------------

from osame_law.appropriation import first_out_of_order  # noqa: E402

P, F, L = ClaimKind.PRINCIPAL_TAX, ClaimKind.DEMAND_FEE, ClaimKind.LATE_FEE
LATE_BEFORE_FEE = AppropriationPolicy((ClaimKind.DISPOSITION_COST, P, ClaimKind.ADDITIONAL_TAX, L, F))


@pytest.mark.parametrize(
    ("case", "lines", "owed_after", "policy", "index"),
    [
        (
            "fee, tax, 延滞金 in order, all paid",
            [("g", F, 100), ("g", P, 5_000), ("g", L, 300)],
            {},
            None,
            None,
        ),
        ("延滞金 while the tax stays owed (17条の2③)", [("g", L, 300)], {("g", P): 1}, None, 0),
        ("tax while the fee stays owed (city order)", [("g", P, 5_000)], {("g", F): 100}, None, 0),
        (
            "the same under an order putting the fee last",
            [("g", P, 5_000)],
            {("g", F): 100},
            LATE_BEFORE_FEE,
            None,
        ),
        ("partial last kind is fine", [("g", F, 100), ("g", P, 2_000)], {("g", P): 3_000}, None, None),
        ("other installments do not matter", [("g", P, 5_000)], {("h", F): 100}, None, None),
    ],
)
def test_first_out_of_order(case, lines, owed_after, policy, index):
    assert first_out_of_order(lines, owed_after, policy) == index, case
