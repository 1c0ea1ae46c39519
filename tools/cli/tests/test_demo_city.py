"""The demo's 住基 side of the synthetic city (issue 19) and the checks that make the demo fail loudly."""

from __future__ import annotations

import re

import pytest
from osame_address_sync.domain.identifiers import is_valid_my_number
from osame_cli.city import build_city, opened_number
from osame_cli.demo_mission import Mission, check_figures, check_register, summary_rows
from osame_contracts.messages import address_sync

ChangeKind = address_sync.ChangeKind


def numbers(register) -> dict[str, str]:
    out = {}
    for m in register.messages:
        number = opened_number(m)
        if number:
            out[m.addressee_id] = number
    return out


def test_the_register_is_the_same_for_a_seed_and_differs_across_seeds():
    assert build_city(20, seed=7).register == build_city(20, seed=7).register
    assert numbers(build_city(20, seed=7).register) != numbers(build_city(20, seed=8).register)


def test_the_register_does_not_change_the_households_day():
    """The register draws from its own generator: the households' figures stay what they were."""
    with_register = build_city(50, seed=11)
    assert with_register.expected == build_city(50, seed=11).expected
    assert {a.addressee_id for a in with_register.addressees}.isdisjoint(
        {m.addressee_id for m in with_register.register.messages}
    )


@pytest.mark.parametrize("seed", range(12))
def test_every_number_is_valid_and_only_the_same_person_shares_one(seed):
    reg = build_city(5, seed=seed).register
    held = numbers(reg)
    assert all(is_valid_my_number(n) for n in held.values())
    assert held[reg.non_resident] == held[reg.survivor]  # 同一人判定 → 名寄せ
    others = [n for a, n in held.items() if a not in (reg.non_resident, reg.survivor)]
    assert len(set(others)) == len(others) == 4 and held[reg.survivor] not in others


@pytest.mark.parametrize("seed", range(12))
def test_the_print_file_checks_can_tell_the_addresses_apart(seed):
    """Checked addresses are distinct from each other and from every household's address."""
    city = build_city(300, seed=seed)
    reg = city.register
    checked = [*reg.addresses.values(), *reg.old_addresses]
    assert len(set(checked)) == len(checked)
    households = {a.address for a in city.addressees}
    assert not any(x in h or h in x for x in checked for h in households)


def test_each_person_has_the_changes_the_demo_shows_in_sequence():
    reg = build_city(5).register
    kinds: dict[str, list[tuple[int, ChangeKind]]] = {}
    for m in reg.messages:
        if isinstance(m, address_sync.RecordResidentChange):
            kinds.setdefault(m.addressee_id, []).append((m.sequence, m.change_kind))
    assert kinds[reg.mover] == [(1, ChangeKind.MOVED_IN), (2, ChangeKind.MOVED_WITHIN)]
    assert kinds[reg.deceased] == [(1, ChangeKind.MOVED_IN), (2, ChangeKind.DEATH)]
    assert kinds[reg.reverted] == [
        (1, ChangeKind.MOVED_IN),
        (2, ChangeKind.MOVED_WITHIN),
        (3, ChangeKind.CANCELLATION),
    ]
    [cancel] = reg.cancellations
    assert cancel.cancels_change_id == f"demo-{reg.reverted}-2"
    [protection] = [m for m in reg.arrivals if isinstance(m, address_sync.SetProtection)]
    assert protection.addressee_id == reg.protected
    assert reg.arrivals.index(protection) < next(
        i for i, m in enumerate(reg.arrivals) if m.addressee_id == reg.protected and m is not protection
    )


def test_every_person_with_a_letter_owes_a_past_due_installment_on_the_day():
    city = build_city(5)
    reg = city.register
    owing = {a.addressee_id for a in reg.assessments if a.installments[0].due_date < city.day}
    assert owing == {reg.mover, reg.deceased, reg.reverted, reg.protected, reg.non_resident}


def good_stats(city) -> dict[str, dict]:
    reg = city.register
    return {
        "address-sync": {
            "resident_changes": reg.resident_changes,
            "merges": 1,
            "protections": 1,
            "my_numbers": 6,
            "my_number_releases": 1,
        },
        "receipts": {"addressee_merges": 1},
        "collection": {"addressee_merges": 1, "demand_notices": 5, "asset_inquiries": 2},
        "intermediate-server-gw": {
            "permitted_queries": 3,
            "income_queries": 2,
            "income_queries_answered": 1,
            "income_queries_refused": 1,
            "linkage_codes": 1,
            "query_records": 5,
        },
    }


def test_the_checks_pass_on_the_figures_of_a_good_day():
    city = build_city(5)
    mission = Mission()
    check_register(mission, good_stats(city), city)
    check_figures(mission, good_stats(city))
    assert mission.failures == []


@pytest.mark.parametrize(
    ("service", "figure", "value", "reason"),
    [
        ("receipts", "addressee_merges", 0, "the 名寄せ did not reach receipts"),
        ("collection", "addressee_merges", 0, "the 名寄せ did not reach collection"),
        ("address-sync", "merges", 0, "no 名寄せ"),
        ("address-sync", "resident_changes", 8, "holds 8 住基 異動, the register sent 9"),
        ("address-sync", "protections", 0, "no 支援措置"),
        ("intermediate-server-gw", "income_queries_refused", 0, "one answered and one refused"),
        ("intermediate-server-gw", "linkage_codes", 0, "no 符号"),
        ("address-sync", "my_number_releases", 0, "released no 個人番号"),
    ],
)
def test_a_missing_effect_is_a_failure_with_its_reason(service, figure, value, reason):
    city = build_city(5)
    stats = good_stats(city)
    stats[service][figure] = value
    mission = Mission()
    check_register(mission, stats, city)
    check_figures(mission, stats)
    assert len(mission.failures) == 1 and reason in mission.failures[0]


def test_the_summary_rows_carry_no_personal_data():
    city = build_city(5)
    mission = Mission(letters={"printed": 3, "held": 2}, network={"income answers produced": 1})
    text = " ".join(line for _, line in summary_rows(mission, good_stats(city), city))
    reg = city.register
    for m in reg.messages:
        fields = getattr(m, "fields", m)
        for value in (getattr(fields, "name", None), opened_number(m)):
            assert not value or value not in text
    for address in [*reg.addresses.values(), *reg.old_addresses]:
        assert address not in text
    assert not re.search(r"\d{12}", text)
