"""Issue #12 law as data (B7, defect 12) and the recalculation preview (B6).

- 督促手数料 history as data: the city's fee by effective date (before 2024-03-25 too), loaded by
  command with its source, audited; a 督促 on a day no fee row covers is an error, never 0 — and
  back-filling older arrears works once the history is loaded.
- A changed rate or fee row is previewed: every affected amount recomputed with ``osame_law`` and
  shown per 宛名番号 as before/after; applying it writes and publishes the change; a re-run changes
  nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.errors import PermanentError
from osame_collection.adapters import orm
from osame_collection.entrypoints import cli
from osame_collection.entrypoints.http import audit_hook, routes
from osame_collection.service_layer import handlers, law_changes
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import collection as contract
from osame_law import RateNotAvailableError, RateRow, RateTable, compute_late_fee
from osame_law.errors import ImplausibleDateError
from osame_law.rates.table import RATE_ROWS
from starlette.applications import Starlette

from .test_collection_law_rates import ROW_2027
from .test_collection_nightly import ADDRESSEE, assessment, nightly

D = dt.date
FEES_2019 = {"effective_from": "2019-10-01", "fee": 100, "source": "test: 市税条例 督促手数料 (illustrative)"}


def pinned(handler, today):
    policy = CollectionPolicy(business_date=lambda: today)
    return lambda command, uow: handler(command, uow, policy=policy)


async def test_backfilling_older_arrears_needs_the_fee_history_then_works(service):
    await service.handle(handlers.project_assessment, assessment("N-23", [(1, 50_000, D(2023, 5, 31), 0)]))
    with pytest.raises(RateNotAvailableError):  # no 督促手数料 before 2024-03-25: an error, never 0
        await nightly(service, D(2023, 7, 1))
    assert await service.count(orm.demand_notices) == 0

    loaded = await cli.law_command(service.runtime, {"demand_fees": [FEES_2019]}, "s-01", apply=True)
    assert loaded["applied"] is True
    summary = await nightly(service, D(2023, 7, 1))
    assert summary["demand_notices"] == 1 and summary["demand_fee"] == 100
    [row] = await service.rows(orm.law_demand_fees)
    assert (row["fee"], row["source"], row["loaded_by"]) == (100, FEES_2019["source"], "s-01")
    [entry] = [e for e in await service.rows(orm.audit_log) if e["operation"] == "law.change.apply"]
    assert entry["detail"]["demand_fees"][0]["row"]["effective_from"] == "2019-10-01"


async def test_a_fee_change_on_served_notices_is_shown_but_not_applied(service):
    await service.handle(handlers.project_assessment, assessment("N-F", [(1, 100_000, D(2026, 6, 30), 0)]))
    await nightly(service, D(2026, 7, 15))
    change = law_changes.LawChange(
        demand_fees=[{"effective_from": "2024-03-25", "fee": 200, "source": "test: a mistyped fee"}],
        staff_user="s-01",
    )
    shown = await service.handle(pinned(law_changes.preview, D(2026, 7, 16)), change)
    [taxpayer] = shown["taxpayers"]
    assert taxpayer["addressee_id"] == ADDRESSEE
    assert taxpayer["items"][0]["demand_fee"]["before"] == 100
    assert taxpayer["items"][0]["demand_fee"]["after"] == 200
    with pytest.raises(PermanentError, match="demand_fee_change_affects_served_notices"):
        await service.handle(pinned(law_changes.apply, D(2026, 7, 16)), change)
    assert await service.count(orm.law_demand_fees) == 0


async def test_a_changed_2027_rate_is_previewed_applied_and_a_rerun_changes_nothing(service):
    today = D(2027, 3, 2)
    due = D(2026, 6, 30)
    await service.handle(handlers.project_assessment, assessment("N-27", [(1, 1_000_000, due, 0)]))
    await service.handle(
        handlers.project_assessment, assessment("N-26", [(1, 500_000, D(2026, 1, 31), 0)], addressee="200002")
    )
    await cli.rates_command(service.runtime, [ROW_2027], "s-01")
    await service.handle(pinned(run_nightly, today), RunNightly(batch_date=today))
    held = {r["notice_number"]: r for r in await service.rows(orm.installments)}

    changed = {
        **ROW_2027,
        "late_fee_first_tier": "3.4",
        "late_fee_second_tier": "9.7",
        "source": "test: corrected",
    }
    change = law_changes.LawChange(rates=[changed], staff_user="s-02")
    shown = await service.handle(pinned(law_changes.preview, today), change)

    def expected(principal, due_date, first, second):
        table = RateTable(
            [
                *RATE_ROWS,
                RateRow(2027, 2027, Decimal(first), Decimal(second), Decimal("1.4"), Decimal("1.4"), "t"),
            ]
        )
        return compute_late_fee(
            principal_tax=principal, due_date=due_date, paid_on=today, rates=table
        ).late_fee

    after = {
        "N-27": expected(1_000_000, due, "3.4", "9.7"),
        "N-26": expected(500_000, D(2026, 1, 31), "3.4", "9.7"),
    }
    lines = {
        i["notice_number"]: (t["addressee_id"], i["late_fee"]) for t in shown["taxpayers"] for i in t["items"]
    }
    assert lines["N-27"] == (
        ADDRESSEE,
        {"held": held["N-27"]["late_fee"], "before": held["N-27"]["late_fee"], "after": after["N-27"]},
    )
    assert lines["N-26"][1]["after"] == after["N-26"] != lines["N-26"][1]["before"]
    assert shown["late_fees_changed"] == 2 and shown["unpriced"] == 0
    assert {r["notice_number"]: r["late_fee"] for r in await service.rows(orm.installments)} == {
        n: r["late_fee"] for n, r in held.items()
    }  # a preview writes nothing

    applied = await service.handle(pinned(law_changes.apply, today), change)
    assert applied["late_fees_changed"] == 2
    now = {r["notice_number"]: r for r in await service.rows(orm.installments)}
    assert {n: r["late_fee"] for n, r in now.items()} == after
    assert all(now[n]["late_fee_version"] == held[n]["late_fee_version"] + 1 for n in now)
    published = [p for k, p in await service.events() if k == contract.LateFeesAssessed.routing_key]
    assert {i["notice_number"]: i["late_fee"] for p in published for i in p["items"]} == after
    [rate] = await service.rows(orm.law_rates)
    assert (rate["late_fee_first_tier"], rate["loaded_by"]) == ("3.4", "s-02")
    [entry] = [e for e in await service.rows(orm.audit_log) if e["operation"] == "law.change.apply"]
    assert entry["detail"]["rates"][0]["replaces"]["late_fee_first_tier"] == "2.9"

    again = await service.handle(pinned(law_changes.preview, today), change)
    assert again["taxpayers"] == [] and again["late_fees_changed"] == 0
    assert (await service.handle(pinned(law_changes.apply, today), change))["late_fees_changed"] == 0
    assert {r["notice_number"]: r["late_fee_version"] for r in await service.rows(orm.installments)} == {
        n: r["late_fee_version"] for n, r in now.items()
    }


async def test_a_built_in_year_cannot_be_replaced(service):
    change = law_changes.LawChange(
        rates=[{**ROW_2027, "first_year": 2026, "last_year": 2026}], staff_user="s"
    )
    with pytest.raises(PermanentError, match="rates_refused"):
        await service.handle(pinned(law_changes.preview, D(2026, 12, 1)), change)


async def test_preview_and_apply_over_http_with_the_staff_from_the_token(service, tmp_path):

    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    roles = {"law": ["collection:law.read", "collection:law.write"], "viewer": ["collection:law.read"]}
    auth = Authenticator(
        AuthSettings(jwks_file=issuer.jwks_path, role_permissions=roles), audit=audit_hook(service.runtime)
    )
    app = Starlette(
        routes=routes(service.runtime, auth, policy=CollectionPolicy(business_date=lambda: D(2026, 12, 1)))
    )
    body = {"demand_fees": [FEES_2019], "staff_user": "ignored"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://collection"
    ) as client:
        viewer = {"Authorization": f"Bearer {issuer.token('staff-05', ['viewer'])}"}
        shown = await client.post("/law-changes/preview", json=body, headers=viewer)
        assert shown.status_code == 200 and shown.json()["result"]["taxpayers"] == []
        assert (await client.post("/law-changes/apply", json=body, headers=viewer)).status_code == 403
        law = {"Authorization": f"Bearer {issuer.token('staff-06', ['law'])}"}
        applied = await client.post("/law-changes/apply", json=body, headers=law)
        assert applied.status_code == 200, applied.text
    [row] = await service.rows(orm.law_demand_fees)
    assert row["loaded_by"] == "staff-06"


# -- issue offsets and the 充当 order as versioned data (B7) ---------------------------------------

CUTOFF_5 = {
    "name": "demand_cutoff_business_days",
    "effective_from": "2026-07-01",
    "value": 5,
    "source": "test: 督促事務取扱要領 (illustrative)",
}


@pytest.mark.parametrize(
    ("row", "refused"),
    [
        ({**CUTOFF_5, "value": 15}, "beyond_20_days"),  # 法329①: a 督促 within 20 days of the 納期限
        ({**CUTOFF_5, "name": "reminder_deadline_days", "value": 0}, "reminder_deadline_days:out_of_range"),
        (
            {
                **CUTOFF_5,
                "name": "appropriation_order",
                "value": {
                    "kind_order": [
                        "late_fee",
                        "principal_tax",
                        "demand_fee",
                        "additional_tax",
                        "disposition_cost",
                    ]
                },
            },
            "法17条の2③",  # the tax before its own 延滞金
        ),
    ],
)
async def test_a_parameter_row_the_law_does_not_allow_is_refused(service, row, refused):
    change = law_changes.LawChange(parameters=[row], staff_user="s-01")
    with pytest.raises(PermanentError, match=refused):
        await service.handle(pinned(law_changes.preview, D(2026, 7, 1)), change)
    assert await service.count(orm.law_parameters) == 0


async def test_a_loaded_cutoff_is_previewed_applied_audited_and_used_by_the_batch(service):
    await service.handle(handlers.project_assessment, assessment("N-C", [(1, 100_000, D(2026, 7, 31), 0)]))
    change = law_changes.LawChange(parameters=[CUTOFF_5], staff_user="s-01")
    shown = await service.handle(pinned(law_changes.preview, D(2026, 7, 20)), change)
    [item] = shown["taxpayers"][0]["items"]
    # 7/31 (Fri) + 3 business days = 8/5 → first batch 8/6; + 5 = 8/7 → first batch 8/8
    assert item["demand_from"] == {"before": "2026-08-06", "after": "2026-08-08"}
    assert shown["demand_dates_moved"] == 1 and await service.count(orm.law_parameters) == 0
    await service.handle(pinned(law_changes.apply, D(2026, 7, 20)), change)
    [entry] = [e for e in await service.rows(orm.audit_log) if e["operation"] == "law.change.apply"]
    assert entry["detail"]["parameters"][0]["row"]["value"] == 5
    assert entry["detail"]["parameters"][0]["replaces"] is None
    early = await nightly(service, D(2026, 8, 7))
    assert early["demand_notices"] == 0 and early["demand_cutoff_business_days"] == 5
    assert (await nightly(service, D(2026, 8, 8)))["demand_notices"] == 1


async def test_a_changed_appropriation_order_shows_the_charges_split_it_changes(service):
    from .test_collection_nightly import ledger_state, receipt

    due = D(2026, 4, 30)
    await service.handle(handlers.project_assessment, assessment("N-O", [(1, 1_000_000, due, 0)]))
    await nightly(service, D(2026, 5, 20))  # 督促: fee 100
    paid_on = D(2026, 9, 30)
    await service.handle(handlers.note_receipt, receipt("r-o", "N-O", 1, paid_on, applied=1_000_100))
    await service.handle(
        handlers.project_installment_states,
        ledger_state("N-O", 1, 1_000_000, 1_000_000, due, paid_on=paid_on),
    )
    late_first = {
        "name": "appropriation_order",
        "effective_from": "2026-10-01",
        "value": {
            "kind_order": ["disposition_cost", "principal_tax", "additional_tax", "late_fee", "demand_fee"],
            "group_order": "oldest_first",
        },
        "source": "test: 市税充当順位 (illustrative)",
    }
    change = law_changes.LawChange(parameters=[late_first], staff_user="s-01")
    shown = await service.handle(pinned(law_changes.preview, D(2026, 10, 5)), change)
    [item] = shown["taxpayers"][0]["items"]
    late_fee = compute_late_fee(principal_tax=1_000_000, due_date=due, paid_on=paid_on).late_fee
    assert item["charges_owed"]["before"] == {"demand_fee": 0, "late_fee": late_fee}  # the 100 paid the fee
    assert item["charges_owed"]["after"] == {"demand_fee": 100, "late_fee": late_fee - 100}
    assert shown["charges_split_changed"] == 1
    # before its effective date the current order still applies: the preview of a later day is empty
    none = await service.handle(pinned(law_changes.preview, D(2026, 9, 30)), change)
    assert none["charges_split_changed"] == 0


async def test_a_mistyped_effective_year_is_refused_before_anything_is_computed(service):
    far = {**CUTOFF_5, "effective_from": "2062-07-01"}  # 2026 typed as 2062
    change = law_changes.LawChange(parameters=[far], staff_user="s-01")
    with pytest.raises(ImplausibleDateError, match=r"parameters\.effective_from 2062-07-01"):
        await service.handle(pinned(law_changes.preview, D(2026, 7, 20)), change)
    fee = law_changes.FeeRow(effective_from=D(1926, 4, 1), fee=100, source="test: 昭和元年 typed as 1926")
    with pytest.raises(ImplausibleDateError, match=r"demand_fees\.effective_from 1926-04-01"):
        await service.handle(
            pinned(law_changes.apply, D(2026, 7, 20)),
            law_changes.LawChange(demand_fees=[fee], staff_user="s-01"),
        )
    assert await service.count(orm.law_parameters) == 0 and await service.count(orm.law_demand_fees) == 0
