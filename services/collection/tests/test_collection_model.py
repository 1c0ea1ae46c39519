"""Model-based stateful test of the collection domain (issue #12 "Invariants").

Random histories over a few installments of one taxpayer — partial and full payments (confirmed,
shown by the ledger or not yet), 速報 and their 取消, 督促停止 holds, 更正 either way, 督促 batches,
催告 campaigns, 交付要求 started and ended, 不納欠損 runs, days passing — drive the real service
(handlers and use cases on SQLite); after every step the service is checked against an independent
model built on ``libs/law`` only:

- nothing owed disappears: every installment that owes 本税, 督促手数料 or 延滞金 (by the model) and
  is not written off is in the case view, with the model's 本税 and 督促手数料 (defect 3);
- no 督促 for an item with an unconfirmed or unreflected payment or a hold (defect 1), none before
  the data cut-off (defect 2), none while its 口座振替 is in flight before 法329's 20-day limit
  (defect 2, the 振替結果 part), and the 督促 names the remainder;
- 時効 never completes while a 交付要求 is in force (defect 5);
- no 督促 and no 催告 for an item while a 徴収猶予 covering it is in force, and its days are exempt
  from 延滞金 (法15条の9, by the law library's exemption);
- running a batch or a campaign twice changes nothing (defect 9);
- a 更正 leaves the 延滞金 the model computes (defect 4);
- every fixed 延滞金 explains itself from the store (B5): the segments stored with each 督促状 and
  with a 確定延滞金 at settlement are the law library's segments recomputed by the model at that
  moment (from, to, days, base, rate, yen);
- a 猶予 分割 amount not paid by its 期限 (+ the grace days) is flagged once for a 取消し / 継続
  decision (法15条の3), never before; after 取消し its exemption ends at the missed 期限
  (法15条の9①ただし書, ``osame_law.postponement_cancellation``).

Short by default; ``OSAME_MODEL_EXAMPLES`` / ``OSAME_MODEL_STEPS`` for a long run.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from osame_chassis.testing import InProcessService
from osame_collection.adapters import orm
from osame_collection.domain.campaign import CampaignCriteria
from osame_collection.service_layer import (
    cases,
    direct_debits,
    dispositions,
    handlers,
    holds,
    law_changes,
    postponements,
    reminders,
    stays,
)
from osame_collection.service_layer.nightly import RunNightly, run_nightly
from osame_collection.service_layer.policy import CollectionPolicy
from osame_contracts.messages import receipts
from osame_law import (
    DEFAULT_RATES,
    ExemptInterval,
    ExemptionKind,
    LawError,
    PartialPayment,
    RateRow,
    RateTable,
    compute_late_fee,
    demand_cutoff,
    demand_notice_deadline,
    limitation_period,
)
from osame_law.rates.table import RATE_ROWS

from .conftest import Service

EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "8"))
STEPS = int(os.environ.get("OSAME_MODEL_STEPS", "20"))
A = "500001"
START = dt.date(2026, 4, 1)
DUES = [dt.date(2026, 4, 30), dt.date(2026, 5, 31), dt.date(2026, 6, 30)]
FEE = 100


class Model:
    """The truth about one installment, kept from libs/law and the history only."""

    def __init__(self, n: int, due: dt.date):
        self.n, self.notice, self.due = n, f"M-{n}", due
        self.principal = 100_000
        self.payments: list[tuple[dt.date, int]] = []  # confirmed, applied
        self.reflected = 0  # 本税 paid as the ledger last told collection
        self.pending_preliminary = 0  # 速報 not yet withdrawn
        self.held = False
        self.postponements: list[tuple[dt.date, dt.date]] = []  # 徴収猶予 (illness): in force, both ends
        self.exemption_ends: dict[int, dt.date] = {}  # a 猶予 cancelled for a missed 分割: last exempt day
        self.schedule: list[tuple[dt.date, int]] = []  # 分割 of the latest 猶予 (empty: one sum)
        self.breaches: list[list] = []  # [missed_due_on, decision or None] of the latest 猶予
        self.debit = "none"  # 口座振替 of its 納期限: none → in_flight (requested) → result (imported)
        self.demanded_on: dt.date | None = None
        self.version = 1
        self.written_off = False
        self.rates = DEFAULT_RATES  # + the 2027 row once a law change loads one

    @property
    def confirmed(self) -> int:
        return sum(a for _, a in self.payments)

    def principal_paid(self) -> int:
        return min(self.principal, self.confirmed)

    def postponed_on(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in self.postponements)

    def late_fee(self, as_of: dt.date) -> int | None:
        """延滞金 by the law library: fixed at the day the payments reach the 本税, else to as_of
        (None: a period the rate table does not price — shown as such, never as 0)."""
        result = self.priced(as_of)
        return 0 if result == () else None if result is None else result.late_fee

    def segments(self, as_of: dt.date) -> list[tuple] | None:
        """The law library's segments of the 延滞金 to ``as_of`` (fixed at full payment): B5."""
        result = self.priced(as_of)
        if result == () or result is None:
            return None if result is None else []
        return [(x.start, x.end, x.days, x.base, str(x.rate), x.yen) for x in result.segments]

    def priced(self, as_of: dt.date):
        """The law library's result to ``as_of`` (fixed at the day the payments reach the 本税);
        () when not late, None when the rate table does not price the days."""
        running, partial, paid_on = 0, [], as_of
        for day, amount in sorted(self.payments):
            if running + amount >= self.principal:
                paid_on = day
                break
            partial.append(PartialPayment(day, amount))
            running += amount
        if paid_on <= self.due:
            return ()
        exempt = [  # 徴収猶予 for illness: full exemption of its days (法15条の9①), to 取消し's end
            ExemptInterval(start, last, ExemptionKind.COLLECTION_DEFERRAL_DISASTER)
            for n, (start, end) in enumerate(self.postponements)
            if start <= (last := min(end, paid_on, self.exemption_ends.get(n, end)))
        ]
        try:
            return compute_late_fee(
                principal_tax=self.principal,
                due_date=self.due,
                paid_on=paid_on,
                partial_payments=partial,
                exempt_intervals=exempt,
                rates=self.rates,
            )
        except LawError:
            return None

    def missed(self, start: dt.date, on: dt.date, grace: int) -> tuple[dt.date, int] | None:
        """The first 分割 of the latest 猶予 missed as of ``on`` after the last one continued past."""
        after = max((b[0] for b in self.breaches if b[1] == "continue"), default=None)
        cumulative = 0
        for due, amount in self.schedule:
            cumulative += amount
            checked = due + dt.timedelta(days=grace)
            if checked >= on:
                return None
            if after is not None and due <= after:
                continue
            paid = sum(a for d, a in self.payments if start <= d <= checked)
            if paid < cumulative:
                return due, cumulative - paid
        return None

    def state(self) -> receipts.InstallmentState:
        paid = min(self.principal, self.confirmed)
        return receipts.InstallmentState(
            addressee_id=A,
            notice_number=self.notice,
            installment_no=1,
            tax_item="resident_tax",
            fiscal_year=2026,
            due_date=self.due,
            principal_tax=self.principal,
            paid=paid,
            remaining=self.principal - paid,
            last_paid_on=max([d for d, _ in self.payments], default=self.due),
            ledger_version=self.version,
        )


