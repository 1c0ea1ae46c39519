"""Issue #12 defect 2, the 振替結果 part of the 督促 cut-off: an installment whose 口座振替 for a 振替日
is in flight is not dunned until receipts reports the 振替結果 of that 振替日 imported — and no later
than 法329's 20-day limit (on the last day the 督促 is issued anyway and the batch lists it).
Reproduced on main: the 督促 went out after the cut-off while the bank's result was still out."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_collection.adapters import orm
from osame_collection.domain.demand import (
    Withheld,
    at_issue_limit,
    last_due_date_at_limit,
    may_issue_demand,
    withheld_reason,
)
from osame_collection.service_layer import direct_debits, handlers
from osame_contracts.messages import receipts
from osame_law import demand_notice_deadline

from .test_collection_domain_rules import view
from .test_collection_nightly import assessment, demanded, ledger_state, nightly

D = dt.date
DUE = D(2026, 6, 30)  # the 振替日 is the 納期限; cut-off (3 business days) Fri 7/3


def requested(*notices, day=DUE):
    return receipts.DirectDebitRequested(
        debit_date=day,
        items=[receipts.InstallmentKey(notice_number=n, installment_no=1) for n in notices],
    )


def imported(day=DUE, debited=0, failed=1):
    return receipts.DirectDebitResultsImported(debit_date=day, debited=debited, failed=failed, held=0)


@pytest.mark.parametrize(
    ("batch", "in_flight", "issue", "reason"),
    [
        (D(2026, 7, 6), False, True, None),
        (D(2026, 7, 6), True, False, Withheld.DEBIT_IN_FLIGHT),
        (D(2026, 7, 19), True, False, Withheld.DEBIT_IN_FLIGHT),  # day 19: still waits
        (D(2026, 7, 20), True, True, None),  # 法329: 納期限 + 20 days is the last day: issue anyway
        (D(2026, 7, 25), True, True, None),  # past the limit (a late 督促 is still valid): issue
    ],
)
def test_debit_in_flight_rule(batch, in_flight, issue, reason):
    v = view(due_date=DUE, debit_in_flight=in_flight)
    assert may_issue_demand(v, batch, 3) is issue
    assert withheld_reason(v, batch) == reason


@pytest.mark.parametrize("batch", [D(2026, 7, 20), D(2026, 1, 1), D(2027, 3, 21), D(2028, 3, 20)])
def test_last_due_date_at_limit_agrees_with_the_law(batch):
    last = last_due_date_at_limit(batch)
    assert at_issue_limit(last, batch) and not at_issue_limit(last + dt.timedelta(days=1), batch)
    assert demand_notice_deadline(last, shift_due_date_for_holidays=False) == batch


async def _two_installments(service):
    await service.handle(handlers.project_assessment, assessment("N-DD", [(1, 100_000, DUE, 0)]))
    await service.handle(handlers.project_assessment, assessment("N-CS", [(1, 100_000, DUE, 0)]))
    await service.handle(direct_debits.note_debit_requested, requested("N-DD"))


async def test_debit_in_flight_waits_for_its_result_then_is_dunned(service):
    await _two_installments(service)
    first = await nightly(service, D(2026, 7, 6))
    assert first["demand_notices"] == 1 and first["withheld"]["debit_in_flight"] == 1
    assert set(await demanded(service)) == {("N-CS", 1)}

    await service.handle(direct_debits.note_results_imported, imported())  # 振替不能: still owed
    second = await nightly(service, D(2026, 7, 7))
    assert second["demand_notices"] == 1 and second["withheld"]["debit_in_flight"] == 0
    assert ("N-DD", 1) in await demanded(service)
    assert second["issued_with_debit_in_flight"] == []


async def test_without_a_result_the_demand_goes_out_on_the_last_day_and_says_why(service):
    await _two_installments(service)
    assert (await nightly(service, D(2026, 7, 19)))["withheld"]["debit_in_flight"] == 1
    last_day = await nightly(service, D(2026, 7, 20))
    assert last_day["demand_notices"] == 1
    assert last_day["issued_with_debit_in_flight"] == ["dn-N-DD-1"]
    assert (await demanded(service))[("N-DD", 1)]["issued_on"] == D(2026, 7, 20)  # within 20 days


async def test_result_before_request_and_repeats_hold_nothing(service):
    """Either event may come first and twice: the result of the 振替日 is in, nothing is in flight."""
    await service.handle(handlers.project_assessment, assessment("N-DD", [(1, 100_000, DUE, 0)]))
    await service.handle(direct_debits.note_results_imported, imported())
    await service.handle(direct_debits.note_results_imported, imported())
    await service.handle(direct_debits.note_debit_requested, requested("N-DD"))
    await service.handle(direct_debits.note_debit_requested, requested("N-DD"))
    assert await service.count(orm.debits_in_flight) == 1 and await service.count(orm.debit_results) == 1
    assert (await nightly(service, D(2026, 7, 6)))["demand_notices"] == 1


async def test_the_result_releases_its_date_once_the_ledger_shows_the_debited_installments(service):
    """The result event and the debited installments' ledger states come on two queues: a batch in
    between must not dun the installment the bank debited (its payment not shown yet)."""
    await _two_installments(service)
    await service.handle(handlers.project_assessment, assessment("N-D2", [(1, 80_000, DUE, 0)]))
    await service.handle(direct_debits.note_debit_requested, requested("N-D2"))
    await service.handle(direct_debits.note_results_imported, imported(debited=1, failed=1))  # N-DD paid
    early = await nightly(service, D(2026, 7, 6))
    assert early["withheld"]["debit_in_flight"] == 2  # N-DD's ledger state has not arrived yet
    assert set(await demanded(service)) == {("N-CS", 1)}

    await service.handle(handlers.project_installment_states, ledger_state("N-DD", 1, 100_000, 100_000, DUE))
    later = await nightly(service, D(2026, 7, 7))
    assert later["withheld"]["debit_in_flight"] == 0
    assert set(await demanded(service)) == {("N-CS", 1), ("N-D2", 1)}  # the failed debit is dunned


async def test_another_debit_date_does_not_release_it(service):
    await _two_installments(service)
    await service.handle(direct_debits.note_results_imported, imported(day=D(2026, 5, 31)))
    assert (await nightly(service, D(2026, 7, 6)))["withheld"]["debit_in_flight"] == 1


async def test_debit_events_are_routed(service, bus):
    await service.deliver(bus, requested("N-DD"))
    await service.deliver(bus, imported())
    assert await service.count(orm.debits_in_flight) == 1
    assert (await service.one(orm.debit_results))["failed"] == 1
