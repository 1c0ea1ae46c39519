"""Bulk 消込: load a file's receipts into a staging table and reconcile them with set-based SQL.

PostgreSQL: COPY (asyncpg `copy_records_to_table`) into a temporary staging table. SQLite: the
same staging table filled with executemany. Everything after loading is the same SQL on both:

1. drop keys already recorded (idempotent re-import) and repeats inside the file (first wins);
2. per installment, each receipt covers the slice [prior, prior + amount) of what is owed, where
   `prior` is the sum of the receipts of the file ranking before it on that installment (a window
   sum in the canonical order of `reconciliation.canonical_rank`, not the file's order) and
   what is owed is stacked in the city's 消込 order (e.g. 督促手数料 | 本税 | 延滞金): the overlap
   with each component's slice is what the receipt pays on it, the rest is overpaid;
3. insert the receipts, add the paid amounts to the installments, raise the notices' ledger
   version — one statement each, never row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.domain.receipt import NormalizedReceipt
from osame_receipts.domain.reconciliation import Component

STAGING_COLUMNS = (
    "seq",
    "receipt_id",
    "channel",
    "channel_key",
    "notice_number",
    "installment_no",
    "amount",
    "paid_on",
    "booked_on",
    "raw_record",
    "record_no",
)


@dataclass(frozen=True)
class BulkOutcome:
    applied: int  # receipts reconciled against an installment
    duplicates: int  # already recorded or repeated in the file
    unmatched: int  # kept on the unmatched list
    duplicate_yen: int = 0


def _is_pg(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


def _least(pg: bool, *args: str) -> str:
    return f"{'LEAST' if pg else 'MIN'}({', '.join(args)})"


def _greatest(pg: bool, *args: str) -> str:
    return f"{'GREATEST' if pg else 'MAX'}({', '.join(args)})"


async def load_staging(session: AsyncSession, rows: list[NormalizedReceipt], receipt_ids: list[str]) -> None:
    """Create the (transaction-local) staging table and load `rows` into it."""
    pg = _is_pg(session)
    if pg:
        # For this transaction only: sorts and hashes of a file's rows stay in memory instead of
        # spilling to disk, and no JIT compilation of the large statements (it costs more than it
        # saves on these one-off plans).
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
        await session.execute(text("SET LOCAL jit = off"))
        await session.execute(
            text(
                "CREATE TEMP TABLE receipt_staging (seq integer, receipt_id varchar(36), channel varchar(30),"
                " channel_key varchar(64), notice_number varchar(20), installment_no integer, amount bigint,"
                " paid_on date, booked_on date, raw_record text, record_no integer) ON COMMIT DROP"
            )
        )
        raw = await session.connection()
        driver = (await raw.get_raw_connection()).driver_connection
        await driver.copy_records_to_table(
            "receipt_staging",
            records=[
                (
                    i,
                    receipt_ids[i],
                    r.channel,
                    r.channel_key,
                    r.notice_number,
                    r.installment_no,
                    r.amount,
                    r.paid_on,
                    r.booked_on,
                    r.raw,
                    r.record_no,
                )
                for i, r in enumerate(rows)
            ],
            columns=list(STAGING_COLUMNS),
        )
    else:
        await session.execute(text("DROP TABLE IF EXISTS temp.receipt_staging"))
        await session.execute(
            text(
                "CREATE TEMP TABLE receipt_staging (seq integer, receipt_id varchar(36), channel varchar(30),"
                " channel_key varchar(64), notice_number varchar(20), installment_no integer, amount bigint,"
                " paid_on date, booked_on date, raw_record text, record_no integer)"
            )
        )
        insert = text(
            f"INSERT INTO receipt_staging ({', '.join(STAGING_COLUMNS)}) VALUES "
            f"({', '.join(':' + c for c in STAGING_COLUMNS)})"
        )
        chunk = 20_000
        for start in range(0, len(rows), chunk):
            await session.execute(
                insert,
                [
                    dict(
                        seq=i,
                        receipt_id=receipt_ids[i],
                        channel=r.channel,
                        channel_key=r.channel_key,
                        notice_number=r.notice_number,
                        installment_no=r.installment_no,
                        amount=r.amount,
                        paid_on=r.paid_on,
                        booked_on=r.booked_on,
                        raw_record=r.raw,
                        record_no=r.record_no,
                    )
                    for i, r in enumerate(rows[start : start + chunk], start)
                ],
            )


async def reconcile_staging(
    session: AsyncSession, *, batch_id: str, order: tuple[Component, ...], recorded_at: dt.datetime
) -> BulkOutcome:
    """Steps 1–3 of the module docstring; leaves the `receipt_alloc` table for the caller's events."""
    pg = _is_pg(session)
    stamp = recorded_at if pg else recorded_at.replace(tzinfo=None).isoformat(sep=" ")
    if pg:
        await session.execute(text("ANALYZE receipt_staging"))
    total, total_yen = (
        await session.execute(text("SELECT count(*), COALESCE(SUM(amount), 0) FROM receipt_staging"))
    ).one()
    # 1. idempotency: keys already recorded, then repeats inside the file (the first one wins)
    await session.execute(
        text(
            "DELETE FROM receipt_staging WHERE EXISTS (SELECT 1 FROM receipts r WHERE r.channel ="
            " receipt_staging.channel AND r.channel_key = receipt_staging.channel_key)"
        )
    )
    await session.execute(
        text(
            "DELETE FROM receipt_staging WHERE seq IN (SELECT seq FROM (SELECT seq, row_number() OVER"
            " (PARTITION BY channel, channel_key ORDER BY seq) AS rn FROM receipt_staging) AS d WHERE rn > 1)"
        )
    )
    kept, kept_yen = (
        await session.execute(text("SELECT count(*), COALESCE(SUM(amount), 0) FROM receipt_staging"))
    ).one()

    # 2. allocation by window sums over the stacked owed components
    def pos(x: str) -> str:
        return f"CASE WHEN {x} > 0 THEN {x} ELSE 0 END"

    owed = {
        Component.PRINCIPAL_TAX: pos("i.principal_tax - i.paid"),
        Component.DEMAND_FEE: pos("i.demand_fee - i.demand_fee_paid"),
        Component.LATE_FEE: pos("i.late_fee - i.late_fee_paid"),
    }
    bounds, lo = {}, "0"
    for c in order:
        hi = f"({lo} + o_{c.value})"
        bounds[c] = (lo, hi)
        lo = hi
    slices = {
        c: pos(f"{_least(pg, 'prior + amount', hi)} - {_greatest(pg, 'prior', lo)}")
        for c, (lo, hi) in bounds.items()
    }
    drop_alloc = "DROP TABLE IF EXISTS receipt_alloc" if pg else "DROP TABLE IF EXISTS temp.receipt_alloc"
    await session.execute(text(drop_alloc))
    await session.execute(
        text(
            f"""
            CREATE TEMP TABLE receipt_alloc AS
            WITH owed AS (
                SELECT s.*, i.notice_number AS known, i.principal_tax AS assessed, i.paid AS paid_before,
                       CASE WHEN i.written_off_on IS NULL THEN 0 ELSE 1 END AS written_off,
                       CASE WHEN i.written_off_on IS NULL THEN {owed[Component.PRINCIPAL_TAX]} ELSE 0 END
                           AS o_principal_tax,
                       CASE WHEN i.written_off_on IS NULL THEN {owed[Component.DEMAND_FEE]} ELSE 0 END
                           AS o_demand_fee,
                       CASE WHEN i.written_off_on IS NULL THEN {owed[Component.LATE_FEE]} ELSE 0 END
                           AS o_late_fee,
                       COALESCE(SUM(s.amount) OVER (PARTITION BY s.notice_number, s.installment_no
                           ORDER BY s.booked_on, s.paid_on, s.channel, s.channel_key, s.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS prior
                FROM receipt_staging s
                LEFT JOIN installments i
                  ON i.notice_number = s.notice_number AND i.installment_no = s.installment_no
            )
            SELECT seq, receipt_id, channel, channel_key, notice_number, installment_no, amount, paid_on,
                   booked_on, raw_record, record_no, assessed, paid_before, written_off, prior,
                   CASE WHEN known IS NULL THEN 0 ELSE 1 END AS matched,
                   o_principal_tax + o_demand_fee + o_late_fee - prior AS owed_before,
                   CASE WHEN known IS NULL THEN 0 ELSE {slices[Component.PRINCIPAL_TAX]} END AS a_principal_tax,
                   CASE WHEN known IS NULL THEN 0 ELSE {slices[Component.DEMAND_FEE]} END AS a_demand_fee,
                   CASE WHEN known IS NULL THEN 0 ELSE {slices[Component.LATE_FEE]} END AS a_late_fee
            FROM owed
            """
        )
    )
    await session.execute(text("CREATE INDEX receipt_alloc_seq ON receipt_alloc (seq)"))
    if pg:
        await session.execute(text("ANALYZE receipt_alloc"))
    # 3. receipts, installments, notices
    await session.execute(
        text(
            """
            INSERT INTO receipts (receipt_id, channel, channel_key, notice_number, installment_no, amount,
                applied, applied_principal_tax, applied_demand_fee, applied_late_fee, overpaid, paid_on,
                booked_on, preliminary, matched, state, batch_id, raw_record, recorded_at)
            SELECT receipt_id, channel, channel_key, notice_number, installment_no, amount,
                a_principal_tax + a_demand_fee + a_late_fee, a_principal_tax, a_demand_fee, a_late_fee,
                CASE WHEN matched = 1 THEN amount - a_principal_tax - a_demand_fee - a_late_fee ELSE 0 END,
                paid_on, booked_on, :false, matched = 1, 'final', :batch_id, raw_record, :recorded_at
            FROM receipt_alloc ORDER BY seq
            """
        ),
        {"batch_id": batch_id, "recorded_at": stamp, "false": False},
    )
    await session.execute(
        text(
            """
            UPDATE installments SET paid = installments.paid + t.p,
                demand_fee_paid = installments.demand_fee_paid + t.f,
                late_fee_paid = installments.late_fee_paid + t.l
            FROM (SELECT notice_number, installment_no, SUM(a_principal_tax) AS p, SUM(a_demand_fee) AS f,
                         SUM(a_late_fee) AS l
                  FROM receipt_alloc WHERE matched = 1 GROUP BY notice_number, installment_no) AS t
            WHERE installments.notice_number = t.notice_number AND installments.installment_no = t.installment_no
            """
        )
    )
    await session.execute(
        text(
            "UPDATE notices SET ledger_version = notices.ledger_version + 1 FROM (SELECT DISTINCT notice_number"
            " FROM receipt_alloc WHERE matched = 1) AS t WHERE notices.notice_number = t.notice_number"
        )
    )
    unmatched = (
        await session.execute(text("SELECT count(*) FROM receipt_alloc WHERE matched = 0"))
    ).scalar_one()
    return BulkOutcome(
        applied=kept - unmatched,
        duplicates=total - kept,
        unmatched=unmatched,
        duplicate_yen=int(total_yen) - int(kept_yen),
    )


