"""Benchmark: a synthetic city and an N-record 全銀 result file, imported end to end.

Prints figures, asserts nothing about time. In one run, on one fresh PostgreSQL database:

1. seed N installments with mandates and debit requests (COPY; not measured);
2. build the bank's result file (code 0 for ~97 %, 1 otherwise) and import it end to end:
   parse → validate → COPY into staging → set-based 消込 → batched events staged in the outbox
   (≤1,000 installments per message) → commit. With a `downstream` (the CLI's: receipts and
   collection running as processes on the broker), the clock stops only when collection has
   consumed every event message the import staged;
3. baseline A: a plain COPY of the same N receipt rows into an unindexed table;
4. the floor: COPY of N receipts into the real (indexed) receipts table plus one UPDATE marking N
   installments paid — the least any correct import writes, to put the COPY ratio in proportion;
5. baseline B: a naive row-by-row ORM import (select installment, insert receipt, update
   installment, one statement each) of a sample (default 20,000 rows) on fresh installments.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
import uuid
from typing import Protocol

from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime
from osame_zengin import debit as zengin
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url

from osame_receipts.adapters import orm
from osame_receipts.bootstrap import ReceiptsSettings, build_spec
from osame_receipts.service_layer import direct_debit

DEBIT = dt.date(2026, 6, 30)


def _asyncpg_url(url: str) -> str:
    u = make_url(url)
    return str(u.set(drivername="postgresql+asyncpg")) if u.get_backend_name() == "postgresql" else url


async def _create_db(server_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"osame_bench_{uuid.uuid4().hex[:8]}"
    u = make_url(server_url)
    conn = await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database or "postgres",
    )
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return _asyncpg_url(str(u.set(database=name).render_as_string(hide_password=False))), name


async def _drop_db(server_url: str, name: str) -> None:
    import asyncpg

    u = make_url(server_url)
    conn = await asyncpg.connect(
        user=u.username or "postgres",
        password=u.password,
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        database=u.database or "postgres",
    )
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def _copy(session, table: str, columns: list[str], records) -> None:
    raw = await session.connection()
    driver = (await raw.get_raw_connection()).driver_connection
    await driver.copy_records_to_table(table, records=records, columns=columns)


async def _seed(runtime, n: int, *, prefix: str, with_requests: bool) -> None:
    """n notices with one installment each (fixed-asset tax due on DEBIT), a mandate and a request."""
    async with runtime.sessions() as session:
        await _copy(
            session,
            "notices",
            [
                "notice_number",
                "addressee_id",
                "tax_item",
                "fiscal_year",
                "tax_year",
                "revision",
                "ledger_version",
            ],
            [(f"{prefix}{k:09d}", f"{k + 1}", "fixed_asset_tax", 2026, 2026, 1, 1) for k in range(n)],
        )
        await _copy(
            session,
            "installments",
            ["notice_number", "installment_no", "principal_tax", "statutory_due_date", "due_date", "paid"],
            [(f"{prefix}{k:09d}", 1, 1_000 + k % 50_000, DEBIT, DEBIT, 0) for k in range(n)],
        )
        if with_requests:
            await _copy(
                session,
                "mandates",
                [
                    "mandate_id",
                    "addressee_id",
                    "tax_item",
                    "bank_code",
                    "branch_code",
                    "account_type",
                    "account_number",
                    "holder_kana",
                    "applied_on",
                    "starts_on",
                    "first_debit_done",
                ],
                [
                    (
                        f"m{k}",
                        f"{k + 1}",
                        "fixed_asset_tax",
                        "0005",
                        "001",
                        "1",
                        f"{k % 10**7:07d}",
                        "ﾃｽﾄ ﾀﾛｳ",
                        dt.date(2026, 3, 1),
                        dt.date(2026, 4, 1),
                        True,
                    )
                    for k in range(n)
                ],
            )
            await _copy(
                session,
                "debit_requests",
                [
                    "request_id",
                    "debit_date",
                    "customer_number",
                    "mandate_id",
                    "notice_number",
                    "installment_no",
                    "amount",
                ],
                [
                    (f"r{k}", DEBIT, f"{k + 1:020d}", f"m{k}", f"{prefix}{k:09d}", 1, 1_000 + k % 50_000)
                    for k in range(n)
                ],
            )
        await session.commit()


FILE_LIMIT = 500_000  # 合計件数 is N(6): one 全銀 file holds at most 999,999 records


def result_file(n: int, start: int = 0) -> bytes:
    header = zengin.Header(
        creditor_code="1234567890",
        creditor_name="ｼﾔｸｼﾖ",
        debit_date=DEBIT,
        bank_code="0001",
        branch_code="001",
        account_number="1234567",
    )
    records = [
        zengin.DebitRecord(
            bank_code="0005",
            branch_code="001",
            account_type="1",
            account_number=f"{k % 10**7:07d}",
            holder_kana="ﾃｽﾄ ﾀﾛｳ",
            amount=1_000 + k % 50_000,
            customer_number=f"{k + 1:020d}",
            result_code="1" if k % 33 == 0 else "0",
        )
        for k in range(start, start + n)
    ]
    return zengin.build_file(header, records, result=True)


async def _floor(runtime, n: int) -> float:
    """The least any correct import must write, timed: N receipts COPYed into the real receipts table
    (with its primary key, unique channel key and indexes) and one UPDATE marking N installments paid.
    No parsing, no 消込 arithmetic, no events: the ratio of this to COPY bounds what is reachable."""
    await _seed(runtime, n, prefix="F", with_requests=False)
    rows = [
        (
            str(uuid.uuid4()),
            "bench_floor",
            f"{k}",
            f"F{k:09d}",
            1,
            1_000 + k % 50_000,
            1_000 + k % 50_000,
            0,
            DEBIT,
            DEBIT,
            False,
            True,
            dt.datetime.now(dt.UTC),
        )
        for k in range(n)
    ]
    columns = [
        "receipt_id",
        "channel",
        "channel_key",
        "notice_number",
        "installment_no",
        "amount",
        "applied",
        "overpaid",
        "paid_on",
        "booked_on",
        "preliminary",
        "matched",
        "recorded_at",
    ]
    async with runtime.sessions() as session:
        t = time.perf_counter()
        await _copy(session, "receipts", columns, rows)
        await session.execute(
            text("UPDATE installments SET paid = principal_tax WHERE notice_number LIKE 'F%'")
        )
        await session.commit()
        return time.perf_counter() - t


async def _naive_orm(runtime, rows: list[tuple[str, int]]) -> None:
    """The baseline the bulk path must beat: one statement per row, one transaction."""
    async with runtime.sessions() as session, session.begin():
        for k, (notice, amount) in enumerate(rows):
            i = orm.installments.c
            inst = (
                await session.execute(
                    select(i.principal_tax, i.paid).where(i.notice_number == notice, i.installment_no == 1)
                )
            ).one()
            applied = min(amount, inst.principal_tax - inst.paid)
            await session.execute(
                insert(orm.receipts).values(
                    receipt_id=str(uuid.uuid4()),
                    channel="direct_debit",
                    channel_key=f"naive-{k}",
                    notice_number=notice,
                    installment_no=1,
                    amount=amount,
                    applied=applied,
                    applied_principal_tax=applied,
                    overpaid=amount - applied,
                    paid_on=DEBIT,
                    booked_on=DEBIT,
                    preliminary=False,
                    matched=True,
                    state="final",
                    recorded_at=dt.datetime.now(dt.UTC),
                )
            )
            await session.execute(
                update(orm.installments)
                .where(i.notice_number == notice, i.installment_no == 1)
                .values(paid=i.paid + applied)
            )


class Downstream(Protocol):
    """The consumers of the import's events, running as real services on the broker (the CLI
    starts collection as a process): started before the clock, awaited inside it."""

    prefix: str  # broker name prefix the consumers run under (the import's outbox rows name it)

    async def start(self, receipts_database_url: str) -> None: ...

    async def wait(self, receipts_database_url: str) -> int:
        """Return once every event message the import staged for them was consumed; their number."""
        ...

    async def stop(self) -> None: ...


async def run(
    server_url: str, records: int, orm_sample: int, echo=print, downstream: Downstream | None = None
) -> dict:
    db_url, name = await _create_db(server_url)
    spec = build_spec()
    prefix = downstream.prefix if downstream is not None else "bench."
    settings = ReceiptsSettings(database_url=db_url, telemetry_enabled=False, amqp_prefix=prefix)
    runtime = ServiceRuntime(dataclasses.replace(spec, settings=settings), provider=None)
    figures: dict = {"records": records}
    try:
        await upgrade(runtime.engine, spec.migrations)
        t = time.perf_counter()
        await _seed(runtime, records, prefix="B", with_requests=True)
        echo(f"seeded {records:,} installments, mandates and requests in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        files = [
            result_file(min(FILE_LIMIT, records - start), start) for start in range(0, records, FILE_LIMIT)
        ]
        figures["files"] = len(files)
        figures["file_bytes"] = sum(len(f) for f in files)
        echo(
            f"built {len(files)} result file(s): {figures['file_bytes']:,} bytes in {time.perf_counter() - t:.1f}s"
        )

        if downstream is not None:
            await downstream.start(db_url)
            echo("downstream consumers started (collection, on the broker)")
        t = time.perf_counter()
        applied = 0
        for i, data in enumerate(files):
            async with runtime.unit_of_work() as uow:
                report = await direct_debit.import_result(
                    uow,
                    data,
                    file=f"bench-result-{i}.txt",
                    creditor_code="1234567890",
                    year=2026,
                    check_banks=True,
                )
                await uow.commit()
            applied += report.applied
        import_s = time.perf_counter() - t
        figures.update(import_s=import_s, import_rows_s=records / import_s)
        echo(
            f"import (parse → 消込 → events staged, committed): {import_s:.1f}s = {records / import_s:,.0f} rows/s"
        )
        if downstream is not None:
            figures["consumed_messages"] = await downstream.wait(db_url)
        e2e = time.perf_counter() - t
        figures["with_downstream"] = downstream is not None
        del files
        async with runtime.sessions() as session:
            outbox = (await session.execute(text("SELECT count(*) FROM outbox"))).scalar_one()
            paid = (await session.execute(select(func.sum(orm.installments.c.paid)))).scalar_one()
        figures.update(
            end_to_end_s=e2e,
            end_to_end_rows_s=records / e2e,
            applied=applied,
            failures=records - applied,
            outbox_messages=outbox,
            paid_yen=paid,
        )
        consumed = (
            f", {figures['consumed_messages']:,} consumed by collection"
            if downstream is not None
            else " (not consumed: no downstream)"
        )
        echo(
            f"end to end: {e2e:.1f}s = {records / e2e:,.0f} rows/s (applied {applied:,}, "
            f"不能 {records - applied:,}, {outbox:,} event messages{consumed})"
        )

        rows = [
            (str(uuid.uuid4()), "direct_debit", f"{k}", f"B{k:09d}", 1, 1_000 + k % 50_000, DEBIT, DEBIT)
            for k in range(records)
        ]
        async with runtime.sessions() as session:
            await session.execute(
                text(
                    "CREATE TABLE copy_baseline (receipt_id varchar(36), channel varchar(30), channel_key varchar(64),"
                    " notice_number varchar(20), installment_no integer, amount bigint, paid_on date, booked_on date)"
                )
            )
            await session.commit()
            t = time.perf_counter()
            await _copy(
                session,
                "copy_baseline",
                [
                    "receipt_id",
                    "channel",
                    "channel_key",
                    "notice_number",
                    "installment_no",
                    "amount",
                    "paid_on",
                    "booked_on",
                ],
                rows,
            )
            await session.commit()
            copy_s = time.perf_counter() - t
        figures.update(copy_s=copy_s, copy_rows_s=records / copy_s)
        echo(f"plain COPY of the same rows: {copy_s:.1f}s = {records / copy_s:,.0f} rows/s")

        floor_s = await _floor(runtime, records)
        figures.update(floor_s=floor_s, floor_rows_s=records / floor_s, floor_ratio_to_copy=copy_s / floor_s)
        echo(
            f"floor (COPY into the indexed receipts table + one UPDATE of the installments): {floor_s:.1f}s = "
            f"{records / floor_s:,.0f} rows/s = {copy_s / floor_s:.2f} of COPY"
        )

        sample = min(orm_sample, records)
        await _seed(runtime, sample, prefix="N", with_requests=False)
        t = time.perf_counter()
        await _naive_orm(runtime, [(f"N{k:09d}", 1_000 + k % 50_000) for k in range(sample)])
        naive_s = time.perf_counter() - t
        figures.update(orm_sample=sample, orm_s=naive_s, orm_rows_s=sample / naive_s)
        echo(f"naive row-by-row ORM, {sample:,} rows: {naive_s:.1f}s = {sample / naive_s:,.0f} rows/s")
        figures["ratio_to_copy"] = figures["end_to_end_rows_s"] / figures["copy_rows_s"]
        figures["ratio_to_orm"] = figures["end_to_end_rows_s"] / figures["orm_rows_s"]
        echo(
            f"end to end / COPY = {figures['ratio_to_copy']:.2f} (target ≥ 0.33); "
            f"end to end / naive ORM = {figures['ratio_to_orm']:.1f}×"
        )
    finally:
        if downstream is not None:
            await downstream.stop()
        await runtime.engine.dispose()
        await _drop_db(server_url, name)
    return figures


def main(server_url: str, records: int, orm_sample: int) -> dict:
    return asyncio.run(run(server_url, records, orm_sample))
