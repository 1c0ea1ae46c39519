"""給与特別徴収 in receipts over a real (SQLite) database: the ledger from 決定/変更/異動 and the
import of 納入書 and eLTAX 納入 files (design note §3, docs/formats/special-collection.md).

One 義務者 (宛名番号 500001, 指定番号 0012345) with three employees A/B/C in 年度 2026.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.errors import PermanentError
from osame_contracts.messages import receipts
from osame_contracts.messages import taxation_special_collection as sc
from osame_receipts.adapters import orm, repository
from osame_receipts.adapters import withholding_files as files
from osame_receipts.entrypoints.http import routes
from osame_receipts.service_layer import withholding, withholding_imports
from starlette.applications import Starlette

D = dt.date
OBLIGOR = "500001"
DESIGNATION = "0012345"
A, B, C = "T2026-0001", "T2026-0002", "T2026-0003"
EMPLOYEE_IDS = {A: "600001", B: "600002", C: "600003"}
MONTHLY = {A: [8_700] * 12, B: [7_900] * 12, C: [5_000] * 12}
OVERPAID = receipts.OverpaymentDetected.routing_key


def employees(amounts=MONTHLY):
    return [
        sc.EmployeeWithholding(
            addressee_id=EMPLOYEE_IDS[n], notice_number=n, annual_amount=sum(m), monthly_amounts=list(m)
        )
        for n, m in amounts.items()
    ]


def determined(revision=1, amounts=MONTHLY, **kw):
    return sc.SpecialCollectionDetermined(
        obligor_addressee_id=kw.pop("obligor", OBLIGOR),
        designation_number=DESIGNATION,
        fiscal_year=2026,
        revision=revision,
        notified_on=D(2026, 5, 15),
        part_no=1,
        part_count=1,
        employees=employees(amounts),
        **{"remittance_schedule": sc.RemittanceSchedule.MONTHLY, **kw},
    )


def changed(revision, amounts, changed_from):
    return sc.SpecialCollectionChanged(
        obligor_addressee_id=OBLIGOR,
        designation_number=DESIGNATION,
        fiscal_year=2026,
        revision=revision,
        notified_on=D(2026, 8, 20),
        remittance_schedule=sc.RemittanceSchedule.MONTHLY,
        part_no=1,
        part_count=1,
        employees=employees(amounts),
        changed_from=changed_from,
    )


def separated(revision=2, notice=C, last="2026-07", lump_sum=0, lump_month=None):
    withheld = 5_000 * 2
    return sc.SpecialCollectionSeparated(
        obligor_addressee_id=OBLIGOR,
        designation_number=DESIGNATION,
        fiscal_year=2026,
        addressee_id=EMPLOYEE_IDS[notice],
        notice_number=notice,
        revision=revision,
        reason=sc.SeparationReason.RETIREMENT,
        event_on=D(2026, 7, 20),
        reported_on=D(2026, 7, 25),
        annual_amount=60_000,
        last_withheld_month=last,
        withheld_total=withheld,
        lump_sum=lump_sum,
        lump_sum_month=lump_month,
        ordinary=60_000 - withheld - lump_sum,
    )


async def months(service, notice):
    rows = await service.rows(orm.installments)
    return {
        r["installment_no"]: (r["principal_tax"], r["paid"]) for r in rows if r["notice_number"] == notice
    }


def ocr_file(*payments, seq=1):
    rows = []
    for i, (month, amount) in enumerate(payments, seq):
        rows.append(
            [
                "D",
                "0001",
                "001",
                str(i),
                DESIGNATION,
                "2026",
                month,
                str(amount),
                "0",
                "0",
                str(amount),
                "3",
                "20260709",
                "20260710",
            ]
        )
    return files.write("withholding-ocr", rows)


def eltax_file(payment_id, month, listing, *, salary=None, designation=DESIGNATION):
    salary = sum(a for _, a in listing) if salary is None else salary
    rows = [
        [
            "D",
            payment_id,
            designation,
            "2026",
            month,
            str(salary),
            "0",
            "0",
            str(salary),
            str(len(listing)),
            "20260709",
            "20260710",
            "",
            "",
        ]
    ]
    for notice, amount in listing:
        rows.append(
            [
                "E",
                payment_id,
                "",
                "",
                "",
                str(amount),
                "",
                "",
                "",
                "",
                "",
                "",
                notice,
                EMPLOYEE_IDS.get(notice, "699999"),
            ]
        )
    return files.write("withholding-eltax", rows)


@pytest.fixture
async def ledger(service):
    service.runtime.settings.business_date = D(2026, 7, 15)
    await service.handle(withholding.record_withholding, determined())
    return service


async def test_determination_makes_twelve_months_payable_by_the_obligor(ledger):
    notices = await ledger.rows(orm.notices)
    assert {n["notice_number"]: n["addressee_id"] for n in notices} == {A: OBLIGOR, B: OBLIGOR, C: OBLIGOR}
    rows = [r for r in await ledger.rows(orm.installments) if r["notice_number"] == A]
    assert [r["installment_no"] for r in rows] == list(range(1, 13))
    # 期別 1 = June, due 10 July (法321条の5①); 期別 8 = January, due 10 February 2027 (a Wednesday)
    assert (rows[0]["statutory_due_date"], rows[7]["statutory_due_date"]) == (D(2026, 7, 10), D(2027, 2, 10))
    employee = await ledger.rows(orm.withholding_employees)
    assert {e["notice_number"]: e["addressee_id"] for e in employee} == EMPLOYEE_IDS
    assert await ledger.events() == []  # collection is not told per employee-month (design §4)


async def test_stale_determination_is_ignored(ledger):
    await ledger.handle(withholding.record_withholding, determined(revision=1, amounts={A: [100] * 12}))
    assert (await months(ledger, A))[1] == (8_700, 0)


async def test_change_rewrites_from_changed_from_and_a_paid_month_keeps_its_money(ledger):
    await withholding_imports_import(ledger, ocr_file(("06", 21_600)))
    lower = {A: [8_700] * 12, B: [7_900] * 12, C: [3_000] * 12}  # C lowered from June on, June paid 5,000
    await ledger.handle(withholding.record_withholding, changed(2, lower, "2026-06"))
    c = await months(ledger, C)
    assert c[1] == (3_000, 3_000) and c[2] == (3_000, 0)
    [(_key, body)] = [e for e in await ledger.events() if e[0] == OVERPAID]
    assert (
        body["notice_number"],
        body["installment_no"],
        body["amount"],
        body["cause"],
        body["addressee_id"],
    ) == (C, 1, 2_000, "reassessment", OBLIGOR)


async def test_change_from_september_keeps_earlier_months(ledger):
    await ledger.handle(withholding.record_withholding, changed(2, {A: [1_000] * 12}, "2026-09"))
    a = await months(ledger, A)
    assert [a[n][0] for n in range(1, 13)] == [8_700] * 3 + [1_000] * 9


async def test_separation_zeroes_the_months_after_the_event(ledger):
    await ledger.handle(withholding.record_separation, separated(lump_sum=5_000, lump_month="2026-07"))
    c = await months(ledger, C)
    assert [c[n][0] for n in range(1, 13)] == [5_000, 10_000] + [0] * 10
    [employee] = [e for e in await ledger.rows(orm.withholding_employees) if e["notice_number"] == C]
    assert employee["separated_month"] == "2026-07"
    await ledger.handle(withholding.record_separation, separated(revision=2, last="2026-06"))  # stale
    assert (await months(ledger, C))[2][0] == 10_000


async def test_separation_before_its_determination_is_dead_lettered(service):
    with pytest.raises(PermanentError):
        await service.handle(withholding.record_separation, separated())


async def test_a_designation_number_belongs_to_one_obligor(ledger):
    with pytest.raises(PermanentError):
        await ledger.handle(withholding.record_withholding, determined(revision=3, obligor="500999"))


async def withholding_imports_import(service, data, kind="withholding-ocr", file="nounyu.csv"):
    async with service.runtime.unit_of_work() as uow:
        report = await withholding_imports.import_withholding(uow, kind, data, file=file)
        await uow.commit()
    return report


async def money_of_obligor(service):
    async with service.runtime.sessions() as session:
        return await repository.money(session, OBLIGOR)


async def held_yen(service):
    return sum(r["amount"] or 0 for r in await service.rows(orm.suspense_items) if r["status"] == "held")


async def overpaid_yen(service):
    return sum(r["amount"] for r in await service.rows(orm.overpayments))


@pytest.mark.parametrize(
    ("amount", "paid", "overpaid"),
    [
        pytest.param(21_600, {A: 8_700, B: 7_900, C: 5_000}, 0, id="exact"),
        pytest.param(15_600, {A: 8_700, B: 6_900, C: 0}, 0, id="short: last employees unpaid"),
        pytest.param(22_000, {A: 8_700, B: 7_900, C: 5_000}, 400, id="over: the obligor's 過納"),
    ],
)
async def test_a_payment_slip_fills_employees_in_notice_order(ledger, amount, paid, overpaid):
    report = await withholding_imports_import(ledger, ocr_file(("06", amount)))
    assert (report.status, report.applied, report.overpayments) == ("applied", 1, int(overpaid > 0))
    assert {n: (await months(ledger, n))[1][1] for n in (A, B, C)} == paid
    assert await overpaid_yen(ledger) == overpaid
    allocations = await ledger.rows(orm.withholding_allocations)
    assert [a["notice_number"] for a in allocations] == sorted(a["notice_number"] for a in allocations)
    money = await money_of_obligor(ledger)
    assert money["received"] == amount == money["applied"] + overpaid


async def test_a_second_payment_continues_the_fill(ledger):
    await withholding_imports_import(ledger, ocr_file(("06", 10_000)))
    await withholding_imports_import(ledger, ocr_file(("06", 11_600), seq=2), file="second.csv")
    assert {n: (await months(ledger, n))[1][1] for n in (A, B, C)} == {A: 8_700, B: 7_900, C: 5_000}


async def test_the_same_file_again_is_the_same_batch(ledger):
    data = ocr_file(("06", 21_600))
    first = await withholding_imports_import(ledger, data)
    again = await withholding_imports_import(ledger, data)
    assert (again.status, again.previous_batch_id) == ("already_imported", first.batch_id)
    resent = await withholding_imports_import(ledger, data + b"\n", file="resent.csv")  # same records
    assert (resent.applied, resent.duplicates, resent.duplicate_yen) == (0, 1, 21_600)
    assert (await money_of_obligor(ledger))["received"] == 21_600


async def test_eltax_listing_goes_to_each_employee_as_listed(ledger):
    report = await withholding_imports_import(
        ledger, eltax_file("EL0000123", "06", [(A, 9_000), (B, 7_000), (C, 5_000)]), kind="withholding-eltax"
    )
    assert report.status == "applied"
    assert {n: (await months(ledger, n))[1][1] for n in (A, B, C)} == {A: 8_700, B: 7_000, C: 5_000}
    [over] = await ledger.rows(orm.overpayments)
    assert (over["notice_number"], over["amount"]) == (A, 300)  # A's line above its 月割額
    assert all(a["listed"] for a in await ledger.rows(orm.withholding_allocations))


async def test_a_listing_row_for_an_unknown_or_separated_employee_is_held(ledger):
    await ledger.handle(withholding.record_separation, separated(last="2026-06"))
    report = await withholding_imports_import(
        ledger,
        eltax_file("EL0000124", "07", [(A, 8_700), (C, 5_000), ("T2026-0999", 1_000)]),
        kind="withholding-eltax",
    )
    assert (report.status, report.held, report.held_yen) == ("applied", 2, 6_000)
    assert await held_yen(ledger) == 6_000
    assert (await months(ledger, A))[2][1] == 8_700


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param(
            eltax_file("EL1", "06", [(A, 8_700)], salary=9_000), "salary_amount", id="listing does not add up"
        ),
        pytest.param(ocr_file(("06", 21_600)).replace(b"T,1,21600", b"T,1,21000"), "total", id="trailer"),
    ],
)
async def test_a_broken_file_is_refused_whole(ledger, data, field):
    kind = "withholding-eltax" if b"eltax_payment_id" in data else "withholding-ocr"
    report = await withholding_imports_import(ledger, data, kind=kind)
    assert report.status == "refused"
    assert field in {e.field for e in report.errors}
    assert await ledger.count(orm.receipts) == 0 and await ledger.count(orm.withholding_payments) == 0


async def test_money_that_cannot_be_applied_is_held_with_its_reason(ledger):
    rows = [
        # unknown 指定番号
        [
            "D",
            "0001",
            "001",
            "1",
            "0099999",
            "2026",
            "06",
            "1000",
            "0",
            "0",
            "1000",
            "1",
            "20260709",
            "20260710",
        ],
        # 退職手当等分 and 延滞金 parts: held; the 給与分 applied
        [
            "D",
            "0001",
            "001",
            "2",
            DESIGNATION,
            "2026",
            "06",
            "21600",
            "3000",
            "500",
            "25100",
            "3",
            "20260709",
            "20260710",
        ],
        # a bad date: the whole 納入 held, located
        [
            "D",
            "0001",
            "001",
            "3",
            DESIGNATION,
            "2026",
            "06",
            "100",
            "0",
            "0",
            "100",
            "1",
            "2026070X",
            "20260710",
        ],
    ]
    report = await withholding_imports_import(ledger, files.write("withholding-ocr", rows))
    assert report.status == "applied"
    assert await held_yen(ledger) == 1_000 + 3_000 + 500 + 100
    assert {e.field for e in report.errors} == {"paid_on"}
    assert (await money_of_obligor(ledger))["applied"] == 21_600
    held = await ledger.rows(orm.suspense_items)
    assert {h["field"] for h in held} == {"designation_number", "retirement_amount", "late_fee", "paid_on"}


async def test_the_import_route_takes_both_files(ledger, tmp_path):
    issuer = DevIssuer(tmp_path / "issuer")
    app = Starlette(
        routes=routes(ledger.runtime, auth=Authenticator(AuthSettings(jwks_file=str(issuer.write_jwks()))))
    )
    staff = {"Authorization": f"Bearer {issuer.token('cashier-1', ['receipts_staff'])}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://receipts", headers=staff
    ) as api:
        slip = await api.post("/api/imports/withholding-ocr?file=n.csv", content=ocr_file(("06", 21_600)))
        listed = await api.post(
            "/api/imports/withholding-eltax?file=e.csv",
            content=eltax_file("EL9", "07", [(A, 8_700), (B, 7_900), (C, 5_000)]),
        )
        refused = await api.post(
            "/api/imports/withholding-eltax?file=bad.csv",
            content=eltax_file("EL10", "08", [(A, 1)], salary=2),
        )
    assert (slip.status_code, slip.json()["applied"]) == (200, 1)
    assert (listed.status_code, listed.json()["applied"]) == (200, 1)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["salary_amount"]
    assert {n: (await months(ledger, n))[2][1] for n in (A, B, C)} == {A: 8_700, B: 7_900, C: 5_000}


async def test_under_the_special_schedule_one_payment_fills_the_half_year(service):
    """納期の特例 (法321条の5の2①) approved before June: June–November are one 納入 due 10 December."""
    service.runtime.settings.business_date = D(2026, 12, 20)
    event = determined(
        amounts={A: [1_000] * 12, B: [2_000] * 12},
        remittance_schedule=sc.RemittanceSchedule.SEMIANNUAL,
        special_approved_on=D(2026, 4, 1),
    )
    await service.handle(withholding.record_withholding, event)
    a = [r for r in await service.rows(orm.installments) if r["notice_number"] == A]
    assert {r["statutory_due_date"] for r in a[:6]} == {D(2026, 12, 10)}
    assert {r["statutory_due_date"] for r in a[6:]} == {D(2027, 6, 10)}
    # 18,000 owed for the half-year; 15,000 paid: A's six months, then B's first four and a half
    await withholding_imports_import(service, ocr_file(("11", 15_000)))
    a_paid, b = await months(service, A), await months(service, B)
    assert [a_paid[n][1] for n in range(1, 8)] == [1_000] * 6 + [0]
    assert [b[n][1] for n in range(1, 8)] == [2_000] * 4 + [1_000, 0, 0]