async def outranked_installments(session: AsyncSession, batch_id: str) -> list[tuple[str, int]]:
    """Installments where a money receipt booked before this batch ranks after one of the batch in
    the canonical order (収入日, 領収日, channel, key): their split is re-derived by the caller."""
    query = text(
        """
        SELECT DISTINCT a.notice_number, a.installment_no
        FROM receipt_alloc a JOIN receipts r
          ON r.notice_number = a.notice_number AND r.installment_no = a.installment_no
        WHERE a.matched = 1 AND r.state = 'final' AND r.matched = :true AND r.channel <> 'appropriation'
          AND (r.batch_id IS NULL OR r.batch_id <> :batch_id)
          AND (r.booked_on > a.booked_on OR (r.booked_on = a.booked_on AND (r.paid_on > a.paid_on
               OR (r.paid_on = a.paid_on AND (r.channel > a.channel
               OR (r.channel = a.channel AND r.channel_key > a.channel_key))))))
        ORDER BY 1, 2
        """
    )
    rows = await session.execute(query, {"batch_id": batch_id, "true": True})
    return [(r[0], r[1]) for r in rows]


async def set_allocation(session: AsyncSession, receipt_id: str, principal: int, fee: int, late: int) -> None:
    """A receipt of this batch re-derived in canonical order: its split in `receipt_alloc`."""
    await session.execute(
        text(
            "UPDATE receipt_alloc SET a_principal_tax = :p, a_demand_fee = :f, a_late_fee = :l"
            " WHERE receipt_id = :id"
        ),
        {"p": principal, "f": fee, "l": late, "id": receipt_id},
    )


