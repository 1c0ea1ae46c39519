"""Table-driven tests of collection's pure rules (domain/)."""

from __future__ import annotations

from datetime import date

import pytest
from osame_collection.domain import seizure as sz
from osame_collection.domain.campaign import CampaignCriteria, OpenItem, addressee_matches
from osame_collection.domain.demand import DunningView, Withheld, is_late, may_issue_demand, withheld_reason
from osame_collection.domain.letters import mailing
from osame_collection.domain.pledge import ScheduledPayment, first_breach, validate_schedule
from osame_collection.domain.stay import Stay, StayGround
from osame_collection.domain.write_off import WriteOffCause, extinction

d = date.fromisoformat
BATCH = d("2026-07-10")


def view(**kw):
    base = dict(
        due_date=d("2026-06-30"),
        open=True,
        demanded=False,
        written_off=False,
        unreflected_receipt=False,
        pending_preliminary=False,
        held=False,
    )
    return DunningView(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "issue", "reason"),
    [
        ({}, True, None),
        ({"due_date": BATCH}, False, None),  # due today: not yet overdue
        ({"open": False}, False, None),
        ({"demanded": True}, False, None),
        ({"written_off": True}, False, None),
        # a confirmed receipt the ledger does not show yet (行き違い): wait for it
        ({"unreflected_receipt": True}, False, Withheld.RECEIPT),
        # a partial payment the ledger shows: the remainder is dunned (issue #12 defect 1)
        ({"unreflected_receipt": False}, True, None),
        ({"pending_preliminary": True}, False, Withheld.PRELIMINARY),
        ({"held": True}, False, Withheld.HOLD),
    ],
)
def test_demand_eligibility(kw, issue, reason):
    v = view(**kw)
    assert may_issue_demand(v, BATCH, 0) is issue
    assert withheld_reason(v, BATCH) == reason


def test_late_demand_after_twenty_days():
    assert not is_late(d("2026-06-30"), d("2026-07-20"))
    assert is_late(d("2026-06-30"), d("2026-07-21"))


@pytest.mark.parametrize(
    ("gross", "taxes", "social", "dependents", "protected"),
    [
        (300_000, 20_000, 40_000, 1, 224_000),  # 60,000 + 145,000 + 20% of 95,000
        (150_000, 5_000, 20_000, 0, 130_000),  # 25,000 + 100,000 + 20% of 25,000
        (2_000_000, 150_000, 100_000, 0, 550_000),  # the 20% part (330,000) capped at 2 × 100,000
        (100_000, 10_000, 10_000, 2, 100_000),  # never more than the gross
        (0, 0, 0, 3, 0),
    ],
)
def test_protected_salary(gross, taxes, social, dependents, protected):
    assert sz.protected_salary(gross, taxes, social, dependents) == protected


@pytest.mark.parametrize(
    ("ours", "holder", "result"),
    [
        (
            sz.Identity("試験 太郎", d("1980-01-01"), "高岡市1"),
            sz.Identity("試験太郎", d("1980-01-01")),
            sz.MatchResult.NAME_AND_BIRTH_DATE,
        ),
        (
            sz.Identity("試験 太郎", None, "高岡市１"),
            sz.Identity("試験　太郎", None, "高岡市1"),
            sz.MatchResult.NAME_AND_ADDRESS,
        ),
        (
            sz.Identity("試験 太郎", d("1980-01-01"), "高岡市1"),
            sz.Identity("試験 太郎", d("1980-01-02"), "東京都"),
            sz.MatchResult.NAME_ONLY,
        ),
        (
            sz.Identity("試験 太郎", None, "高岡市1"),
            sz.Identity("試験 次郎", None, "高岡市1"),
            sz.MatchResult.NO_MATCH,
        ),
        (sz.Identity("", None, ""), sz.Identity("", None, ""), sz.MatchResult.NO_MATCH),
    ],
)
def test_f12_holder_match(ours, holder, result):
    assert sz.match_holder(ours, holder) is result
    assert sz.is_accepted(result) is (
        result in (sz.MatchResult.NAME_AND_BIRTH_DATE, sz.MatchResult.NAME_AND_ADDRESS)
    )


def test_f13_child_allowance_in_a_deposit_is_protected():
    # 鳥取県: 130,000 児童手当 arrived on a balance of 73 → only 73 seizable
    assert sz.seizable_deposit(130_073, [sz.Credit(sz.CreditSource.CHILD_ALLOWANCE, 130_000)]) == (
        73,
        130_000,
    )
    salary = sz.Credit(sz.CreditSource.SALARY, 250_000, protected_part=200_000)
    assert sz.seizable_deposit(260_000, [salary]) == (60_000, 200_000)
    assert sz.seizable_deposit(50_000, [sz.Credit(sz.CreditSource.PUBLIC_ASSISTANCE, 80_000)]) == (0, 50_000)


@pytest.mark.parametrize(
    ("stay", "extinguished"),
    [
        (Stay(StayGround.LIVELIHOOD, d("2026-01-10")), d("2029-01-11")),
        (Stay(StayGround.NO_PROPERTY, d("2026-01-10"), immediate_extinction=True), d("2026-01-10")),
        (Stay(StayGround.WHEREABOUTS_UNKNOWN, d("2026-01-10"), cancelled_on=d("2027-05-01")), None),
        (Stay(StayGround.LIVELIHOOD, d("2024-02-29")), d("2027-03-01")),
    ],
)
def test_stay_extinction(stay, extinguished):
    assert stay.extinguished_on() == extinguished


