"""Staged 特別徴収 / 申告納付 messages (issue 15 phase 1): schemas, naming, planned consumers, shape.

They stay out of the registry until phase 2 wires their consumers, so the house rule "every
event has a consumer" keeps holding; these tests hold them to the same standards meanwhile.
"""

import datetime as dt

import pytest
from osame_contracts.base import ROUTING_KEY_PATTERN
from osame_contracts.messages import taxation_self_assessment as sa
from osame_contracts.messages import taxation_special_collection as sc
from osame_contracts.registry import REGISTRY
from osame_contracts.staged import PLANNED_CONSUMERS, SCHEMA_DIR, STAGED, render_all
from osame_contracts.topology import SERVICES, SUBSCRIPTIONS
from pydantic import ValidationError

d = dt.date.fromisoformat
KEYS = sorted(m.routing_key for m in STAGED)


def test_committed_staged_schemas_match_models():
    rendered = render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    drifted = sorted(n for n in rendered if committed.get(n) != rendered[n])
    stale = sorted(set(committed) - set(rendered))
    assert not drifted and not stale, f"run `uv run python -m osame_contracts.staged` ({drifted} / {stale})"


@pytest.mark.parametrize("key", KEYS)
def test_staged_keys_are_versioned_events_off_the_bus(key):
    model = next(m for m in STAGED if m.routing_key == key)
    # the 税務システム's messages, and receipts' 特別徴収 納入 events awaiting collection
    assert ROUTING_KEY_PATTERN.match(key) and key.startswith(
        ("taxation.", "receipts.withholding-remittance.")
    )
    assert key not in REGISTRY and model not in REGISTRY.values()
    assert all(model not in consumed for consumed in SUBSCRIPTIONS.values())


@pytest.mark.parametrize("key", KEYS)
def test_every_staged_message_has_planned_consumers(key):
    consumers = PLANNED_CONSUMERS.get(key, ())
    assert consumers and set(consumers) <= set(SERVICES)


def test_no_plan_for_a_message_that_does_not_exist():
    assert set(PLANNED_CONSUMERS) == set(KEYS)
    assert len(KEYS) == len(set(KEYS))


def employee(**overrides):
    fields = {
        "addressee_id": "100200",
        "notice_number": "T2025-0001",
        "annual_amount": 100_000,
        "monthly_amounts": [8_700] + [8_300] * 11,
    }
    return sc.EmployeeWithholding(**{**fields, **overrides})


def determined(**overrides):
    fields = {
        "obligor_addressee_id": "900001",
        "designation_number": "0012345",
        "fiscal_year": 2025,
        "revision": 1,
        "notified_on": d("2025-05-15"),
        "remittance_schedule": sc.RemittanceSchedule.MONTHLY,
        "part_no": 1,
        "part_count": 1,
        "employees": [employee()],
    }
    return sc.SpecialCollectionDetermined(**{**fields, **overrides})


def test_a_determination_round_trips_through_json():
    message = determined()
    assert sc.SpecialCollectionDetermined.model_validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"employees": [employee(), employee()]}, "appears twice"),
        ({"remittance_schedule": sc.RemittanceSchedule.SEMIANNUAL}, "special_approved_on"),
        ({"special_approved_on": d("2025-03-01")}, "special_approved_on"),
        ({"part_no": 2}, "part_no"),
        ({"notified_on": d("2026-06-01")}, "31 May"),
    ],
)
def test_incoherent_determinations_are_refused(overrides, fragment):
    with pytest.raises(ValidationError, match=fragment):
        determined(**overrides)


def test_monthly_amounts_must_add_up_and_errors_do_not_echo_the_amounts():
    with pytest.raises(ValidationError) as err:
        employee(monthly_amounts=[8_701] + [8_300] * 11)
    assert "add up" in str(err.value) and "8701" not in str(err.value)


def test_a_change_names_a_month_of_the_year():
    with pytest.raises(ValidationError, match="changed_from"):
        sc.SpecialCollectionChanged(**determined().model_dump(), changed_from="2025-05")
    ok = sc.SpecialCollectionChanged(**determined().model_dump(), changed_from="2025-09")
    assert ok.changed_from == "2025-09"


def separated(**overrides):
    fields = {
        "obligor_addressee_id": "900001",
        "designation_number": "0012345",
        "fiscal_year": 2025,
        "addressee_id": "100200",
        "notice_number": "T2025-0001",
        "revision": 2,
        "reason": sc.SeparationReason.RETIREMENT,
        "event_on": d("2025-08-31"),
        "reported_on": d("2025-09-05"),
        "annual_amount": 100_000,
        "last_withheld_month": "2025-08",
        "withheld_total": 25_300,
        "ordinary": 74_700,
    }
    return sc.SpecialCollectionSeparated(**{**fields, **overrides})


def test_separation_must_account_for_every_yen():
    assert separated().ordinary == 74_700
    split = separated(ordinary=30_000, lump_sum=44_700, lump_sum_month="2025-08")
    assert split.lump_sum + split.ordinary == 74_700
    with pytest.raises(ValidationError, match="must equal the annual amount"):
        separated(ordinary=70_000)
    with pytest.raises(ValidationError, match="lump_sum_month"):
        separated(ordinary=0, lump_sum=74_700)
    with pytest.raises(ValidationError, match="new 指定番号"):
        separated(ordinary=0, continued=74_700)
    with pytest.raises(ValidationError, match="outside the fiscal year"):
        separated(event_on=d("2026-06-01"), reported_on=d("2026-06-02"))


