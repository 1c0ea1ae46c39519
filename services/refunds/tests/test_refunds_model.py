"""Model-based test of refunds (hypothesis RuleBasedStateMachine) over its service layer on a real
SQLite unit of work, against an independent model that uses only `libs/law`.

The world: a few 宛名番号 (merged by 名寄せ at any time), installments whose 本税/督促手数料/延滞金 the
simulated receipts ledger changes (assessments, payments, late charges), overpayments of every
cause, and receipts answering refunds' 充当 commands (applied, or refused when no longer owed).
Every message reaches refunds through the inbox (as the consumer does) in ANY order across
queues, and may be delivered again (a replay). Staff prepare and approve refunds (two people),
pay them out, and transfers come back; receipts withdraws overpayments (不渡) with the 充当 it had
booked from them; business days pass across year ends.

After every step (domain-rules §2, issue 11):
- conservation per overpayment: amount = appropriated + refunded + held + withdrawn, each ≥ 0;
  appropriated = the 充当 receipts applied and did not reverse (as delivered); withdrawn + open
  recovery claims = the withdrawals delivered;
- no refund is approved while the person (every 宛名番号 joined by the delivered merges) owes a
  payable component (法17条の2①) that no 充当 in flight covers;
- 還付加算金 of every applied 充当 (to its 充当適状日 = 令6条の14 date) and of every approved refund (to
  its 支出決定日) equals the law library's figure (法17条の4), whatever the overpayment's fate;
- a replayed message changes nothing.

Short by default; `OSAME_MODEL_EXAMPLES=2000` (and `OSAME_MODEL_STEPS`) for a long run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict

from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from osame_chassis.errors import PermanentError
from osame_chassis.messaging.tables import outbox
from osame_chassis.testing import InProcessService
from osame_contracts.messages import address_sync, receipts
from osame_law.appropriation import appropriable_on
from osame_law.calendar import is_business_day
from osame_law.refund_interest import RefundCause, compute_refund_interest
from osame_refunds.adapters import orm
from osame_refunds.entrypoints.consumers import HANDLERS
from osame_refunds.service_layer import payout, refund_actions

from .conftest import Service

D = dt.date
ADDRESSEES = ["300001", "300002", "300003", "300004"]
NOTICES = ["N1", "N2", "N3", "N4", "N5"]
COMPONENTS = ("principal_tax", "demand_fee", "late_fee")
START = D(2025, 6, 2)
LAST_DAY = D(2026, 12, 18)  # rates are tabled to 2026
EXAMPLES = int(os.environ.get("OSAME_MODEL_EXAMPLES", "10"))
STEPS = int(os.environ.get("OSAME_MODEL_STEPS", "25"))


class Installment:
    """The simulated receipts ledger of one installment (the truth)."""

    def __init__(self, notice: str, owner: str, due: dt.date):
        self.notice, self.owner, self.due = notice, owner, due
        self.owed = dict.fromkeys(COMPONENTS, 0)
        self.principal = 0
        self.version = 0

    def state(self) -> receipts.InstallmentState:
        return receipts.InstallmentState(
            addressee_id=self.owner,
            notice_number=self.notice,
            installment_no=1,
            tax_item="fixed_asset_tax",
            fiscal_year=self.due.year,
            due_date=self.due,
            principal_tax=self.principal,
            paid=self.principal - self.owed["principal_tax"],
            remaining=self.owed["principal_tax"],
            demand_fee_remaining=self.owed["demand_fee"],
            late_fee_remaining=self.owed["late_fee"],
            last_paid_on=self.due,
            ledger_version=self.version,
        )


class RefundsMachine(InProcessService, RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.open_service(Service, "refunds", orm.metadata)
        self.today = START
        self.svc.spec.settings.business_date = self.today
        self.ledger: dict[str, Installment] = {}
        self.merges: list[tuple[str, str]] = []  # delivered 名寄せ
        self.pending: list[tuple[str, object]] = []  # (message_id, message) not yet delivered
        self.delivered: list[tuple[str, object]] = []
        self.delivered_ids: set[str] = set()
        self.seen_commands: set[int] = set()
        self.commands: dict[str, dict] = {}  # appropriation_id → command + model outcome
        self.overpayments: dict[str, dict] = {}  # model receipts' view of each overpayment
        self.known_states: dict[tuple[str, str], tuple[int, dict, dt.date, str]] = {}
        self.counter = 0
        for addressee in ADDRESSEES:
            account = refund_actions.PayeeAccount(addressee, "0001", "001", "1", "1234567", "ﾃｽﾄ", START)
            self.act(lambda uow, a=account: refund_actions.record_claim(a, uow))

    def teardown(self):
        if os.environ.get("OSAME_MODEL_DEBUG"):
            kinds = sorted({type(m).__name__ for _, m in self.delivered})
            print(f"\nsteps: delivered {len(self.delivered)} {kinds}; refunds {len(self.rows(orm.refunds))}")
        self.close_service()

    # --- plumbing ----------------------------------------------------------------------------
    def send(self, message) -> None:
        self.counter += 1
        self.pending.append((f"m-{self.counter}", message))

    def consume(self, message_id: str, message) -> None:
        """As the chassis consumer does: inbox claim and effect in one transaction."""

        async def go():
            async with self.svc.runtime.unit_of_work() as uow:
                if not await uow.claim(message.routing_key, message_id):
                    return
                await HANDLERS[message.routing_key](message, uow)
                await uow.commit()

        try:
            self.run(go())
        except PermanentError as exc:  # a realistic history never dead-letters
            raise AssertionError(f"rejected to DLQ: {exc}") from None

    def rows(self, table):
        return self.run(self.svc.rows(table))

    def person(self, addressee: str) -> set[str]:
        group = {addressee}
        changed = True
        while changed:
            changed = False
            for a, b in self.merges:
                if (a in group) != (b in group):
                    group |= {a, b}
                    changed = True
        return group

    def harvest_commands(self) -> None:
        for row in self.rows(outbox):
            if row["id"] in self.seen_commands:
                continue
            self.seen_commands.add(row["id"])
            if row["routing_key"] == "receipts.appropriation.apply.v1":
                command = json.loads(row["payload"])
                self.commands[command["appropriation_id"]] = {**command, "answer": None}

    # --- the world changes -------------------------------------------------------------------
    @rule(
        notice=st.sampled_from(NOTICES),
        owner=st.sampled_from(ADDRESSEES),
        due=st.dates(D(2025, 4, 30), D(2026, 12, 28)),
        principal=st.integers(1, 400).map(lambda n: n * 1_000),
    )
    def assess(self, notice, owner, due, principal):
        if notice in self.ledger:
            return
        item = Installment(notice, owner, due)
        item.principal = item.owed["principal_tax"] = principal
        item.version = 1
        self.ledger[notice] = item
        self.send(receipts.InstallmentsPartlyPaid(items=[item.state()]))

    @rule(data=st.data(), component=st.sampled_from(COMPONENTS[1:]), amount=st.integers(1, 80))
    def charge(self, data, component, amount):
        """督促手数料 or 延滞金 booked by receipts after collection's decision (InstallmentsCharged)."""
        if not self.ledger:
            return
        item = self.ledger[data.draw(st.sampled_from(sorted(self.ledger)))]
        item.owed[component] += 100 if component == "demand_fee" else amount * 100
        item.version += 1
        self.send(receipts.InstallmentsCharged(items=[item.state()]))

    @rule(data=st.data(), share=st.floats(0.1, 1.0))
    def pay(self, data, share):
        if not self.ledger:
            return
        item = self.ledger[data.draw(st.sampled_from(sorted(self.ledger)))]
        for component in COMPONENTS:
            item.owed[component] -= int(item.owed[component] * share)
        item.version += 1
        self.send(receipts.InstallmentsPartlyPaid(items=[item.state()]))

    @rule(
        addressee=st.sampled_from(ADDRESSEES),
        amount=st.integers(1, 600).map(lambda n: n * 1_000),
        cause=st.sampled_from(["erroneous_payment", "reassessment"]),
        back=st.integers(0, 120),
    )
    def overpaid(self, addressee, amount, cause, back):
        self.counter += 1
        paid_on = max(self.today - dt.timedelta(days=back), D(2025, 1, 6))
        arose_on = self.today if cause == "reassessment" else paid_on + dt.timedelta(days=1)
        arose_on = min(arose_on, self.today)
        overpayment_id = f"op-{self.counter}"
        self.overpayments[overpayment_id] = {"amount": amount, "withdrawn": 0, "applied": set()}
        self.send(
            receipts.OverpaymentDetected(
                overpayment_id=overpayment_id,
                addressee_id=addressee,
                notice_number="R1",
                installment_no=1,
                amount=amount,
                cause=cause,
                arose_on=arose_on,
                paid_on=paid_on,
            )
        )

    @rule(pair=st.tuples(st.sampled_from(ADDRESSEES), st.sampled_from(ADDRESSEES)))
    def merge(self, pair):
        merged, survivor = pair
        if merged == survivor:
            return
        self.send(
            address_sync.AddresseesMerged(
                unified_addressee_id="900001",
                surviving_addressee_id=survivor,
                merged_addressee_id=merged,
                reason="staff_decision",
                merged_on=self.today,
            )
        )

    @rule(data=st.data(), partial=st.booleans())
    def withdraw(self, data, partial):
        """不渡: receipts reverses the 充当 it booked from the overpayment and withdraws the money."""
        live = [k for k, v in self.overpayments.items() if v["amount"] > v["withdrawn"]]
        if not live:
            return
        overpayment_id = data.draw(st.sampled_from(sorted(live)))
        model = self.overpayments[overpayment_id]
        reversed_ids = [] if partial else sorted(model["applied"])
        applied_total = sum(self.commands[a]["total"] for a in model["applied"])
        available = model["amount"] - model["withdrawn"] - (applied_total if partial else 0)
        if available <= 0:
            return
        amount = data.draw(st.integers(1, available)) if partial else available
        for appropriation_id in reversed_ids:
            command = self.commands[appropriation_id]
            for line in command["items"]:
                self.ledger[line["notice_number"]].owed[line["component"]] += line["amount"]
            for notice in {line["notice_number"] for line in command["items"]}:
                self.ledger[notice].version += 1
                self.send(receipts.InstallmentsPartlyPaid(items=[self.ledger[notice].state()]))
            command["answer"] = "reversed"
            model["applied"].discard(appropriation_id)
        model["withdrawn"] += amount
        event("withdrawal with reversed 充当" if reversed_ids else "withdrawal")
        self.send(
            receipts.OverpaymentWithdrawn(
                overpayment_id=overpayment_id,
                addressee_id=ADDRESSEES[0],
                amount=amount,
                withdrawn_on=self.today,
                reason="dishonour",
                appropriations_reversed=reversed_ids,
            )
        )

    @rule(data=st.data(), count=st.integers(1, 4))
    def receipts_answers(self, data, count):
        """Receipts checks 充当 commands against its ledger: all items still owed → applied, else refused."""
        self.harvest_commands()
        open_ids = sorted(a for a, c in self.commands.items() if c["answer"] is None)
        for appropriation_id in data.draw(st.permutations(open_ids))[:count]:
            self.answer(self.commands[appropriation_id])

    def answer(self, command):
        model = self.overpayments[command["overpayment_id"]]
        total = sum(line["amount"] for line in command["items"])
        command["total"] = total
        applied_total = sum(self.commands[a]["total"] for a in model["applied"])
        taken: dict[tuple[str, str], int] = defaultdict(int)
        refusal = None
        if total > model["amount"] - model["withdrawn"] - applied_total:
            refusal = (receipts.AppropriationRefusal.INSUFFICIENT_OVERPAYMENT, None, None)
        for index, line in enumerate(command["items"]):
            if refusal:
                break
            key = (line["notice_number"], line["component"])
            owed = self.ledger[line["notice_number"]].owed[line["component"]] - taken[key]
            if line["amount"] > owed:
                refusal = (receipts.AppropriationRefusal.NOT_OWED, index, max(owed, 0))
            taken[key] += line["amount"]
        common = {
            "appropriation_id": command["appropriation_id"],
            "overpayment_id": command["overpayment_id"],
            "addressee_id": command["addressee_id"],
        }
        event(f"receipts: {'refused' if refusal else 'applied'}")
        if refusal:
            command["answer"] = "refused"
            reason, index, owed = refusal
            self.send(receipts.AppropriationRefused(**common, reason=reason, item_index=index, owed=owed))
            return
        command["answer"] = "applied"
        command["versions_after"] = {}
        for (notice, component), amount in taken.items():
            self.ledger[notice].owed[component] -= amount
        for notice in {line["notice_number"] for line in command["items"]}:
            self.ledger[notice].version += 1
            command["versions_after"][notice] = self.ledger[notice].version
            self.send(receipts.InstallmentsPartlyPaid(items=[self.ledger[notice].state()]))
        model["applied"].add(command["appropriation_id"])
        self.send(
            receipts.AppropriationApplied(
                **common,
                appropriable_on=D.fromisoformat(command["appropriable_on"]),
                total=total,
                overpayment_unappropriated=0,
                items=[{**line, "receipt_id": f"rc-{n}"} for n, line in enumerate(command["items"])],
            )
        )

    # --- delivery in any order, replays --------------------------------------------------------
    @initialize(
        dues=st.lists(st.dates(D(2025, 4, 30), D(2025, 9, 30)), min_size=2, max_size=3),
        owners=st.lists(st.sampled_from(ADDRESSEES), min_size=3, max_size=3),
        amounts=st.lists(st.integers(5, 300), min_size=3, max_size=3),
    )
    def a_city_with_debts_and_overpayments(self, dues, owners, amounts):
        for notice, due, owner, amount in zip(NOTICES, dues, owners, amounts, strict=False):
            self.assess(notice, owner, due, amount * 1_000)
            item = self.ledger[notice]
            item.owed["late_fee"] += amount * 10
            item.owed["demand_fee"] += 100
            item.version += 1
            self.send(receipts.InstallmentsCharged(items=[item.state()]))
        self.overpaid(owners[0], amounts[1] * 1_000 + 40_000, "erroneous_payment", 1)
        self.overpaid(owners[1], amounts[2] * 1_000 + 40_000, "reassessment", 30)

    @rule(data=st.data())
    def bus_settles(self, data):
        """Everything in flight is delivered (in a random order) and receipts answers every 充当,
        until nothing is left: deep histories in few steps."""
        for _ in range(6):
            self.harvest_commands()
            for appropriation_id in sorted(a for a, c in self.commands.items() if c["answer"] is None):
                self.answer(self.commands[appropriation_id])
            if not self.pending:
                break
            while self.pending:
                self.deliver_one(data.draw(st.integers(0, len(self.pending) - 1)))

    @precondition(lambda self: self.pending)
    @rule(data=st.data(), count=st.integers(1, 8))
    def deliver(self, data, count):
        """Up to `count` pending messages, each picked at random (any order across queues)."""
        for _ in range(min(count, len(self.pending))):
            self.deliver_one(data.draw(st.integers(0, len(self.pending) - 1)))

    def deliver_one(self, index):
        message_id, message = self.pending.pop(index)
        self.consume(message_id, message)
        self.delivered.append((message_id, message))
        self.delivered_ids.add(message_id)
        if isinstance(message, address_sync.AddresseesMerged):
            self.merges.append((message.merged_addressee_id, message.surviving_addressee_id))
        if isinstance(message, receipts.InstallmentsPartlyPaid | receipts.InstallmentsCharged):
            for item in message.items:
                for component in COMPONENTS:
                    key = (item.notice_number, component)
                    held = self.known_states.get(key)
                    if held is None or item.ledger_version > held[0]:
                        amount = {
                            "principal_tax": item.remaining,
                            "demand_fee": item.demand_fee_remaining,
                            "late_fee": item.late_fee_remaining,
                        }[component]
                        self.known_states[key] = (
                            item.ledger_version,
                            amount,
                            item.due_date,
                            item.addressee_id,
                        )

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def replay(self, data):
        message_id, message = data.draw(st.sampled_from(self.delivered))
        before = self.snapshot()
        self.consume(message_id, message)
        assert self.snapshot() == before, "a replayed message changed refunds' state"

    # --- staff and the calendar ----------------------------------------------------------------
    @rule()
    def approve(self):
        for refund in [r for r in self.rows(orm.refunds) if r["status"] == "pending_approval"]:
            self.approve_one(refund)

    def approve_one(self, refund):
        self.act(lambda uow: refund_actions.prepare(refund["refund_id"], "clerk-1", uow))
        try:
            result = self.act(lambda uow: refund_actions.approve(refund["refund_id"], "chief-2", uow))
        except refund_actions.RefundActionError as exc:
            assert "rate" in str(exc), exc  # only a year without a tabled rate may refuse
            return
        event(f"approval: {result['status']}")
        if result["status"] == "approved":
            self.assert_nothing_payable_uncovered(refund["addressee_id"])

    @rule(ahead=st.integers(1, 400), back=st.booleans())
    def staff_types_an_implausible_date(self, ahead, back):
        """A 支出決定日 after the business date, or before the overpayment arose, is refused and
        changes nothing."""
        refunds = [r for r in self.rows(orm.refunds) if r["status"] == "pending_approval"]
        if not refunds:
            return
        refund = refunds[0]
        self.act(lambda uow: refund_actions.prepare(refund["refund_id"], "clerk-1", uow))
        [overpayment] = [
            o for o in self.rows(orm.overpayments) if o["overpayment_id"] == refund["overpayment_id"]
        ]
        wrong = (
            overpayment["arose_on"] - dt.timedelta(days=ahead)
            if back
            else self.today + dt.timedelta(days=ahead)
        )
        before = self.snapshot()
        try:
            self.act(
                lambda uow: refund_actions.approve(refund["refund_id"], "chief-2", uow, decided_on=wrong)
            )
        except refund_actions.DateRefused:
            assert self.snapshot() == before
            return
        raise AssertionError(f"decided_on {wrong} was accepted (business date {self.today})")

    @precondition(lambda self: is_business_day(self.today))
    @rule(ok=st.booleans())
    def pay_out(self, ok):
        approved = [r for r in self.rows(orm.refunds) if r["status"] == "approved"]
        remitter = self.svc.spec.settings.remitter()
        for decided_on in sorted({r["decided_on"] for r in approved}):
            self.act(lambda uow, d=decided_on: payout.build_payout(self.today, d, remitter, uow))
        for refund in [r for r in self.rows(orm.refunds) if r["status"] == "in_payout"]:
            self.assert_nothing_payable_uncovered(refund["addressee_id"])  # 法17条の2①, at the payout too
        for refund in [r for r in self.rows(orm.refunds) if r["status"] == "in_payout"]:
            self.act(
                lambda uow, r=refund: payout.record_transfer(r["refund_id"], ok, self.today, "closed", uow)
            )
            if not ok:  # the taxpayer gives a new account
                account = refund_actions.PayeeAccount(
                    refund["addressee_id"], "0001", "001", "1", "7654321", "ﾃｽﾄ", self.today
                )
                self.act(lambda uow, a=account: refund_actions.record_claim(a, uow))

    @rule(days=st.integers(1, 75))
    def advance(self, days):
        self.today = min(self.today + dt.timedelta(days=days), LAST_DAY)
        self.svc.spec.settings.business_date = self.today

    # --- the independent model's checks ----------------------------------------------------------
    def snapshot(self):
        tables = (
            orm.overpayments,
            orm.refunds,
            orm.appropriations,
            orm.refund_interest_parts,
            orm.recovery_claims,
            orm.unpaid_items,
            orm.persons,
        )
        out = [sorted(map(repr, self.rows(t))) for t in tables]
        return out, len(self.rows(outbox))

    def assert_nothing_payable_uncovered(self, addressee: str) -> None:
        """法17条の2①: every component refunds was told of, payable today and owed by the person,
        is covered by a 充当 whose outcome refunds has not yet seen reflected."""
        self.harvest_commands()
        group = self.person(addressee)
        covered: dict[tuple[str, str], int] = defaultdict(int)
        answered = {m.appropriation_id for i, m in self.delivered if hasattr(m, "appropriation_id")}
        reversed_seen = {
            a
            for i, m in self.delivered
            if isinstance(m, receipts.OverpaymentWithdrawn)
            for a in m.appropriations_reversed
        }
        for command in self.commands.values():
            in_flight = (
                command["appropriation_id"] not in answered
                and command["appropriation_id"] not in reversed_seen
            )
            for line in command["items"]:
                key = (line["notice_number"], line["component"])
                version = self.known_states.get(key, (0,))[0]
                unreflected = command["answer"] == "applied" and version < command["versions_after"].get(
                    line["notice_number"], 0
                )
                if in_flight or unreflected:
                    covered[key] += line["amount"]
        for key, (_, amount, due, owner) in self.known_states.items():
            if owner in group and amount > 0 and due <= self.today:
                assert amount <= covered[key], (
                    f"refund approved while {key} owes {amount} (covered {covered[key]})"
                )

    @invariant()
    def money_is_conserved_per_overpayment(self):
        delivered = [m for _, m in self.delivered]
        applied = {m.appropriation_id for m in delivered if isinstance(m, receipts.AppropriationApplied)}
        reversed_ids = {
            a
            for m in delivered
            if isinstance(m, receipts.OverpaymentWithdrawn)
            for a in m.appropriations_reversed
        }
        withdrawals = defaultdict(int)
        for m in delivered:
            if isinstance(m, receipts.OverpaymentWithdrawn):
                withdrawals[m.overpayment_id] += m.amount
        claims = defaultdict(int)
        for claim in self.rows(orm.recovery_claims):
            if claim["status"] == "open":
                claims[claim["overpayment_id"]] += claim["amount"]
                event("recovery claim open")
        totals = defaultdict(int)
        for m in delivered:
            if isinstance(m, receipts.AppropriationApplied) and m.appropriation_id not in reversed_ids:
                totals[m.overpayment_id] += m.total
        for row in self.rows(orm.overpayments):
            held = row["amount"] - row["appropriated"] - row["refunded"] - row["withdrawn"]
            assert min(held, row["appropriated"], row["refunded"], row["withdrawn"]) >= 0, row
            assert row["appropriated"] == totals[row["overpayment_id"]], (row, applied)
            assert row["withdrawn"] + claims[row["overpayment_id"]] == withdrawals[row["overpayment_id"]], row
            live = [
                r
                for r in self.rows(orm.refunds)
                if r["overpayment_id"] == row["overpayment_id"] and r["status"] != "cancelled"
            ]
            assert sum(r["amount"] for r in live) == row["refunded"], row

    @invariant()
    def refund_interest_is_the_law_librarys_for_every_part(self):
        overpayments = {r["overpayment_id"]: r for r in self.rows(orm.overpayments)}
        parts = self.rows(orm.refund_interest_parts)
        for appropriation in self.rows(orm.appropriations):
            if appropriation["status"] != "applied":
                continue
            overpayment = overpayments[appropriation["overpayment_id"]]
            command = self.commands.get(appropriation["appropriation_id"]) or {}
            for line in command.get("items", []):
                due = self.ledger[line["notice_number"]].due
                assert appropriation["appropriable_on"] >= appropriable_on(due, overpayment["arose_on"]) or (
                    line["component"] == "late_fee"
                )
            [part] = [p for p in parts if p["reference"] == appropriation["appropriation_id"]]
            expected = compute_refund_interest(
                amount=appropriation["total"],
                cause=RefundCause(overpayment["cause"]),
                paid_on=overpayment["paid_on"],
                decided_on=appropriation["appropriable_on"],
                appropriable_on=appropriation["appropriable_on"],
            ).refund_interest
            assert (part["status"], part["interest"]) in {("owed", expected), ("in_refund", expected)}, part
        for refund in self.rows(orm.refunds):
            if refund["status"] not in ("approved", "in_payout", "paid"):
                continue
            overpayment = overpayments[refund["overpayment_id"]]
            carried = [
                p for p in parts if p["refund_id"] == refund["refund_id"] and p["status"] == "in_refund"
            ]
            own = [p for p in carried if p["kind"] == "refunded"]
            if refund["amount"]:
                expected = compute_refund_interest(
                    amount=refund["amount"],
                    cause=RefundCause(overpayment["cause"]),
                    paid_on=overpayment["paid_on"],
                    decided_on=refund["decided_on"],
                ).refund_interest
                assert [p["interest"] for p in own] == [expected], (refund, own)
            assert refund["refund_interest"] == sum(p["interest"] for p in carried), refund


RefundsMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # OSAME_MODEL_NO_SHRINK=1: report the first failing history as found (for fix-revert runs).
    phases=[p for p in Phase if p is not Phase.shrink or not os.environ.get("OSAME_MODEL_NO_SHRINK")],
)
TestRefundsModel = RefundsMachine.TestCase
