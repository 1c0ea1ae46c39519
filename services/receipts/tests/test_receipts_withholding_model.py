"""Model-based test of the 給与特別徴収 ledger and 納入 (hypothesis RuleBasedStateMachine) over
receipts' service layer on a real SQLite unit of work.

The world: one 義務者 with three employees; the 税務システム sends 決定 (and stale re-sends), 税額変更
from any month and 異動 at any month; the 義務者 pays 納入書 (no detail) or eLTAX payments with a
per-employee listing (sometimes naming an employee it does not have, or one already gone),
exact, short or over, before or after the 決定; files are imported again.

The model is independent of receipts' code: the 月割額 come from ``osame_law.special_collection``
(``monthly_amounts``, ``respread_after_change``, ``separation_outcome``) and the split is the
design note's §3 written out again here. After every step:
- money is conserved per 義務者: Σ 納入 = Σ allocated (paid on its employee-months) + Σ suspense
  + Σ 過納;
- every employee-month's 月割額 and paid amount are the model's; paid never exceeds the 月割額;
- the held and overpaid totals are the model's.

Short by default; ``OSAME_MODEL_EXAMPLES=200 OSAME_MODEL_STEPS=40`` for a long run.
"""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from osame_chassis.testing import InProcessService
from osame_contracts.messages import taxation_special_collection as sc
from osame_law.special_collection import (
    collection_months,
    monthly_amounts,
    respread_after_change,
    separation_outcome,
)
from osame_receipts.adapters import orm
from osame_receipts.adapters import withholding_files as files
from osame_receipts.service_layer import withholding, withholding_imports

from .conftest import Service

D = dt.date
FY = 2026
OBLIGOR, DESIGNATION = "500001", "0012345"
EMPLOYEES = {"T2026-0001": "600001", "T2026-0002": "600002", "T2026-0003": "600003"}
STRANGER = ("T2026-0999", "699999")
MONTHS = collection_months(FY)
EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "10"))
STEPS = int(os.environ.get("OSAME_MODEL_STEPS", "25"))
annuals = st.integers(0, 300).map(lambda k: k * 500 + 37)  # odd yen: the June remainder rule is used
yen = st.integers(0, 80).map(lambda k: k * 250)