async def touched_installments(session: AsyncSession):
    """The installments a bulk import changed, with the 領収日/収入日 of the last receipt on each."""
    query = text(
        """
        SELECT n.addressee_id, n.notice_number, n.tax_item, n.fiscal_year, n.ledger_version,
               i.installment_no, i.due_date, i.principal_tax, i.paid, i.demand_fee, i.demand_fee_paid,
               i.late_fee, i.late_fee_paid, i.written_off_on, last.paid_on, last.booked_on
        FROM (SELECT notice_number, installment_no, MAX(seq) AS seq FROM receipt_alloc WHERE matched = 1
              GROUP BY notice_number, installment_no) AS t
        JOIN receipt_alloc last ON last.seq = t.seq
        JOIN installments i ON i.notice_number = t.notice_number AND i.installment_no = t.installment_no
        JOIN notices n ON n.notice_number = t.notice_number
        ORDER BY n.notice_number, i.installment_no
        """
    )
    return (await session.execute(query)).mappings().all()


async def overpaid_rows(session: AsyncSession):
    query = text(
        """
        SELECT a.receipt_id, a.notice_number, a.installment_no, a.amount, a.paid_on, a.booked_on, a.assessed,
               a.paid_before, a.written_off, a.owed_before, a.prior, n.addressee_id,
               a.amount - a.a_principal_tax - a.a_demand_fee - a.a_late_fee AS overpaid
        FROM receipt_alloc a JOIN notices n ON n.notice_number = a.notice_number
        WHERE a.matched = 1 AND a.amount - a.a_principal_tax - a.a_demand_fee - a.a_late_fee > 0
        ORDER BY a.seq
        """
    )
    return (await session.execute(query)).mappings().all()