class CollectionMachine(InProcessService, RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.open_service(Service, "collection", orm.metadata)
        self.today = START
        self.policy = CollectionPolicy(business_date=lambda: self.today)
        self.items = [Model(n, due) for n, due in enumerate(DUES, start=1)]
        self.claim: str | None = None  # 交付要求 in force
        self.claim_covered: set[int] = set()
        self.postponement_ids: dict[int, str] = {}  # the item's latest 猶予
        self.breaches: dict[str, list[list]] = {}  # 猶予 id → [missed_due_on, decision] flagged
        self.counter = 0
        for m in self.items:
            self.handle(
                handlers.project_assessment,
                receipts.AssessmentRecorded(
                    addressee_id=A,
                    notice_number=m.notice,
                    tax_item="resident_tax",
                    fiscal_year=2026,
                    ledger_version=1,
                    installments=[
                        receipts.RecordedInstallment(
                            installment_no=1, principal_tax=m.principal, due_date=m.due, paid=0
                        )
                    ],
                ),
            )

    def teardown(self):
        self.close_service()

    # --- plumbing ----------------------------------------------------------------------------
    def handle(self, handler, message):
        return self.run(self.svc.handle(lambda m, uow: _call(handler, m, uow, self.policy), message))

    def rows(self, table):
        return self.run(self.svc.rows(table))

    def receipt(self, m: Model, amount: int, preliminary: bool = False) -> receipts.ReceiptRecorded:
        self.counter += 1
        return receipts.ReceiptRecorded(
            receipt_id=f"r-{self.counter}",
            addressee_id=A,
            notice_number=m.notice,
            installment_no=1,
            channel=receipts.Channel.CONVENIENCE_STORE,
            amount=amount,
            applied=0 if preliminary else amount,
            overpaid=0,
            paid_on=self.today,
            booked_on=self.today,
            preliminary=preliminary,
        )

    def reflect(self, m: Model) -> None:
        m.version += 1
        m.reflected = m.principal_paid()
        event = (
            receipts.InstallmentsSettled if m.reflected >= m.principal else receipts.InstallmentsPartlyPaid
        )
        self.handle(handlers.project_installment_states, event(items=[m.state()]))
        if m.reflected >= m.principal and not m.written_off:  # settled: the 確定延滞金 is stored (B5)
            expected = m.segments(self.today)
            [row] = [r for r in self.rows(orm.installments) if r["notice_number"] == m.notice]
            stored = self.stored("fixed", str(row["late_fee_version"]), m.notice)
            if expected and row["late_fee"]:
                assert stored == expected, ("stored 確定延滞金 segments differ from the law's", m.notice)

    def stored(self, kind: str, owner: str, notice: str) -> list[tuple]:
        rows = sorted(
            (
                r
                for r in self.rows(orm.late_fee_segments)
                if (r["owner_kind"], r["owner_id"], r["notice_number"]) == (kind, owner, notice)
            ),
            key=lambda r: r["seq"],
        )
        return [(r["from_on"], r["to_on"], r["days"], r["base"], r["rate"], r["yen"]) for r in rows]

    def owes(self, m: Model) -> int:
        """What the model says is still owed (本税 + 督促手数料 + 延滞金), before write-off."""
        fee = FEE if m.demanded_on else 0
        late = m.late_fee(self.today) or 0
        return max(0, m.principal - m.confirmed) + max(0, fee + late - max(0, m.confirmed - m.principal))

    # --- rules -------------------------------------------------------------------------------
    @rule(days=st.one_of(st.integers(min_value=1, max_value=12), st.integers(min_value=13, max_value=90)))
    def days_pass(self, days):
        self.today += dt.timedelta(days=days)

    @rule(i=st.integers(0, 2), extra=st.integers(min_value=0, max_value=20))
    def night_after_cutoff(self, i, extra):
        """The clock moves to a night between an installment's cut-off and its 20-day limit (where
        the 督促 guards matter most), if that is still ahead."""
        cutoff = demand_cutoff(self.items[i].due, self.policy.demand_cutoff_business_days)
        self.today = max(self.today, cutoff + dt.timedelta(days=1 + extra))

    @rule(i=st.integers(0, 2), k=st.integers(0, 1), extra=st.integers(min_value=-1, max_value=3))
    def night_around_an_installment(self, i, k, extra):
        """The clock moves to around the last day of grace of a 猶予 分割 (if that is still ahead)."""
        m = self.items[i]
        if len(m.schedule) > k:
            grace = self.policy.pledge_grace_days
            self.today = max(self.today, m.schedule[k][0] + dt.timedelta(days=grace + extra))

    @rule(i=st.integers(0, 2), whole=st.booleans(), shown=st.booleans())
    def pay(self, i, whole, shown):
        m = self.items[i]
        if m.written_off:
            return
        owed = max(0, m.principal - m.confirmed)
        amount = owed if whole and owed else 10_000
        if owed == 0:  # the 本税 is paid: this pays 督促手数料 / 延滞金
            amount = max(1, self.owes(m))
        m.payments.append((self.today, amount))
        self.handle(handlers.note_receipt, self.receipt(m, amount))
        if shown:
            self.reflect(m)

    @rule(i=st.integers(0, 2))
    def ledger_catches_up(self, i):
        if self.items[i].reflected != self.items[i].principal_paid():
            self.reflect(self.items[i])

    @rule(i=st.integers(0, 2), withdraw=st.booleans())
    def preliminary(self, i, withdraw):
        m = self.items[i]
        message = self.receipt(m, 5_000, preliminary=True)
        self.handle(handlers.note_receipt, message)
        m.pending_preliminary += 1
        if withdraw:  # 03 速報取消
            self.handle(handlers.note_receipt, message.model_copy(update={"cancelled": True}))
            m.pending_preliminary -= 1

    @rule(i=st.integers(0, 2))
    def toggle_hold(self, i):
        m = self.items[i]
        self.handle(
            holds.set_hold,
            holds.DemandHold(
                notice_number=m.notice, installment_no=1, reason="staff_hold", release=m.held, note="model"
            ),
        )
        m.held = not m.held

    @initialize(mandates=st.lists(st.booleans(), min_size=3, max_size=3))
    def debits_requested(self, mandates):
        """口座振替 holders: the 種別91 request for their 納期限 is built before it (repeats ignored)."""
        for m, debited in zip(self.items, mandates, strict=True):
            if debited:
                key = receipts.InstallmentKey(notice_number=m.notice, installment_no=1)
                event = receipts.DirectDebitRequested(debit_date=m.due, items=[key])
                self.handle(direct_debits.note_debit_requested, event)
                self.handle(direct_debits.note_debit_requested, event)
                m.debit = "in_flight"

    @initialize(i=st.sampled_from([None, 0, 1, 2]), days=st.integers(min_value=60, max_value=200))
    def postponed_from_the_start(self, i, days):
        """Often one installment starts under a 徴収猶予 paid in 分割 (so histories reach its 期限)."""
        if i is not None:
            self.postpone(i, days, split=True)

    @rule(i=st.integers(0, 2))
    def debit_result_imported(self, i):
        m = self.items[i]
        if m.debit != "in_flight":
            return
        event = receipts.DirectDebitResultsImported(debit_date=m.due, debited=0, failed=1, held=0)
        self.handle(direct_debits.note_results_imported, event)  # 振替不能: still owed
        m.debit = "result"

    def debit_waits(self, m: Model) -> bool:
        """In flight and before the last day of 法329 (納期限 + 20 days): the 督促 waits."""
        return m.debit == "in_flight" and self.today < demand_notice_deadline(
            m.due, shift_due_date_for_holidays=False
        )

    @rule(i=st.integers(0, 2), up=st.booleans())
    def correction(self, i, up):
        m = self.items[i]
        if m.written_off:
            return
        m.principal = m.principal + 20_000 if up else max(20_000, m.principal - 30_000)
        m.version += 1
        m.reflected = m.principal_paid()
        self.handle(
            handlers.project_assessment,
            receipts.AssessmentRecorded(
                addressee_id=A,
                notice_number=m.notice,
                tax_item="resident_tax",
                fiscal_year=2026,
                ledger_version=m.version,
                installments=[
                    receipts.RecordedInstallment(
                        installment_no=1, principal_tax=m.principal, due_date=m.due, paid=m.reflected
                    )
                ],
            ),
        )

    @rule(i=st.integers(0, 2), days=st.integers(min_value=60, max_value=300), split=st.booleans())
    def postpone(self, i, days, split):
        """徴収猶予 (illness) from today for ``days`` more days, applied and approved today; with
        ``split`` paid in two 分割 (法15条③) at +30 and +60 days, monitored by the batch."""
        m = self.items[i]
        if (
            m.written_off
            or m.reflected >= m.principal
            or any(end >= self.today for _, end in m.postponements)
        ):
            return
        applied = self.handle(
            postponements.apply,
            postponements.ApplyPostponement(
                addressee_id=A,
                kind="collection",
                ground="illness",
                applied_on=self.today,
                installments=[(m.notice, 1)],
                staff_user="s",
            ),
        )
        end = self.today + dt.timedelta(days=days)
        amount = m.principal - m.reflected
        schedule = (
            [
                (self.today + dt.timedelta(days=30), amount // 2),
                (self.today + dt.timedelta(days=60), amount - amount // 2),
            ]
            if split and amount >= 2
            else []
        )
        self.handle(
            postponements.decide,
            postponements.DecidePostponement(
                postponement_id=applied,
                approve=True,
                decided_on=self.today,
                starts_on=self.today,
                ends_on=end,
                schedule=[{"due_on": d, "amount": a} for d, a in schedule],
                staff_user="s",
            ),
        )
        self.postponement_ids[m.n] = applied
        m.postponements.append((self.today, end))
        m.schedule, m.breaches = schedule, []
        self.breaches[applied] = m.breaches

    @rule(i=st.integers(0, 2), cancel=st.booleans())
    def decide_breach(self, i, cancel):
        """Staff decide a flagged missed 分割: 取消し (the exemption ends at the missed 期限) or 継続."""
        m = self.items[i]
        open_ = [b for b in m.breaches if b[1] is None]
        if not open_ or not m.schedule:  # cancelled meanwhile: nothing left to decide
            return
        self.handle(
            postponements.decide_breach,
            postponements.DecideBreach(
                postponement_id=self.postponement_ids[m.n],
                decision="cancel" if cancel else "continue",
                decided_on=self.today,
                note="model",
                staff_user="s",
            ),
        )
        open_[0][1] = "cancel" if cancel else "continue"
        if cancel:
            n = len(m.postponements) - 1
            start, end = m.postponements[n]
            m.postponements[n] = (start, min(end, self.today - dt.timedelta(days=1)))
            m.exemption_ends[n] = min(m.postponements[n][1], open_[0][0])
            m.schedule = []

    @rule(i=st.integers(0, 2))
    def cancel_postponement(self, i):
        m = self.items[i]
        if not m.postponed_on(self.today) or m.postponements[-1][0] == self.today:
            return
        self.handle(
            postponements.cancel,
            postponements.CancelPostponement(
                postponement_id=self.postponement_ids[m.n], cancelled_on=self.today, staff_user="s"
            ),
        )
        m.postponements[-1] = (m.postponements[-1][0], self.today - dt.timedelta(days=1))
        m.schedule = []  # cancelled: no more monitoring, nothing left to decide

    @rule()
    def nightly_batch(self):
        before = {
            m.n: (
                m.pending_preliminary > 0,
                m.held or m.postponed_on(self.today),
                m.reflected != m.principal_paid(),
                self.debit_waits(m),
            )
            for m in self.items
        }
        first = self.handle(run_nightly, RunNightly(batch_date=self.today))
        notices = {r["notice_number"]: r for r in self.rows(orm.demand_notices)}
        cutoff = self.policy.demand_cutoff_business_days
        for m in self.items:
            row = notices.get(m.notice)
            eligible = (
                m.demanded_on is None
                and not m.written_off
                and m.reflected < m.principal
                and demand_cutoff(m.due, cutoff) < self.today
                and not any(before[m.n])
            )
            if eligible:  # a partial payment delays the 督促, never cancels it (defect 1)
                assert row is not None, ("no 督促 although nothing withholds it", m.notice)
            if row is None or m.demanded_on is not None:
                continue
            pending, held, unreflected, debit = before[m.n]
            assert not (pending or held or unreflected or debit), ("督促 despite a guard or a 猶予", m.notice)
            assert demand_cutoff(m.due, self.policy.demand_cutoff_business_days) < self.today, (
                "before cut-off"
            )
            assert row["principal_tax_due"] == m.principal - m.reflected, "督促 names the remainder"
            expected = m.segments(self.today)
            if expected is not None:  # what the 督促状 prints explains itself, as the law priced it (B5)
                assert self.stored("demand_notice", row["demand_notice_id"], m.notice) == expected, (
                    "stored 督促 segments differ from the law's",
                    m.notice,
                )
            m.demanded_on = self.today
        self.check_breaches()
        again = self.handle(run_nightly, RunNightly(batch_date=self.today))
        assert again["demand_notices"] == 0 and len(self.rows(orm.demand_notices)) == len(notices)
        assert again["postponements_breached"] == 0, "a 猶予 breach flagged twice"
        assert first["batch_date"] == again["batch_date"]

    def check_breaches(self):
        """猶予 分割 monitoring (法15条の3): the flags the batch raised are exactly the model's."""
        grace = self.policy.pledge_grace_days
        for m in self.items:
            if not m.schedule or any(b[1] is None for b in m.breaches):
                continue  # not monitored (no 分割, cancelled) or awaiting the staff decision
            missed = m.missed(m.postponements[-1][0], self.today, grace)
            if missed is not None:
                m.breaches.append([missed[0], None])
        flagged = {(r["postponement_id"], r["missed_due_on"]) for r in self.rows(orm.postponement_breaches)}
        expected = {(pid, b[0]) for pid, found in self.breaches.items() for b in found}
        assert flagged == expected, ("猶予 breaches differ", flagged ^ expected)

    @rule(first=st.sampled_from(["2.9", "3.4"]), second=st.sampled_from(["9.2", "9.7"]))
    def law_change_2027(self, first, second):
        """A 2027 rate row loaded (or corrected) through the recalculation path: every 延滞金 then
        follows the new table, and applying the same change again changes nothing."""
        row = {
            "first_year": 2027,
            "last_year": 2027,
            "late_fee_first_tier": first,
            "late_fee_second_tier": second,
            "refund_interest": "1.4",
            "postponement": "1.4",
            "source": "model: illustrative 2027 figures",
        }
        change = law_changes.LawChange(rates=[row], staff_user="s")
        self.handle(law_changes.apply, change)
        assert self.handle(law_changes.apply, change)["late_fees_changed"] == 0, "a re-run changed amounts"
        table = RateTable(
            [
                *RATE_ROWS,
                RateRow(2027, 2027, Decimal(first), Decimal(second), Decimal("1.4"), Decimal("1.4"), "m"),
            ]
        )
        for m in self.items:
            m.rates = table

    @rule()
    def campaign(self):
        campaign_id = self.handle(
            reminders.save_campaign,
            reminders.SaveCampaign(name="m", criteria=CampaignCriteria(require_demand=False), staff_user="s"),
        )
        command = reminders.RunCampaign(campaign_id=campaign_id, run_on=self.today, staff_user="s")
        summary = self.handle(reminders.run_campaign, command)
        sent = {r["reminder_id"] for r in self.rows(orm.reminders) if r["batch_id"] == summary["batch_id"]}
        for item in self.rows(orm.reminder_items):
            m = next(m for m in self.items if m.notice == item["notice_number"])
            if item["reminder_id"] in sent:
                assert not m.postponed_on(self.today), ("催告 during a 猶予", m.notice)
                assert not m.held, ("催告 despite a 督促停止", m.notice)
        count = len(self.rows(orm.reminders))
        assert self.handle(reminders.run_campaign, command)["repeated"]
        assert len(self.rows(orm.reminders)) == count

    @precondition(lambda self: self.claim is None)
    @rule()
    def claim_filing(self):
        owing = [m for m in self.items if not m.written_off and self.owes(m) > 0]
        if not owing:
            return
        self.claim = self.handle(
            dispositions.record_disposition,
            dispositions.RecordDisposition(
                addressee_id=A, kind="claim_filing", executed_on=self.today, amount=1, staff_user="s"
            ),
        )["disposition_id"]
        self.claim_covered = {m.n for m in owing}

    @precondition(lambda self: self.claim is not None)
    @rule()
    def claim_ends(self):
        self.handle(
            dispositions.record_disposition,
            dispositions.RecordDisposition(
                addressee_id=A,
                kind="release",
                executed_on=self.today,
                related_id=self.claim,
                amount=1,
                staff_user="s",
            ),
        )
        self.claim, self.claim_covered = None, set()

    @rule(years=st.integers(min_value=0, max_value=7))
    def write_off_run(self, years):
        self.today += dt.timedelta(days=365 * years)
        prepared = self.handle(stays.run_write_offs, stays.RunWriteOffs(as_of=self.today, staff_user="s-1"))
        self.handle(
            stays.approve_write_offs, stays.ApproveWriteOffs(run_id=prepared["run_id"], staff_user="s-2")
        )
        written = {r["notice_number"] for r in self.rows(orm.write_offs)}
        for m in self.items:
            if m.notice in written and not m.written_off:
                assert m.n not in self.claim_covered, (
                    "時効 completed while a 交付要求 is in force",
                    m.notice,
                )
                assert limitation_period(m.due).ends_on < self.today
                m.written_off = True

    # --- invariants --------------------------------------------------------------------------
    @invariant()
    def nothing_owed_disappears(self):
        view = self.handle(
            cases.delinquency_view, cases.ViewCase(addressee_id=A, as_of=self.today, staff_user="m")
        )
        listed = {u["notice_number"]: u for u in view["unpaid"]}
        for m in self.items:
            if m.written_off or m.reflected != m.principal_paid():
                continue  # the ledger has not shown the last payment yet: collection cannot know
            if self.owes(m) > 0:
                assert m.notice in listed, ("owed but not in the case view", m.notice, self.owes(m))
                line = listed[m.notice]
                assert line["unpaid"] == max(0, m.principal - m.confirmed)
                if m.late_fee(self.today) is None:  # unpriced: an error on the line, never a silent 0
                    assert line["late_fee"] is None and line["late_fee_error"]
                    continue
                if m.confirmed >= m.principal:  # 確定延滞金 and 督促手数料 left (defect 3)
                    assert line["late_fee"] + line["demand_fee"] == self.owes(m)
            elif m.notice in listed:
                assert listed[m.notice]["owed"] == 0, ("listed while nothing is owed", m.notice)


async def _call(handler, message, uow, policy):
    import inspect

    if "policy" in inspect.signature(handler).parameters:
        return await handler(message, uow, policy=policy)
    return await handler(message, uow)


CollectionMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # OSAME_MODEL_NO_SHRINK=1: report the first failing history as found (for fix-revert runs).
    phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("OSAME_MODEL_NO_SHRINK")],
)
TestCollectionModel = CollectionMachine.TestCase
