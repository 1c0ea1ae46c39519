"""配当 (domain.distribution): 滞納処分費 first, 担保権 by date against the 法定納期限等, 差押先着手,
交付要求先着手 (参加差押 as a 交付要求), 公課 after taxes, pro rata for simultaneous claims, 残余金;
and the city's share applied 督促手数料 → 本税 → 延滞金, oldest 納期限 first."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.domain.distribution import (
    Claim,
    ClaimKind,
    DistributionError,
    OwnItem,
    allocate_own,
    distribute,
)

D = dt.date
K = ClaimKind


def seizing(name, amount, due=D(2025, 3, 15)):
    return Claim(name, K.SEIZURE, amount, D(2026, 9, 1), due)


def filing(name, amount, on, kind=K.CLAIM_FILING, due=D(2025, 3, 15), seq=0):
    return Claim(name, kind, amount, on, due, seq)


def secured(name, amount, registered):
    return Claim(name, K.SECURED, amount, registered)


# (case, proceeds, costs, claims, expected {claimant: allocated}, expected surplus)
CASES = [
    (
        "all paid, surplus to the taxpayer",
        1_000_000,
        50_000,
        [seizing("city", 300_000)],
        {"city": 300_000},
        650_000,
    ),
    (
        "costs first even when they take everything",
        40_000,
        50_000,
        [seizing("city", 300_000)],
        {"city": 0},
        0,
    ),
    (
        "差押先着手: the attaching authority before an earlier 交付要求",
        500_000,
        0,
        [filing("nta", 400_000, D(2026, 8, 1)), seizing("city", 300_000)],
        {"city": 300_000, "nta": 200_000},
        0,
    ),
    (
        "交付要求先着手: the first filed first; 参加差押 ranks as a 交付要求",
        600_000,
        100_000,
        [
            seizing("city", 200_000),
            filing("pref", 250_000, D(2026, 9, 20), K.JOINT_SEIZURE),
            filing("nta", 250_000, D(2026, 9, 10)),
        ],
        {"city": 200_000, "nta": 250_000, "pref": 50_000},
        0,
    ),
    (
        "simultaneous 交付要求 share pro rata (largest remainder)",
        100_001,
        0,
        [filing("a", 100_000, D(2026, 9, 10)), filing("b", 200_000, D(2026, 9, 10))],
        {"a": 33_334, "b": 66_667},
        0,
    ),
    (
        "same day but known arrival order: not simultaneous",
        100_000,
        0,
        [filing("late", 100_000, D(2026, 9, 10), seq=2), filing("early", 80_000, D(2026, 9, 10), seq=1)],
        {"early": 80_000, "late": 20_000},
        0,
    ),
    (
        "公課 after every tax",
        300_000,
        0,
        [filing("pension", 100_000, D(2026, 8, 1), K.PUBLIC_CHARGE), seizing("city", 250_000)],
        {"city": 250_000, "pension": 50_000},
        0,
    ),
    (
        "抵当権 set before the 法定納期限等 ranks ahead of the taxes",
        500_000,
        20_000,
        [seizing("city", 300_000, due=D(2025, 3, 15)), secured("bank", 400_000, D(2024, 5, 1))],
        {"bank": 400_000, "city": 80_000},
        0,
    ),
    (
        "抵当権 set on the 法定納期限等 still ranks ahead",
        500_000,
        0,
        [seizing("city", 300_000, due=D(2025, 3, 15)), secured("bank", 400_000, D(2025, 3, 15))],
        {"bank": 400_000, "city": 100_000},
        0,
    ),
    (
        "抵当権 set after every 法定納期限等 ranks after taxes and 公課",
        900_000,
        0,
        [
            secured("bank", 400_000, D(2026, 1, 10)),
            seizing("city", 300_000),
            filing("health", 100_000, D(2026, 9, 5), K.PUBLIC_CHARGE, due=D(2025, 10, 31)),
        ],
        {"city": 300_000, "health": 100_000, "bank": 400_000},
        100_000,
    ),
    (
        "two 抵当権 before the taxes: first registered first",
        300_000,
        0,
        [
            secured("second", 200_000, D(2023, 6, 1)),
            secured("first", 200_000, D(2022, 6, 1)),
            seizing("city", 1),
        ],
        {"first": 200_000, "second": 100_000, "city": 0},
        0,
    ),
    ("nothing to distribute", 0, 0, [seizing("city", 10_000)], {"city": 0}, 0),
]


@pytest.mark.parametrize(
    "proceeds,costs,claims,expected,surplus", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_distribution_order(proceeds, costs, claims, expected, surplus):
    result = distribute(proceeds, costs, claims)
    assert {c.claimant: result.allocated_to(c.claimant) for c in claims} == expected
    assert result.surplus == surplus
    assert result.allocated_to("disposition_costs") == min(costs, proceeds)
    assert sum(a.allocated for a in result.allocations) + result.surplus == proceeds  # every yen accounted


@pytest.mark.parametrize(
    "claims,reason",
    [
        ([seizing("city", 1), seizing("nta", 1)], "more_than_one_attaching_authority"),
        ([Claim("nta", K.CLAIM_FILING, 1, None, D(2025, 3, 15))], "filing_day_required"),
        ([seizing("city", 1), Claim("bank", K.SECURED, 1, None)], "filing_day_required"),
        ([Claim("city", K.SEIZURE, 1), secured("bank", 1, D(2024, 1, 1))], "statutory_due_date_required"),
        (
            # registered between the two taxes' 法定納期限等: circular priority (徴収法26)
            [
                seizing("city", 1, due=D(2024, 3, 15)),
                filing("nta", 1, D(2026, 9, 2), due=D(2025, 3, 15)),
                secured("bank", 1, D(2024, 10, 1)),
            ],
            "circular_priority",
        ),
        ([seizing("city", -1)], "negative_amount"),
    ],
)
def test_distribution_refusals(claims, reason):
    with pytest.raises(DistributionError, match=reason):
        distribute(100, 0, claims)


ITEMS = [
    OwnItem("N-2", 1, D(2025, 7, 31), principal=50_000, late_fee=3_000, demand_fee=100),
    OwnItem("N-1", 1, D(2025, 6, 30), principal=40_000, late_fee=2_500, demand_fee=100),
]


@pytest.mark.parametrize(
    "share,expected",
    [
        # (N-1: fee, 本税, 延滞金), (N-2: fee, 本税, 延滞金)
        (150, [(100, 0, 0), (50, 0, 0)]),
        (200, [(100, 0, 0), (100, 0, 0)]),
        (40_200, [(100, 40_000, 0), (100, 0, 0)]),
        (60_000, [(100, 40_000, 0), (100, 19_800, 0)]),
        (91_000, [(100, 40_000, 800), (100, 50_000, 0)]),
        (95_700, [(100, 40_000, 2_500), (100, 50_000, 3_000)]),
        (0, [(0, 0, 0), (0, 0, 0)]),
    ],
)
def test_own_share_goes_to_fee_then_principal_then_late_fee_oldest_first(share, expected):
    got = {(a.notice_number, a.installment_no): a for a in allocate_own(share, ITEMS)}
    assert [(a.demand_fee, a.principal, a.late_fee) for a in (got[("N-1", 1)], got[("N-2", 1)])] == expected


def test_own_share_cannot_exceed_the_claim():
    with pytest.raises(DistributionError, match="share_exceeds_claim"):
        allocate_own(95_701, ITEMS)