def test_pension_lines():
    main = sc.PensionWithholdingLine(
        addressee_id="100300",
        notice_number="P2025-0001",
        pension_payer_code="001",
        stage=sc.PensionStage.MAIN,
        payments=[{"month": m, "amount": 2_000} for m in ("2025-10", "2025-12", "2026-02")],
        annual_amount=36_000,
        provisional_withheld=30_000,
    )
    message = sc.PensionWithholdingDetermined(
        fiscal_year=2025, revision=1, determined_on=d("2025-07-20"), lines=[main]
    )
    assert message.lines[0].annual_amount == 36_000
    with pytest.raises(ValidationError, match="annual amount"):
        sc.PensionWithholdingLine(**{**main.model_dump(), "annual_amount": None})
    with pytest.raises(ValidationError, match="neither"):
        sc.PensionWithholdingLine(**{**main.model_dump(), "stage": sc.PensionStage.PROVISIONAL})


def corporate(**overrides):
    fields = {
        "addressee_id": "800001",
        "notice_number": "H2025-0001",
        "business_year_start": d("2024-04-01"),
        "business_year_end": d("2025-03-31"),
        "revision": 1,
        "filing_kind": sa.FilingKind.FINAL,
        "filed_on": d("2025-05-30"),
        "corporate_tax_levy": 1_200_000,
        "per_capita_levy": 410_000,
        "already_fixed": 600_000,
        "tax_payable": 1_010_000,
        "statutory_due_date": d("2025-05-31"),
    }
    return sa.CorporateReturnFiled(**{**fields, **overrides})


def test_corporate_return_arithmetic_and_amendments():
    assert corporate().tax_payable == 1_010_000
    refund = corporate(corporate_tax_levy=100_000, tax_payable=-90_000)
    assert refund.tax_payable < 0
    amended = corporate(
        filing_kind=sa.FilingKind.AMENDED,
        amends_kind=sa.FilingKind.FINAL,
        original_filed_on=d("2025-05-30"),
        filed_on=d("2026-09-30"),
        corporate_tax_levy=1_700_000,
        already_fixed=1_610_000,
        tax_payable=500_000,
        revision=2,
    )
    assert amended.amends_kind is sa.FilingKind.FINAL
    with pytest.raises(ValidationError, match="法人税割 \\+ 均等割"):
        corporate(tax_payable=1)
    with pytest.raises(ValidationError, match="修正申告 names"):
        corporate(filing_kind=sa.FilingKind.AMENDED)
    with pytest.raises(ValidationError, match="at most one year"):
        corporate(business_year_end=d("2025-04-30"))


def test_reassessment_shapes():
    fields = {
        "addressee_id": "800001",
        "notice_number": "H2025-0001",
        "business_year_start": d("2024-04-01"),
        "business_year_end": d("2025-03-31"),
        "revision": 3,
        "reassessment_kind": sa.ReassessmentKind.CORRECTION,
        "amends_kind": sa.FilingKind.FINAL,
        "notified_on": d("2025-11-14"),
        "corporate_tax_levy": 1_500_000,
        "per_capita_levy": 410_000,
        "deficiency": 300_000,
        "deficiency_due_date": d("2025-12-15"),
        "statutory_due_date": d("2025-05-31"),
        "original_filed_on": d("2025-05-30"),
    }
    assert sa.CorporateTaxReassessed(**fields).deficiency == 300_000
    with pytest.raises(ValidationError, match="決定 has none"):
        sa.CorporateTaxReassessed(**{**fields, "reassessment_kind": sa.ReassessmentKind.DETERMINATION})
    with pytest.raises(ValidationError, match="deficiency_due_date"):
        sa.CorporateTaxReassessed(**{**fields, "deficiency": -10_000})


def remittance(**overrides):
    from osame_contracts.messages import receipts_withholding as rw

    fields = {
        "obligor_addressee_id": "900001",
        "designation_number": "0012345",
        "fiscal_year": 2025,
        "months": ["2025-06"],
        "statutory_due_date": d("2025-07-10"),
        "due_date": d("2025-07-10"),
        "expected_amount": 21_600,
        "version": 1,
    }
    return rw.WithholdingRemittanceDue(**{**fields, **overrides})


def test_a_remittance_round_trips_through_json():
    message = remittance(months=[f"2025-{m:02d}" for m in range(6, 12)])  # 納期の特例: June..November
    assert type(message).model_validate_json(message.model_dump_json()) == message


@pytest.mark.parametrize(
    "overrides",
    [
        {"months": ["2025-05"]},  # May 2025 belongs to 年度 2024
        {"months": ["2025-07", "2025-06"]},
        {"due_date": d("2025-07-09")},
    ],
)
def test_an_incoherent_remittance_is_refused(overrides):
    with pytest.raises(ValidationError):
        remittance(**overrides)
