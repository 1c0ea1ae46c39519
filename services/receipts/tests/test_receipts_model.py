"""Model-based test of receipts (hypothesis RuleBasedStateMachine) over its service layer on a real
SQLite unit of work, against an independent model of the money.

The world: two 宛名番号 with notices assessed and re-assessed (更正 up, 減額更正 down, 取消 to 0) at
any time; payments of every kind on every channel — 窓口 cash, a channel adapter on the bus, コンビニ
files (01 速報 then 02 確報 or 03 取消, two real payments of one slip on one day, a ¥0 barcode, a bad
check digit), OCR files (unknown bank code), 口座振替 result files (paid, 不能, another 委託者, another
amount, an unrequested 顧客番号), 証券 with 不渡 — exact, partial, duplicate and over,
to known and unknown notices, some with implausible dates; 充当 from refunds; 収納訂正 (a receipt
reversed or moved to another notice, approved by a second staff member); files imported again
(the same bytes) and re-sent (the same records in other bytes); business days passing across
fiscal and calendar year ends.

The model knows only what a clerk would: which payments were made, which are money (not a 速報,
not cancelled, not bounced), which name no notice (unmatched) and which are invalid or implausible
(held). After every step:
- conservation per taxpayer: the money received on their notices = Σ paid on their installments
  (every component) + Σ what their overpayments still hold (amount − appropriated − withdrawn);
  city-wide, money received on unknown notices = the unmatched list, invalid money = the suspense
  list;
- every receipt applied exactly once: the standing receipts are exactly the model's payments
  (count and yen per channel); nothing paid is negative or above what is owed;
- re-imports change nothing (checked inside the rule: same bytes → `already_imported`, same
  records → duplicates, no table changes);
- implausible dates are refused (counter) or held (files, bus) with the field named.

Short by default; `OSAME_MODEL_EXAMPLES=500 OSAME_MODEL_STEPS=60` for a long run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from osame_chassis.testing import InProcessService
from osame_contracts.messages import receipts, taxation
from osame_law.calendar import is_closed_day
from osame_law.errors import LawError
from osame_receipts.adapters import cvs, normalized, orm
from osame_receipts.domain.direct_debit import fiscal_year_of
from osame_receipts.service_layer import appropriation, channels, corrections, direct_debit, handlers
from osame_zengin import debit as zengin

from .conftest import Service

D = dt.date
OWNERS = ["400001", "400002"]
NOTICES = {"7000001": "400001", "7000002": "400001", "7000003": "400002"}
UNKNOWN = "7999999"
START = D(2026, 3, 20)
EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "5"))
STEPS = int(os.environ.get("OSAME_MODEL_STEPS", "25"))
amounts = st.integers(1, 40).map(lambda k: k * 500)
CREDITOR = direct_debit.Creditor(code="1234567890", name="ｼﾔｸｼﾖ")


class ReceiptsMachine(InProcessService, RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.open_service(Service, "receipts", orm.metadata)
        self.today = START
        self.svc.runtime.settings.business_date = self.today
        self.revision: dict[str, int] = {}
        self.received = Counter()  # owner → yen of standing money on their notices
        self.unmatched = 0  # yen on unknown notices
        self.held = 0  # yen on the suspense list
        self.standing = Counter()  # channel → number of standing receipts
        self.standing_yen = Counter()  # channel → yen
        self.cheques: dict[str, tuple[str, int, dt.date]] = {}  # instrument id → (notice, amount, received)
        self.prelims: list[tuple] = []  # コンビニ 速報 records awaiting their 確報 / 取消
        self.files: list[tuple[str, bytes, int]] = []  # (kind, bytes, held records) imported
        self.seq = 0
        self.owner_of = dict(NOTICES)  # notice → 宛名番号 (口座振替 notices are added as they are assessed)
        self.mandates: set[str] = set()

    def teardown(self):
        self.close_service()

    # --- plumbing ----------------------------------------------------------------------------
    def rows(self, table):
        return self.run(self.svc.rows(table))

    def next_key(self) -> str:
        self.seq += 1
        return f"{self.seq:06d}"

    def money(self, notice: str, amount: int, channel: str) -> None:
        """The model: `amount` yen of `channel` now stand (received and not reversed)."""
        if notice in self.owner_of and notice in self.revision:
            self.received[self.owner_of[notice]] += amount
        else:
            self.unmatched += amount
        self.standing[channel] += 1
        self.standing_yen[channel] += amount

    def snapshot(self):
        return {
            t.name: sorted(map(repr, self.rows(t)))
            for t in (orm.receipts, orm.installments, orm.overpayments, orm.suspense_items)
        }

    # --- 調定 ----------------------------------------------------------------------------------
    @rule(notice=st.sampled_from(sorted(NOTICES)), principal=st.integers(0, 40).map(lambda k: k * 500))
    def assess(self, notice, principal):
        """賦課 or 更正 (up, 減額, 取消 to 0) of a notice with one installment."""
        revision = self.revision.get(notice, 0) + 1
        model = taxation.AssessmentChanged if revision > 1 else taxation.AssessmentRegistered
        if revision == 1 and principal == 0:
            principal = 500
        self.act(
            lambda uow: handlers.record_assessment(
                model(
                    addressee_id=NOTICES[notice],
                    notice_number=notice,
                    fiscal_year=2026,
                    tax_year=2026,
                    tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
                    revision=revision,
                    assessed_on=self.today,
                    installments=[
                        taxation.AssessedInstallment(
                            installment_no=1, principal_tax=principal, due_date=D(2026, 6, 30)
                        )
                    ],
                ),
                uow,
            )
        )
        self.revision[notice] = revision

    @rule(days=st.integers(1, 75))
    def advance(self, days):
        """Business days pass (across 3/31 and 12/31)."""
        self.today += dt.timedelta(days=days)
        self.svc.runtime.settings.business_date = self.today

    # --- payments ----------------------------------------------------------------------------
    @rule(notice=st.sampled_from([*sorted(NOTICES), UNKNOWN]), amount=amounts, back=st.integers(0, 4))
    def counter(self, notice, amount, back):
        key = f"W{self.next_key()}"

        def pay(uow):
            return channels.counter_payment(
                uow,
                receipt_no=key,
                notice_number=notice,
                installment_no=1,
                amount=amount,
                paid_on=self.today - dt.timedelta(days=back),
            )

        self.act(pay)
        self.money(notice, amount, "counter")
        again = self.act(pay)  # the cashier presses twice: the same 領収証番号 is one payment
        assert again["duplicate"]

    @rule(notice=st.sampled_from(sorted(NOTICES)), amount=amounts, ahead=st.integers(1, 800))
    def counter_with_a_future_date(self, notice, amount, ahead):
        before = self.snapshot()
        with pytest.raises(LawError, match="paid_on"):
            self.act(
                lambda uow: channels.counter_payment(
                    uow,
                    receipt_no=f"W{self.next_key()}",
                    notice_number=notice,
                    installment_no=1,
                    amount=amount,
                    paid_on=self.today + dt.timedelta(days=ahead),
                )
            )
        assert self.snapshot() == before

    @rule(notice=st.sampled_from([*sorted(NOTICES), UNKNOWN]), amount=amounts, lag=st.integers(-3, 80))
    def bus_payment(self, notice, amount, lag):
        """A channel adapter's RecordReceipt; a 収入日 before the 領収日 or too late is held."""
        paid_on = self.today - dt.timedelta(days=3)
        command = receipts.RecordReceipt(
            channel=receipts.Channel.MPN,
            channel_key=f"B{self.next_key()}",
            notice_number=notice,
            installment_no=1,
            amount=amount,
            paid_on=paid_on,
            booked_on=paid_on + dt.timedelta(days=lag),
        )
        self.act(lambda uow: channels.receive_receipt(command, uow))
        if 0 <= lag <= 62:
            self.money(notice, amount, "mpn")
        else:
            self.held += amount

    @rule(
        payments=st.lists(
            st.tuples(
                st.sampled_from([*sorted(NOTICES), UNKNOWN]),
                amounts,
                st.sampled_from(["02", "02", "01", "bad", "zero", "twice"]),
            ),
            min_size=1,
            max_size=4,
        ),
        settle=st.booleans(),
    )
    def cvs_file(self, payments, settle):
        """コンビニ agent file: 確報, 速報 (settled later), a bad check digit, a ¥0 barcode, and one slip
        paid twice on one day (two receipt numbers)."""
        day, transfer = self.today - dt.timedelta(days=1), self.today + dt.timedelta(days=10)
        records, money, held = [], [], 0
        for notice, amount, kind in payments:
            code = cvs.build_barcode(
                company_code="912345",
                notice_number=notice,
                installment_no=1,
                pay_by=D(2027, 3, 31),
                amount=amount,
            )
            if kind == "bad":
                records.append(
                    ("02", day, code[:-1] + str((int(code[-1]) + 1) % 10), amount, transfer, self.next_key())
                )
                held += amount
            elif kind == "zero":
                body = code[:37] + "000000"
                records.append(("02", day, body + str(cvs.check_digit(body)), 0, transfer, self.next_key()))
            elif kind == "01":
                record = ("01", day, code, amount, transfer, self.next_key())
                records.append(record)
                self.prelims.append((notice, record))
            else:
                for _ in range(2 if kind == "twice" else 1):
                    records.append(("02", day, code, amount, transfer, self.next_key()))
                    money.append((notice, amount))
        if settle and self.prelims:  # the 確報 or 取消 of earlier 速報
            for i, (notice, (_, pday, code, amount, ptransfer, no)) in enumerate(self.prelims):
                final = i % 2 == 0
                records.append(("02" if final else "03", pday, code, amount, ptransfer, no))
                if final:
                    money.append((notice, amount))
            self.prelims = []
        data = cvs.agent_file(records, created_on=self.today)
        overpayments = len(self.rows(orm.overpayments))
        report = self.act(lambda uow: channels.import_cvs(uow, data, file="cvs.csv"))
        assert report.status == "applied", report.errors
        assert report.overpayments == len(self.rows(orm.overpayments)) - overpayments  # defect 13
        assert report.held == sum(1 for *_, k in payments if k == "bad")
        assert report.held_yen == held
        for notice, amount in money:
            self.money(notice, amount, "convenience_store")
        self.held += held
        self.files.append(("cvs", data, report.held))

    @rule(
        payments=st.lists(
            st.tuples(st.sampled_from([*sorted(NOTICES), UNKNOWN]), amounts, st.booleans()),
            min_size=1,
            max_size=4,
        )
    )
    def ocr_file(self, payments):
        """指定金融機関 OCR file; a record with an unknown bank code is held."""
        day = self.today - dt.timedelta(days=2)
        rows, held = [], 0
        for notice, amount, good in payments:
            rows.append(
                [
                    "0001" if good else "9999",
                    "001",
                    self.next_key(),
                    notice,
                    "1",
                    str(amount),
                    f"{day:%Y%m%d}",
                    f"{day + dt.timedelta(days=1):%Y%m%d}",
                ]
            )
            if good:
                self.money(notice, amount, "bank_counter")
            else:
                held += amount
        data = normalized.write("ocr", rows)
        report = self.act(lambda uow: channels.import_normalized(uow, "ocr", data, file="ocr.csv"))
        assert (report.status, report.held_yen) == ("applied", held)
        self.held += held
        self.files.append(("ocr", data, report.held))

    @precondition(lambda self: self.files)
    @rule(pick=st.integers(0, 100), resend=st.booleans())
    def import_again(self, pick, resend):
        """The same file again (a no-op) or its records re-sent in other bytes (all duplicates)."""
        kind, data, _ = self.files[pick % len(self.files)]
        before = self.snapshot()
        payload = data + b"\n" if resend else data
        if kind == "cvs":
            report = self.act(lambda uow: channels.import_cvs(uow, payload, file="again.csv"))
        else:
            report = self.act(lambda uow: channels.import_normalized(uow, kind, payload, file="again.csv"))
        if not resend:
            assert report.status == "already_imported"
        else:
            assert (report.applied, report.unmatched, report.held) == (0, 0, 0)
        after = self.snapshot()
        assert (
            after["installments"] == before["installments"]
            and after["overpayments"] == before["overpayments"]
        )
        assert len(after["receipts"]) == len(before["receipts"]) and len(after["suspense_items"]) == len(
            before["suspense_items"]
        )

    # --- 口座振替 -------------------------------------------------------------------------------
    @rule(
        owner=st.sampled_from(OWNERS),
        amount=amounts,
        answer=st.sampled_from(["0", "0", "1", "other_creditor", "amount", "unrequested"]),
    )
    def direct_debit(self, owner, amount, answer):
        """A notice due on the next debit day, the request built on the business date, the bank's
        answer imported after the 振替日 — and imported again (also with another year)."""
        debit = self.today + dt.timedelta(days=3)
        while is_closed_day(debit):
            debit += dt.timedelta(days=1)
        notice = f"8{self.next_key()}"
        self.owner_of[notice] = owner
        self.act(
            lambda uow: handlers.record_assessment(
                taxation.AssessmentRegistered(
                    addressee_id=owner,
                    notice_number=notice,
                    fiscal_year=fiscal_year_of(self.today),
                    tax_year=fiscal_year_of(self.today),
                    tax_item=taxation.TaxItem.RESIDENT_TAX,
                    revision=1,
                    assessed_on=self.today,
                    installments=[
                        taxation.AssessedInstallment(installment_no=1, principal_tax=amount, due_date=debit)
                    ],
                ),
                uow,
            )
        )
        self.revision[notice] = 1
        if owner not in self.mandates:
            mandate = dict(
                addressee_id=owner,
                tax_item="resident_tax",
                bank_code="0005",
                branch_code="002",
                account_number=owner[-7:],
                holder_kana="ｵｻﾒ ﾀﾛｳ",
                applied_on=self.today,
                starts_on=self.today,
            )
            self.act(lambda uow: direct_debit.register_mandate(uow, mandate))
            self.mandates.add(owner)
        request = self.act(
            lambda uow: direct_debit.build_request(
                uow, debit_date=debit, fiscal_year=fiscal_year_of(self.today), creditor=CREDITOR
            )
        )
        parsed = zengin.parse_file(request, "req", result=False, year=debit.year)
        [record] = [r for r in parsed.file.records]
        header = parsed.file.header
        code = "1" if answer == "1" else "0"
        changes = {"result_code": code}
        if answer == "amount":
            changes["amount"] = record.amount + 500
        if answer == "unrequested":
            changes["customer_number"] = "9" * 20
        if answer == "other_creditor":
            header = zengin.Header(**{**header.__dict__, "creditor_code": "9999999999"})
        result = zengin.build_file(
            header, [zengin.DebitRecord(**{**record.__dict__, **changes})], result=True
        )
        self.today = debit + dt.timedelta(days=1)
        self.svc.runtime.settings.business_date = self.today
        report = self.act(
            lambda uow: direct_debit.import_result(uow, result, file="r.txt", creditor_code=CREDITOR.code)
        )
        if answer == "0":
            assert (report.status, report.applied) == ("applied", 1), report
            self.money(notice, amount, "direct_debit")
        elif answer != "1":
            assert report.held == 1 and report.applied == 0, report
            self.held += changes.get("amount", amount)
        before = self.snapshot()
        for year in (None, debit.year - 1):
            again = self.act(
                lambda uow, y=year: direct_debit.import_result(
                    uow, result, file="again.txt", creditor_code=CREDITOR.code, year=y
                )
            )
            assert again.status == "already_imported"
        assert self.snapshot() == before

    # --- 証券 and 不渡 ---------------------------------------------------------------------------
    @precondition(lambda self: self.revision)
    @rule(pick=st.integers(0, 10), amount=amounts)
    def cheque(self, pick, amount):
        notice = sorted(self.revision)[pick % len(self.revision)]
        instrument_id, _ = self.act(
            lambda uow: channels.receive_security(
                uow,
                instrument_number=f"C{self.next_key()}",
                drawee_bank_code="0001",
                notice_number=notice,
                installment_no=1,
                amount=amount,
                received_on=self.today,
            )
        )
        self.cheques[instrument_id] = (notice, amount, self.today)
        self.money(notice, amount, "security_instrument")

    @precondition(lambda self: self.cheques)
    @rule(pick=st.integers(0, 10))
    def dishonour(self, pick):
        instrument_id = sorted(self.cheques)[pick % len(self.cheques)]
        notice, amount, _ = self.cheques.pop(instrument_id)
        self.act(lambda uow: channels.dishonour_security(uow, instrument_id, self.today))
        self.received[self.owner_of[notice]] -= amount
        self.standing["security_instrument"] -= 1
        self.standing_yen["security_instrument"] -= amount

    # --- 収納訂正 -----------------------------------------------------------------------------
    @precondition(lambda self: self.revision)
    @rule(pick=st.integers(0, 50), to=st.integers(0, 10), move=st.booleans())
    def correct(self, pick, to, move):
        """A receipt reversed (wrong entry) or moved to another notice (maybe another 宛名), proposed
        by one staff member and approved by another: money moves with it, nothing is lost."""
        assessed = sorted(n for n in self.revision if n in NOTICES)
        target = assessed[to % len(assessed)] if assessed else None
        standing = [
            r
            for r in self.rows(orm.receipts)
            if r["state"] == "final"
            and r["matched"]
            and r["channel"] not in ("appropriation", "security_instrument")
        ]
        if not standing or (move and target is None):
            return
        r = standing[pick % len(standing)]
        if move and target == r["notice_number"]:
            return
        proposal = self.act(
            lambda uow: corrections.propose(
                uow,
                receipt_id=r["receipt_id"],
                kind="move" if move else "reverse",
                reason="訂正",
                staff="cashier-1",
                notice_number=target if move else None,
                installment_no=1 if move else None,
            )
        )
        with pytest.raises(corrections.CorrectionRefused):
            self.act(lambda uow: corrections.approve(uow, proposal["correction_id"], staff="cashier-1"))
        [inst] = [
            i
            for i in self.rows(orm.installments)
            if (i["notice_number"], i["installment_no"]) == (r["notice_number"], r["installment_no"])
        ]
        on_it = [
            x
            for x in self.rows(orm.receipts)
            if x["state"] == "final"
            and x["matched"]
            and (x["notice_number"], x["installment_no"]) == (r["notice_number"], r["installment_no"])
        ]
        if sum(x["applied_principal_tax"] for x in on_it) != inst["paid"] or inst["written_off_on"]:
            # a 減額更正 moved paid money off the installment: refused, nothing changes
            before = self.snapshot()
            with pytest.raises(corrections.CorrectionRefused, match="減額更正"):
                self.act(
                    lambda uow: corrections.approve(uow, proposal["correction_id"], staff="supervisor-2")
                )
            assert self.snapshot() == before
            return
        self.act(lambda uow: corrections.approve(uow, proposal["correction_id"], staff="supervisor-2"))
        self.received[self.owner_of[r["notice_number"]]] -= r["amount"]
        if move:
            self.received[self.owner_of[target]] += r["amount"]
        else:
            self.standing[r["channel"]] -= 1
            self.standing_yen[r["channel"]] -= r["amount"]

    # --- 充当 from refunds ----------------------------------------------------------------------
    @rule(pick=st.integers(0, 50), share=st.integers(1, 4))
    def appropriate(self, pick, share):
        """Refunds appropriates part of a held overpayment to a debt of the same person."""
        held = [
            o for o in self.rows(orm.overpayments) if o["amount"] - o["appropriated"] - o["withdrawn"] > 0
        ]
        owed = [i for i in self.rows(orm.installments) if i["principal_tax"] > i["paid"]]
        pairs = [(o, i) for o in held for i in owed if self.owner_of[i["notice_number"]] == o["addressee_id"]]
        if not pairs:
            return
        op, inst = pairs[pick % len(pairs)]
        amount = max(
            min(op["amount"] - op["appropriated"] - op["withdrawn"], inst["principal_tax"] - inst["paid"])
            // share,
            1,
        )
        outcome = self.act(
            lambda uow: appropriation.apply_appropriation(
                receipts.AppropriateOverpayment(
                    appropriation_id=f"AP{self.next_key()}",
                    overpayment_id=op["overpayment_id"],
                    addressee_id=op["addressee_id"],
                    appropriable_on=self.today,
                    items=[
                        receipts.AppropriationItem(
                            notice_number=inst["notice_number"],
                            installment_no=1,
                            component="principal_tax",
                            amount=amount,
                        )
                    ],
                ),
                uow,
            )
        )
        assert outcome == "applied"

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def money_is_conserved_per_taxpayer(self):
        owner_of = self.owner_of
        paid, held_over = defaultdict(int), defaultdict(int)
        for i in self.rows(orm.installments):
            assert 0 <= i["paid"] <= max(i["principal_tax"], 0), i
            assert 0 <= i["demand_fee_paid"] and 0 <= i["late_fee_paid"]
            paid[owner_of[i["notice_number"]]] += i["paid"] + i["demand_fee_paid"] + i["late_fee_paid"]
        for o in self.rows(orm.overpayments):
            left = o["amount"] - o["appropriated"] - o["withdrawn"]
            assert left >= 0 and o["appropriated"] >= 0 and o["withdrawn"] >= 0, o
            held_over[o["addressee_id"]] += left
        for owner in OWNERS:
            assert paid[owner] + held_over[owner] == self.received[owner], (
                owner,
                paid[owner],
                held_over[owner],
            )

    @invariant()
    def every_receipt_stands_exactly_once(self):
        rows = [
            r for r in self.rows(orm.receipts) if r["state"] == "final" and r["channel"] != "appropriation"
        ]
        assert Counter(r["channel"] for r in rows) == +self.standing
        yen = Counter()
        for r in rows:
            yen[r["channel"]] += r["amount"]
        assert yen == +self.standing_yen
        assert sum(r["amount"] for r in rows if not r["matched"]) == self.unmatched

    @invariant()
    def invalid_money_is_held_and_visible(self):
        items = [s for s in self.rows(orm.suspense_items) if s["status"] == "held"]
        assert sum(s["amount"] or 0 for s in items) == self.held
        assert all(s["field"] and s["reason"] for s in items)


ReceiptsMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # OSAME_MODEL_NO_SHRINK=1: report the first failing history as found (for fix-revert runs).
    phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("OSAME_MODEL_NO_SHRINK")],
)
TestReceiptsModel = ReceiptsMachine.TestCase