async def unmatched_rows(session: AsyncSession):
    """The receipts of this import kept on the unmatched list, with the owner of the notice they
    named when that notice exists (the 期別 did not)."""
    query = text(
        """
        SELECT a.receipt_id, a.channel, a.amount, a.paid_on, a.booked_on, a.notice_number, a.installment_no,
               n.addressee_id
        FROM receipt_alloc a LEFT JOIN notices n ON n.notice_number = a.notice_number
        WHERE a.matched = 0
        ORDER BY a.seq
        """
    )
    return (await session.execute(query)).mappings().all()


async def state_payloads(session: AsyncSession, batch: int) -> list[tuple[bool, str]] | None:
    """PostgreSQL: the InstallmentsSettled/PartlyPaid bodies (≤ `batch` items each) built by the
    database as JSON, so a million-row import builds no per-row Python objects. None on SQLite
    (the caller builds them from `touched_installments`)."""
    if not _is_pg(session):
        return None

    def owed(amount: str, paid: str) -> str:
        return f"CASE WHEN i.written_off_on IS NULL AND {amount} > {paid} THEN {amount} - {paid} ELSE 0 END"

    query = text(
        f"""
        WITH t AS (
            SELECT n.addressee_id, n.notice_number, i.installment_no, n.tax_item, n.fiscal_year, i.due_date,
                   i.principal_tax, i.paid, {owed("i.principal_tax", "i.paid")} AS remaining,
                   {owed("i.demand_fee", "i.demand_fee_paid")} AS demand_fee_remaining,
                   {owed("i.late_fee", "i.late_fee_paid")} AS late_fee_remaining,
                   last.paid_on AS last_paid_on, last.booked_on AS last_booked_on, n.ledger_version
            FROM (SELECT notice_number, installment_no, MAX(seq) AS seq FROM receipt_alloc WHERE matched = 1
                  GROUP BY notice_number, installment_no) AS k
            JOIN receipt_alloc last ON last.seq = k.seq
            JOIN installments i ON i.notice_number = k.notice_number AND i.installment_no = k.installment_no
            JOIN notices n ON n.notice_number = k.notice_number
        ), s AS (
            SELECT t.*, (remaining + demand_fee_remaining + late_fee_remaining = 0) AS settled,
                   row_number() OVER (PARTITION BY remaining + demand_fee_remaining + late_fee_remaining = 0
                                      ORDER BY notice_number, installment_no) - 1 AS rn
            FROM t
        )
        SELECT settled, json_build_object('items', json_agg(json_build_object(
                   'addressee_id', addressee_id, 'notice_number', notice_number, 'installment_no', installment_no,
                   'tax_item', tax_item, 'fiscal_year', fiscal_year, 'due_date', due_date,
                   'principal_tax', principal_tax, 'paid', paid, 'remaining', remaining,
                   'demand_fee_remaining', demand_fee_remaining, 'late_fee_remaining', late_fee_remaining,
                   'last_paid_on', last_paid_on, 'last_booked_on', last_booked_on, 'ledger_version', ledger_version
               ) ORDER BY rn))::text AS payload
        FROM s GROUP BY settled, rn / :batch ORDER BY settled DESC, rn / :batch
        """
    )
    return [(row.settled, row.payload) for row in (await session.execute(query, {"batch": batch})).all()]


async def batch_with_digest(session: AsyncSession, digest: str) -> str | None:
    """The batch that imported a file with this SHA-256 (applied or held; refused ones don't count)."""
    query = text(
        "SELECT batch_id FROM import_batches WHERE file_sha256 = :digest AND status IN ('applied', 'held')"
        " ORDER BY imported_at LIMIT 1"
    )
    return (await session.execute(query, {"digest": digest})).scalar_one_or_none()


async def held_in_batch(session: AsyncSession, batch_id: str) -> tuple[int, int]:
    """(count, yen) of the suspense items an import put on hold."""
    query = text("SELECT count(*), COALESCE(SUM(amount), 0) FROM suspense_items WHERE batch_id = :b")
    count, yen = (await session.execute(query, {"b": batch_id})).one()
    return int(count), int(yen)