class WithholdingMachine(InProcessService, RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.open_service(Service, "receipts", orm.metadata)
        self.svc.runtime.settings.business_date = D(2027, 6, 30)
        self.revision = 0
        self.monthly: dict[str, list[int]] = {}  # employee 通知書番号 → 12 月割額 (libs/law)
        self.separated: dict[str, int] = {}  # → index of the last month withheld
        self.paid: dict[tuple[str, int], int] = {}
        self.paid_in = 0  # Σ 納入 (every yen of every new payment)
        self.held = 0
        self.overpaid = 0
        self.seq = 0
        self.last_file: tuple[str, bytes] | None = None

    def teardown(self):
        self.close_service()

    # --- the 税務システム ------------------------------------------------------------------------
    def send(self, handler, event):
        self.act(lambda uow: handler(event, uow))

    def body(self, model, **fields):
        return model(
            obligor_addressee_id=OBLIGOR,
            designation_number=DESIGNATION,
            fiscal_year=FY,
            notified_on=D(FY, 5, 20),
            remittance_schedule=sc.RemittanceSchedule.MONTHLY,
            part_no=1,
            part_count=1,
            **fields,
        )

    def lines(self, amounts: dict[str, list[int]]):
        return [
            sc.EmployeeWithholding(
                addressee_id=EMPLOYEES[n], notice_number=n, annual_amount=sum(m), monthly_amounts=list(m)
            )
            for n, m in amounts.items()
        ]

    def lower_to(self, notice: str, amounts: list[int]) -> None:
        """The model's 過納: paid money above a lowered 月割額 (paid months keep their money)."""
        for i, amount in enumerate(amounts):
            paid = self.paid.get((notice, i), 0)
            if paid > amount:
                self.overpaid += paid - amount
                self.paid[(notice, i)] = amount
        self.monthly[notice] = list(amounts)

    @precondition(lambda self: not self.monthly)
    @rule(annual=st.tuples(annuals, annuals, annuals))
    def determine(self, annual):
        """特別徴収税額の決定 (法321条の4②): 月割額 by 法321条の5①."""
        self.revision += 1
        amounts = {n: list(monthly_amounts(a)) for n, a in zip(EMPLOYEES, annual, strict=True)}
        self.send(
            withholding.record_withholding,
            self.body(sc.SpecialCollectionDetermined, revision=self.revision, employees=self.lines(amounts)),
        )
        self.monthly = amounts

    @precondition(lambda self: self.monthly)
    @rule(annual=annuals)
    def stale_determination(self, annual):
        """A 決定 re-sent with an old revision changes nothing."""
        amounts = {n: list(monthly_amounts(annual)) for n in EMPLOYEES}
        self.send(
            withholding.record_withholding,
            self.body(sc.SpecialCollectionDetermined, revision=1, employees=self.lines(amounts)),
        )

    @precondition(lambda self: any(n not in self.separated for n in self.monthly))
    @rule(data=st.data(), annual=annuals, first=st.integers(0, 11))
    def change(self, data, annual, first):
        """税額変更 from month ``first`` (respread_after_change)."""
        notice = data.draw(st.sampled_from(sorted(n for n in self.monthly if n not in self.separated)))
        new = list(respread_after_change(self.monthly[notice], annual, first).monthly)
        self.revision += 1
        self.send(
            withholding.record_withholding,
            self.body(
                sc.SpecialCollectionChanged,
                revision=self.revision,
                employees=self.lines({notice: new}),
                changed_from=str(MONTHS[first]),
            ),
        )
        self.lower_to(notice, new)

    @precondition(lambda self: any(n not in self.separated for n in self.monthly))
    @rule(data=st.data(), month=st.integers(0, 11), day=st.integers(1, 28))
    def separate(self, data, month, day):
        """異動 in month ``month``: the rest goes to 普通徴収 (separation_outcome)."""
        notice = data.draw(st.sampled_from(sorted(n for n in self.monthly if n not in self.separated)))
        event_on = MONTHS[month].day(day)
        outcome = separation_outcome(self.monthly[notice], FY, event_on)
        self.revision += 1
        self.send(
            withholding.record_separation,
            sc.SpecialCollectionSeparated(
                obligor_addressee_id=OBLIGOR,
                designation_number=DESIGNATION,
                fiscal_year=FY,
                addressee_id=EMPLOYEES[notice],
                notice_number=notice,
                revision=self.revision,
                reason=sc.SeparationReason.RETIREMENT,
                event_on=event_on,
                reported_on=event_on,
                annual_amount=sum(self.monthly[notice]),
                last_withheld_month=str(outcome.last_withheld),
                withheld_total=outcome.withheld,
                ordinary=outcome.remainder,
            ),
        )
        self.separated[notice] = month
        self.lower_to(notice, [a if i <= month else 0 for i, a in enumerate(self.monthly[notice])])

    # --- the 義務者 pays -------------------------------------------------------------------------
    def fill(self, amount: int, open_months: list[tuple[str, int]]) -> None:
        """Design note §3: fill the expected 月割額 in order; the rest is 過納."""
        for key in open_months:
            take = min(amount, self.monthly[key[0]][key[1]] - self.paid.get(key, 0))
            self.paid[key] = self.paid.get(key, 0) + take
            amount -= take
        self.overpaid += amount

    def import_file(self, kind: str, data: bytes) -> None:
        report = self.act(
            lambda uow: withholding_imports.import_withholding(uow, kind, data, file=f"f{self.seq}")
        )
        assert report.status == "applied", report.errors
        self.last_file = (kind, data)

    @rule(month=st.integers(0, 11), amount=yen.filter(bool))
    def pay_slip(self, month, amount):
        """A 納入書: one amount, no detail."""
        self.seq += 1
        m = MONTHS[month]
        row = [
            "D",
            "0001",
            "001",
            str(self.seq),
            DESIGNATION,
            str(FY),
            f"{m.month:02d}",
            str(amount),
            "0",
            "0",
            str(amount),
            "3",
            "20270601",
            "20270602",
        ]
        self.import_file("withholding-ocr", files.write("withholding-ocr", [row]))
        self.paid_in += amount
        if not self.monthly:
            self.held += amount  # no account yet
        else:
            self.fill(amount, [(n, month) for n in sorted(self.monthly)])

    @rule(
        month=st.integers(0, 11),
        rows=st.lists(
            st.tuples(st.integers(0, 3), yen.filter(bool)), min_size=1, max_size=4, unique_by=lambda r: r[0]
        ),
    )
    def pay_listed(self, month, rows):
        """An eLTAX payment with its per-employee listing (index 3: an employee it does not have)."""
        self.seq += 1
        people = [*EMPLOYEES.items(), STRANGER]
        salary = sum(a for _, a in rows)
        m = MONTHS[month]
        key = f"EL{self.seq:06d}"
        lines = [
            [
                "D",
                key,
                DESIGNATION,
                str(FY),
                f"{m.month:02d}",
                str(salary),
                "0",
                "0",
                str(salary),
                str(len(rows)),
                "20270601",
                "20270602",
                "",
                "",
            ]
        ]
        for who, amount in rows:
            lines.append(["E", key, "", "", "", str(amount), "", "", "", "", "", "", *people[who]])
        self.import_file("withholding-eltax", files.write("withholding-eltax", lines))
        self.paid_in += salary
        for who, amount in rows:
            notice = people[who][0]
            if not self.monthly:
                self.held += amount
            elif notice not in self.monthly or self.separated.get(notice, 11) < month:
                self.held += amount  # unknown employee, or gone before the month
            else:
                self.fill(amount, [(notice, month)])

    @precondition(lambda self: self.last_file is not None)
    @rule()
    def import_again(self):
        """The same bytes again: the same batch, nothing changes."""
        kind, data = self.last_file
        report = self.act(lambda uow: withholding_imports.import_withholding(uow, kind, data, file="again"))
        assert report.status == "already_imported"

    # --- invariants ------------------------------------------------------------------------------
    def rows(self, table):
        return self.run(self.svc.rows(table))

    @invariant()
    def money_is_conserved_per_obligor(self):
        installments = [r for r in self.rows(orm.installments) if r["notice_number"] in EMPLOYEES]
        allocated = sum(r["paid"] for r in installments)
        suspense = sum(r["amount"] for r in self.rows(orm.suspense_items) if r["status"] == "held")
        overpaid = sum(r["amount"] for r in self.rows(orm.overpayments))
        assert self.paid_in == allocated + suspense + overpaid
        assert (suspense, overpaid) == (self.held, self.overpaid)

    @invariant()
    def every_month_is_the_models(self):
        ledger = {(r["notice_number"], r["installment_no"] - 1): r for r in self.rows(orm.installments)}
        for notice, amounts in self.monthly.items():
            for i, amount in enumerate(amounts):
                row = ledger[(notice, i)]
                assert row["principal_tax"] == amount, (notice, i)
                assert row["paid"] == self.paid.get((notice, i), 0), (notice, i)
                assert 0 <= row["paid"] <= row["principal_tax"]


WithholdingMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_withholding_model = WithholdingMachine.TestCase
