"""徴収猶予 / 換価の猶予 (issue #12 capabilities): the period and 分割 rules of 法15条, 15条の5, 15条の6
(table tests), the decision's date checks, the 延滞金 exemption by ``osame_law`` (法15条の9), and the
guards: while a 猶予 is in force its installments get no 督促, no 催告 and no 差押."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.domain import postponement as rules
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.postponement import PostponementGround as G
from osame_collection.domain.postponement import PostponementKind as K
from osame_law import ExemptInterval, ExemptionKind

from .test_collection_cases_http import SEIZURE, A, issuer, seed  # noqa: F401 (fixture)
from .test_collection_worklists import staff_client

D = dt.date
TODAY = D(2027, 6, 30)
ROLES = {"collection_staff": ["collection:*"], "clerk": ["collection:postponements.write"]}


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "first_start", "refused"),
    [
        (D(2026, 4, 1), D(2027, 3, 31), None, None),  # 法15条①: one year, 初日算入
        (D(2026, 4, 1), D(2027, 4, 1), None, "period_exceeds_one_year"),
        (D(2024, 3, 1), D(2025, 2, 28), None, None),  # a year from 3/1 in a leap year ends 2/28
        (D(2026, 4, 1), D(2026, 3, 31), None, "ends_before_start"),
        (D(2027, 4, 1), D(2028, 3, 31), D(2026, 4, 1), None),  # 法15条④: extended to 2 years
        (D(2027, 6, 1), D(2028, 4, 1), D(2026, 4, 1), "period_exceeds_two_years"),
    ],
)
def test_period_rules(starts_on, ends_on, first_start, refused):
    if refused is None:
        rules.check_period(starts_on, ends_on, first_start)
    else:
        with pytest.raises(rules.PostponementRefused) as err:
            rules.check_period(starts_on, ends_on, first_start)
        assert err.value.code == refused


@pytest.mark.parametrize(
    ("kind", "applied_on", "ok"),
    [
        (K.CONVERSION_ON_APPLICATION, D(2026, 12, 31), True),  # 法15条の6①: 6 months after 6/30
        (K.CONVERSION_ON_APPLICATION, D(2027, 1, 1), False),
        (K.COLLECTION, D(2027, 6, 1), True),  # 徴収猶予: no such period
        (K.CONVERSION_EX_OFFICIO, D(2027, 6, 1), True),  # 職権: no application
    ],
)
def test_conversion_application_period(kind, applied_on, ok):
    if ok:
        rules.check_application_day(kind, applied_on, [D(2026, 6, 30)])
    else:
        with pytest.raises(rules.PostponementRefused, match="application_period_passed"):
            rules.check_application_day(kind, applied_on, [D(2026, 6, 30)])


@pytest.mark.parametrize(
    ("schedule", "refused"),
    [
        ([(D(2026, 9, 30), 60_000), (D(2026, 12, 31), 60_000)], None),  # 法15条③ 分割
        ([], None),  # one sum at the end
        ([(D(2026, 9, 30), 60_000), (D(2026, 12, 31), 50_000)], "schedule_does_not_add_up"),
        ([(D(2026, 12, 31), 60_000), (D(2026, 9, 30), 60_000)], "schedule_not_in_order"),
        ([(D(2026, 9, 30), 60_000), (D(2027, 1, 5), 60_000)], "schedule_outside_period"),
        ([(D(2026, 9, 30), 120_000), (D(2026, 12, 31), 0)], "schedule_amount_not_positive"),
    ],
)
def test_schedule_rules(schedule, refused):
    args = (schedule, D(2026, 7, 5), D(2027, 1, 4), 120_000)
    if refused is None:
        rules.check_schedule(*args)
    else:
        with pytest.raises(rules.PostponementRefused) as err:
            rules.check_schedule(*args)
        assert err.value.code == refused


@pytest.mark.parametrize(
    ("kind", "ground", "exemption"),
    [  # 法15条の9①, 附則3条の2 (domain-rules §5.1)
        (K.COLLECTION, G.DISASTER, ExemptionKind.COLLECTION_DEFERRAL_DISASTER),
        (K.COLLECTION, G.ILLNESS, ExemptionKind.COLLECTION_DEFERRAL_DISASTER),
        (K.COLLECTION, G.BUSINESS_LOSS, ExemptionKind.COLLECTION_DEFERRAL_BUSINESS),
        (K.COLLECTION, G.LATE_ASSESSMENT, ExemptionKind.COLLECTION_DEFERRAL_BUSINESS),
        (K.CONVERSION_EX_OFFICIO, G.MORE_COLLECTED, ExemptionKind.CONVERSION_DEFERRAL),
        (K.CONVERSION_ON_APPLICATION, G.HARDSHIP, ExemptionKind.CONVERSION_DEFERRAL),
    ],
)
def test_ground_gives_the_exemption_kind(kind, ground, exemption):
    rules.check_ground(kind, ground)
    assert rules.exemption_kind(kind, ground) is exemption


def test_wrong_ground_and_cancellation():
    with pytest.raises(rules.PostponementRefused, match="ground_not_for_kind"):
        rules.check_ground(K.CONVERSION_ON_APPLICATION, G.DISASTER)
    p = rules.Postponement(K.COLLECTION, G.ILLNESS, D(2026, 7, 5), D(2027, 1, 4), D(2026, 10, 1))
    assert p.in_force(D(2026, 9, 30)) and not p.in_force(D(2026, 10, 1)) and not p.in_force(D(2026, 7, 4))
    assert p.exempt_interval(D(2027, 3, 1)) == ExemptInterval(
        D(2026, 7, 5), D(2026, 9, 30), ExemptionKind.COLLECTION_DEFERRAL_DISASTER
    )
    assert p.exempt_interval(D(2026, 7, 1)) is None


# -- the service -------------------------------------------------------------------------------


@pytest.fixture
async def client(service, issuer):  # noqa: F811
    async with staff_client(service, issuer, ROLES, TODAY) as c:
        yield c


async def post(client, path, body, status=None):
    response = await client.post(path, json=body)
    if status is not None:
        assert response.status_code == status, response.text
    return response


async def grant(
    client,
    kind="collection",
    ground="illness",
    applied_on="2026-07-05",
    installments=(("R8-100", 1),),
    **decision,
):
    applied = await post(
        client,
        f"/cases/{A}/postponements",
        {"kind": kind, "ground": ground, "applied_on": applied_on, "installments": installments},
        201,
    )
    postponement_id = applied.json()["result"]
    body = {"approve": True, "decided_on": "2026-07-10", "starts_on": applied_on, "ends_on": "2027-01-04"}
    decided = await post(client, f"/postponements/{postponement_id}/decision", {**body, **decision})
    return postponement_id, decided


async def test_no_demand_reminder_or_seizure_while_in_force(service, client):
    await seed(service)
    await post(client, "/batches/nightly", {"batch_date": "2026-07-15"}, 200)  # 督促 of the 6/30 one
    postponement_id, decided = await grant(
        client,
        applied_on="2026-07-20",
        decided_on="2026-07-21",
        installments=[["R8-100", 1], ["R8-100", 2]],
        schedule=[{"due_on": "2026-09-30", "amount": 120_000}, {"due_on": "2026-12-31", "amount": 120_000}],
    )
    assert decided.status_code == 200, decided.text
    night = (await post(client, "/batches/nightly", {"batch_date": "2026-09-15"}, 200)).json()["result"]
    assert night["demand_notices"] == 0 and night["withheld"]["hold"] == 1  # the 8/31 one: 猶予
    seizure = await post(client, f"/cases/{A}/dispositions", SEIZURE)
    assert (seizure.status_code, seizure.json()["error"]) == (422, "postponement_in_force")
    campaign = await post(
        client, "/campaigns", {"name": "一斉催告", "criteria": {"require_demand": False}}, 201
    )
    run = await post(client, f"/campaigns/{campaign.json()['result']}/run", {"run_on": "2026-10-20"}, 200)
    assert run.json()["result"]["guarded_installments"] == 2
    assert await service.rows(orm.reminder_items) == []
    # cancelled (取消, 法15条の3): the next batch duns the 8/31 one, the seizure is possible again
    await post(client, f"/postponements/{postponement_id}/cancel", {"cancelled_on": "2026-11-01"}, 200)
    await post(client, "/batches/nightly", {"batch_date": "2026-11-05"}, 200)
    assert {r["installment_no"] for r in await service.rows(orm.demand_notices)} == {1, 2}
    assert (
        await post(client, f"/cases/{A}/dispositions", {**SEIZURE, "executed_on": "2026-11-06"})
    ).status_code == 201


@pytest.mark.parametrize(
    ("ground", "exemption"),
    [
        ("illness", ExemptionKind.COLLECTION_DEFERRAL_DISASTER),
        ("business_loss", ExemptionKind.COLLECTION_DEFERRAL_BUSINESS),
    ],
)
async def test_late_fee_of_the_postponed_days_is_exempt_by_the_law_library(
    service, client, ground, exemption
):
    await seed(service)
    _, decided = await grant(
        client, ground=ground, applied_on="2026-09-01", decided_on="2026-09-02", ends_on="2026-11-30"
    )
    assert decided.status_code == 200, decided.text
    view = (await client.get(f"/cases/{A}?as_of=2026-12-31")).json()
    fee = {u["installment_no"]: u["late_fee"] for u in view["unpaid"]}
    exempt = [ExemptInterval(D(2026, 9, 1), D(2026, 11, 30), exemption)]
    assert fee[1] == accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 31), [], exempt).late_fee
    assert fee[1] < accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 31), [], []).late_fee
    assert fee[2] == accrued_late_fee(120_000, D(2026, 8, 31), D(2026, 12, 31), [], []).late_fee
    [row] = view["postponements"]
    assert (row["status"], row["amount"], row["ends_on"]) == ("approved", 120_000, "2026-11-30")


@pytest.mark.parametrize(
    ("application", "decision", "error"),
    [
        ({}, {"decided_on": "2026-07-01"}, "decided_on:before_applied_on"),
        ({}, {"decided_on": "2027-07-01"}, "decided_on:after_business_date"),
        ({}, {"starts_on": "2026-07-01"}, "starts_on:before_applied_on"),
        ({}, {"ends_on": "2027-07-05"}, "period_exceeds_one_year"),
        ({}, {"amount": 130_000}, "amount:exceeds_unpaid"),
        ({}, {"schedule": [{"due_on": "2026-09-30", "amount": 1}]}, "schedule_does_not_add_up"),
        ({"kind": "conversion_on_application", "ground": "hardship", "applied_on": "2027-01-05"}, {}, None),
    ],
)
async def test_decision_dates_and_amounts_are_checked(service, client, application, decision, error):
    await seed(service)
    if error is None:  # 換価の猶予 applied for more than 6 months after the 納期限 (法15条の6①)
        refused = await post(
            client,
            f"/cases/{A}/postponements",
            {"kind": "conversion_on_application", "ground": "hardship", "applied_on": "2027-01-05"},
        )
        assert (refused.status_code, refused.json()["error"]) == (422, "application_period_passed")
        return
    _, decided = await grant(client, **application, **decision)
    assert (decided.status_code, decided.json()["error"]) == (422, error)


async def test_application_checks_permissions_extension_and_overlap(service, client, issuer):  # noqa: F811
    await seed(service)
    early = await post(
        client,
        f"/cases/{A}/postponements",
        {"kind": "conversion_ex_officio", "ground": "hardship", "applied_on": "2026-06-01"},
    )
    assert early.json()["error"] == "applied_on:not_after_due_date"  # 換価の猶予: only once in arrears
    wrong = await post(
        client,
        f"/cases/{A}/postponements",
        {"kind": "collection", "ground": "hardship", "applied_on": "2026-07-01"},
    )
    assert wrong.json()["error"] == "ground_not_for_kind"
    clerk = {"Authorization": f"Bearer {issuer.token('staff-09', ['clerk'])}"}
    applied = await client.post(
        f"/cases/{A}/postponements",
        json={"kind": "collection", "ground": "illness", "applied_on": "2026-07-05"},
        headers=clerk,
    )
    assert applied.status_code == 201
    decide = await client.post(
        f"/postponements/{applied.json()['result']}/decision",
        json={"approve": False, "decided_on": "2026-07-06"},
        headers=clerk,
    )
    assert decide.status_code == 403  # deciding needs postponements.decide
    refused = await post(
        client,
        f"/postponements/{applied.json()['result']}/decision",
        {"approve": False, "decided_on": "2026-07-06"},
        200,
    )
    assert refused.json()["result"]["status"] == "refused"
    postponement_id, decided = await grant(client)
    assert decided.status_code == 200
    # a second 猶予 on the same 期別 for overlapping days is refused
    _, overlap = await grant(client, applied_on="2026-12-01", ends_on="2027-05-31", decided_on="2026-12-02")
    assert overlap.json()["error"] == "overlaps_postponement"
    # 延長 (法15条④): while in force, at most 2 years from the first start
    late = await post(
        client,
        f"/postponements/{postponement_id}/extension",
        {"decided_on": "2027-01-05", "ends_on": "2027-06-30"},
    )
    assert late.json()["error"] == "decided_on:not_while_in_force"
    too_long = await post(
        client,
        f"/postponements/{postponement_id}/extension",
        {"decided_on": "2026-12-20", "ends_on": "2028-07-05"},
    )
    assert too_long.json()["error"] == "period_exceeds_one_year"
    ok = await post(
        client,
        f"/postponements/{postponement_id}/extension",
        {"decided_on": "2026-12-20", "ends_on": "2027-06-30"},
        200,
    )
    assert ok.json()["result"]["ends_on"] == "2027-06-30"


# -- 履行監視 of the 分割 (法15条の3①一) -----------------------------------------------------------


def test_missed_payment_is_cumulative_and_skips_what_staff_continued_past():
    schedule = [(D(2026, 9, 30), 60_000), (D(2026, 12, 31), 60_000)]
    paid = {D(2026, 10, 7): 59_999, D(2027, 1, 7): 120_000}
    breach = rules.missed_payment(schedule, paid.__getitem__, D(2026, 10, 8), 7)
    assert (breach.missed_due_on, breach.shortfall) == (D(2026, 9, 30), 1)
    assert rules.missed_payment(schedule, paid.__getitem__, D(2026, 10, 7), 7) is None  # lag allowance
    assert rules.missed_payment(schedule, paid.__getitem__, D(2027, 2, 1), 7, after=D(2026, 9, 30)) is None


async def test_missed_installment_is_flagged_and_a_cancellation_ends_the_exemption(service, client):
    from osame_collection.service_layer import handlers

    from .test_collection_nightly import ledger_state, receipt

    await seed(service)
    postponement_id, decided = await grant(
        client,
        applied_on="2026-07-20",
        decided_on="2026-07-21",
        ends_on="2026-12-15",
        schedule=[{"due_on": "2026-09-30", "amount": 60_000}, {"due_on": "2026-11-30", "amount": 60_000}],
    )
    assert decided.status_code == 200, decided.text
    await service.handle(
        handlers.note_receipt, receipt("r-s1", "R8-100", 1, D(2026, 10, 2), 1_000, addressee=A)
    )
    state = ledger_state("R8-100", 1, 120_000, 1_000, D(2026, 6, 30), paid_on=D(2026, 10, 2), addressee=A)
    await service.handle(handlers.project_installment_states, state)
    night = (await post(client, "/batches/nightly", {"batch_date": "2026-10-07"}, 200)).json()["result"]
    assert night["postponements_breached"] == 0  # 9/30 + 7 days of data lag not over yet
    night = (await post(client, "/batches/nightly", {"batch_date": "2026-10-08"}, 200)).json()["result"]
    assert night["postponements_breached"] == 1
    again = (await post(client, "/batches/nightly", {"batch_date": "2026-10-09"}, 200)).json()["result"]
    assert again["postponements_breached"] == 0  # awaiting the decision: flagged once
    listed = (await client.get("/worklists/postponements-breached?assignee=*")).json()
    [item] = listed["items"]
    assert (item["postponement_id"], item["missed_due_on"], item["shortfall"]) == (
        postponement_id,
        "2026-09-30",
        59_000,
    )
    path = f"/postponements/{postponement_id}/breach-decision"
    no_note = await post(client, path, {"decision": "continue", "decided_on": "2026-10-12"})
    assert no_note.status_code == 422
    kept = await post(
        client, path, {"decision": "continue", "decided_on": "2026-10-12", "note": "電話で確約"}, 200
    )
    assert kept.json()["result"]["decision"] == "continue"
    assert (await client.get("/worklists/postponements-breached?assignee=*")).json()["total"] == 0
    night = (await post(client, "/batches/nightly", {"batch_date": "2026-12-08"}, 200)).json()["result"]
    assert night["postponements_breached"] == 1  # the 11/30 amount, a later 期限
    cancel = {"decision": "cancel", "decided_on": "2026-12-10", "note": "分割不履行"}
    cancelled = await post(client, path, cancel, 200)
    assert cancelled.json()["result"]["exemption_ends_on"] == "2026-11-30"  # 法15条の9①ただし書
    assert (await post(client, path, cancel)).json()["error"] == "postponement_cancelled"
    # the 延滞金 of installment 1: exempt 7/20..11/30 only (illness: full exemption), by the law library
    view = (await client.get(f"/cases/{A}?as_of=2026-12-31")).json()
    fee = {u["installment_no"]: u["late_fee"] for u in view["unpaid"]}
    kind, payments = ExemptionKind.COLLECTION_DEFERRAL_DISASTER, [(D(2026, 10, 2), 1_000)]
    exempt = [ExemptInterval(D(2026, 7, 20), D(2026, 11, 30), kind)]
    assert fee[1] == accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 31), payments, exempt).late_fee
    longer = [ExemptInterval(D(2026, 7, 20), D(2026, 12, 9), kind)]  # exemption to the day before 取消
    assert fee[1] > accrued_late_fee(120_000, D(2026, 6, 30), D(2026, 12, 31), payments, longer).late_fee
    actions = [e["action"] for e in (await client.get(f"/audit?addressee_id={A}")).json()["entries"]]
    assert {
        "postponement.breach.flagged",
        "postponement.breach.continue",
        "postponement.breach.cancel",
    } <= set(actions)
