"""Synthetic data and the baseline of ``osame-collection benchmark`` (generated inside the database).

``load`` fills an empty database with ``rows`` open installments: 24 due dates (month ends from
January 2025), 8 installments per addressee, 1 % partly paid (with their receipts, so they go through
the law library), 0.5 % with a receipt dated before the batch date (withheld 行き違い), and the
installments due more than 40 days before the batch date already dunned. ``baseline`` is the
yardstick: one UPDATE writing one column on every row, committed. ``settle`` puts the database in the
same state before every timed run (VACUUM of the previous run's dead row versions, then CHECKPOINT,
so no run pays for another's dirty pages or WAL).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

PG = """
INSERT INTO installments (notice_number, installment_no, addressee_id, tax_item, fiscal_year, principal_tax,
    due_date, paid, status, last_receipt_on, ledger_version, demand_issued_on, demand_fee, earliest_seizure_on,
    late_fee, late_fee_version)
SELECT 'BN-' || ((g - 1) / 4), ((g - 1) % 4) + 1, (100000 + (g - 1) / 8)::text, 'resident_tax', 2025,
       p, due, CASE WHEN g % 100 = 0 THEN p / 2 ELSE 0 END, 'open', NULL, 1,
       CASE WHEN due < :dunned_before THEN due + 20 END, CASE WHEN due < :dunned_before THEN 100 ELSE 0 END,
       CASE WHEN due < :dunned_before THEN due + 31 END, 0, 0
FROM (SELECT g, (5000 + (g::bigint * 7919) % 200000)::int AS p,
             (date '2025-02-01' + make_interval(months => g % 24) - interval '1 day')::date AS due
      FROM generate_series(1, :rows) AS g) s
"""

SQLITE = """
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < :rows),
s AS (SELECT g, 5000 + (g * 7919) % 200000 AS p,
             date('2025-02-01', '+' || (g % 24) || ' months', '-1 day') AS due FROM n)
INSERT INTO installments (notice_number, installment_no, addressee_id, tax_item, fiscal_year, principal_tax,
    due_date, paid, status, last_receipt_on, ledger_version, demand_issued_on, demand_fee, earliest_seizure_on,
    late_fee, late_fee_version)
SELECT 'BN-' || ((g - 1) / 4), ((g - 1) % 4) + 1, CAST(100000 + (g - 1) / 8 AS TEXT), 'resident_tax', 2025,
       p, due, CASE WHEN g % 100 = 0 THEN p / 2 ELSE 0 END, 'open', NULL, 1,
       CASE WHEN due < :dunned_before THEN date(due, '+20 days') END,
       CASE WHEN due < :dunned_before THEN 100 ELSE 0 END,
       CASE WHEN due < :dunned_before THEN date(due, '+31 days') END, 0, 0
FROM s
"""

RECEIPTS = """
INSERT INTO receipts (receipt_id, notice_number, installment_no, addressee_id, paid_on, applied, preliminary, cancelled)
SELECT 'bench-' || notice_number || '-' || installment_no, notice_number, installment_no, addressee_id,
       :paid_on, paid, {false}, {false}
FROM installments WHERE paid > 0
"""

MARKS = """
INSERT INTO receipt_marks (notice_number, installment_no, last_receipt_on)
SELECT notice_number, installment_no, :mark_on FROM installments
WHERE paid = 0 AND installment_no = 1 AND notice_number LIKE '%77'
"""


# 行き違い: confirmed money the ledger projection does not show yet (domain.demand RECEIPT reason).
UNREFLECTED = """
INSERT INTO receipts (receipt_id, notice_number, installment_no, addressee_id, paid_on, applied, preliminary, cancelled)
SELECT 'bench-crossing-' || notice_number, notice_number, installment_no, addressee_id, :paid_on, 1000,
       {false}, {false}
FROM installments WHERE paid = 0 AND installment_no = 1 AND notice_number LIKE '%77'
"""


async def load(engine: AsyncEngine, rows: int, batch_date: date) -> None:
    postgres = engine.dialect.name == "postgresql"
    params = {"rows": rows, "dunned_before": batch_date - timedelta(days=40)}
    async with engine.begin() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM installments"))).scalar_one()
        if count:
            raise SystemExit("benchmark needs an empty database (installments already has rows)")
        await conn.execute(text(PG if postgres else SQLITE), params)
        false = "false" if postgres else "0"
        await conn.execute(text(RECEIPTS.format(false=false)), {"paid_on": batch_date - timedelta(days=90)})
        await conn.execute(text(MARKS), {"mark_on": batch_date - timedelta(days=2)})
        await conn.execute(text(UNREFLECTED.format(false=false)), {"paid_on": batch_date - timedelta(days=2)})
    async with engine.connect() as conn:
        if postgres:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE installments"))
            await conn.execute(text("VACUUM ANALYZE receipts"))
            await conn.execute(text("VACUUM ANALYZE receipt_marks"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


async def settle(engine: AsyncEngine) -> None:
    """PostgreSQL: VACUUM (dead versions of the last run) and CHECKPOINT before a timed run."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in ("installments", "demand_notices", "limitation_events", "outbox"):
            await conn.execute(text(f"VACUUM {table}"))
        await conn.execute(text("CHECKPOINT"))


async def baseline(engine: AsyncEngine, day: date) -> float:
    """Seconds for one committed UPDATE writing a single column on every installment."""
    t0 = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE installments SET late_fee_on = :d"), {"d": day})
    return time.perf_counter() - t0