def test_stay_exemption_interval_ends_before_cancellation():
    stay = Stay(StayGround.LIVELIHOOD, d("2026-01-10"), cancelled_on=d("2026-05-01"))
    interval = stay.exempt_interval(d("2026-12-31"))
    assert (interval.start, interval.end) == (d("2026-01-10"), d("2026-04-30"))
    assert Stay(StayGround.LIVELIHOOD, d("2026-01-10")).exempt_interval(d("2026-01-09")) is None
    with pytest.raises(ValueError):
        Stay(StayGround.LIVELIHOOD, d("2026-01-10"), immediate_extinction=True)


@pytest.mark.parametrize(
    ("limitation", "stays", "as_of", "expected"),
    [
        (d("2031-07-01"), [], d("2031-06-30"), None),
        (d("2031-07-01"), [], d("2031-07-01"), (WriteOffCause.LIMITATION, d("2031-07-01"))),
        (
            d("2031-07-01"),
            [(d("2029-01-11"), False)],
            d("2030-01-01"),
            (WriteOffCause.STAY_THREE_YEARS, d("2029-01-11")),
        ),
        (
            d("2031-07-01"),
            [(d("2026-01-10"), True)],
            d("2026-01-10"),
            (WriteOffCause.IMMEDIATE_EXTINCTION, d("2026-01-10")),
        ),
        (
            d("2029-01-11"),
            [(d("2029-01-11"), False)],
            d("2029-02-01"),
            (WriteOffCause.STAY_THREE_YEARS, d("2029-01-11")),
        ),
    ],
)
def test_write_off_cause(limitation, stays, as_of, expected):
    assert extinction(limitation, stays, as_of) == expected


def test_pledge_breach_and_validation():
    schedule = [ScheduledPayment(d("2026-09-30"), 30_000), ScheduledPayment(d("2026-10-31"), 30_000)]
    paid = {d("2026-10-07"): 30_000, d("2026-11-07"): 45_000}
    assert first_breach(schedule, paid.__getitem__, d("2026-10-08"), 7) is None
    breach = first_breach(schedule, paid.__getitem__, d("2026-11-08"), 7)
    assert (breach.missed_due_on, breach.shortfall) == (d("2026-10-31"), 15_000)
    with pytest.raises(ValueError):
        validate_schedule(list(reversed(schedule)), d("2026-09-01"))
    with pytest.raises(ValueError):
        validate_schedule(schedule, d("2026-10-01"))


def test_campaign_criteria():
    items = [
        OpenItem("1", "N", 1, "resident_tax", d("2026-03-31"), 40_000, True),
        OpenItem("1", "N", 2, "fixed_asset_tax", d("2026-06-30"), 10_000, True),
        OpenItem("1", "N", 3, "resident_tax", d("2026-06-30"), 10_000, False),
    ]
    run = d("2026-07-31")
    c = CampaignCriteria(
        tax_items=["resident_tax"], min_total=30_000, min_days_overdue=60, postal_prefixes=["933"]
    )
    assert [i.installment_no for i in addressee_matches(c, "933-0001", None, items, run)] == [1]
    assert addressee_matches(c, "100-0001", None, items, run) == []
    assert addressee_matches(CampaignCriteria(assignees=["staff-1"]), "933", "staff-2", items, run) == []
    assert addressee_matches(CampaignCriteria(max_total=20_000), "933", None, items, run) == []
    assert len(addressee_matches(CampaignCriteria(require_demand=False), "933", None, items, run)) == 3


def test_letter_mailing_rules():
    person = {
        "name": "試験 太郎",
        "postal_code": "933-0001",
        "address": "高岡市1",
        "protected": False,
        "deceased_on": None,
    }
    override = {"recipient": "代理人", "postal_code": "100-0001", "address": "東京都1"}
    assert mailing(person, None) == ("試験 太郎", "933-0001", "高岡市1", False, None)
    assert mailing(person, override) == ("代理人", "100-0001", "東京都1", True, None)
    assert mailing({**person, "protected": True, "address": ""}, override)[4] == "protected_address"
    assert mailing({**person, "deceased_on": d("2026-01-01")}, None)[4] == "deceased"
    assert mailing(None, None)[4] == "unknown_addressee"


# 督促 data cut-off (issue #12 defect 2): N business days after the 納期限 must have passed
@pytest.mark.parametrize(
    ("due", "cutoff_days", "issue"),
    [
        ("2026-07-09", 0, True),  # the night after the 納期限 with no allowance
        ("2026-07-09", 1, False),  # cut-off Fri 7/10 = the batch date: not yet
        ("2026-07-08", 1, True),  # cut-off Thu 7/9 < batch date
        ("2026-07-06", 3, True),  # cut-off Thu 7/9
        ("2026-07-07", 3, False),  # cut-off Fri 7/10
    ],
)
def test_demand_waits_for_the_data_cutoff(due, cutoff_days, issue):
    assert may_issue_demand(view(due_date=d(due)), BATCH, cutoff_days) is issue
