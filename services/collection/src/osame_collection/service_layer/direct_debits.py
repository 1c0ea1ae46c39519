"""口座振替 in flight (issue #12 defect 2, the 振替結果 part of the 督促 cut-off).

An installment a 種別91 request covers for a 振替日 is not dunned until receipts reports the
振替結果 of that 振替日 imported: the debit may have paid it, and its receipt only comes with the
result file (the 行き違い incident pattern). receipts announces the request
(``DirectDebitRequested``) and the import (``DirectDebitResultsImported``); either may arrive
first, both may arrive twice. The wait ends at the 20-day limit of 法329条
(``domain.demand.at_issue_limit``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts
from sqlalchemy import insert, select, tuple_

from osame_collection.adapters import orm

F, RES = orm.debits_in_flight, orm.debit_results


async def note_debit_requested(event: receipts.DirectDebitRequested, uow: UnitOfWork) -> None:
    """Record the installments the request covers (those already recorded are skipped)."""
    keys = list(dict.fromkeys((i.notice_number, i.installment_no) for i in event.items))
    held = {
        (n, i)
        for n, i in (
            await uow.session.execute(
                select(F.c.notice_number, F.c.installment_no).where(
                    F.c.debit_date == event.debit_date,
                    tuple_(F.c.notice_number, F.c.installment_no).in_(keys),
                )
            )
        ).all()
    }
    rows = [
        {"notice_number": n, "installment_no": i, "debit_date": event.debit_date}
        for n, i in keys
        if (n, i) not in held
    ]
    if rows:
        await uow.session.execute(insert(F), rows)


async def note_results_imported(event: receipts.DirectDebitResultsImported, uow: UnitOfWork) -> None:
    """The 振替結果 of the 振替日 is in: no debit of that date is in flight any more."""
    seen = (
        await uow.session.execute(select(RES.c.debit_date).where(RES.c.debit_date == event.debit_date))
    ).first()
    if seen is not None:
        return
    await uow.session.execute(
        insert(RES).values(
            debit_date=event.debit_date,
            debited=event.debited,
            failed=event.failed,
            held=event.held,
            imported_at=datetime.now(UTC),
        )
    )
