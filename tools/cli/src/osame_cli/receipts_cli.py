"""Receipts operator commands (収納管理): 全銀 files, コンビニ barcodes, channel imports, exports, benchmark.

Mount in main.py:

    from osame_cli.receipts_cli import cvs_app, receipts_app, zengin_app
    app.add_typer(zengin_app, name="zengin")
    app.add_typer(cvs_app, name="cvs")
    app.add_typer(receipts_app, name="receipts")

`zengin parse` and `cvs check` work offline on their argument. The `receipts` commands open the
receipts service's own database (the same OSAME_* settings as `osame-receipts`: OSAME_DATABASE_URL
or the default SQLite file) and stage events in its outbox; the running service's relay publishes them.
They run as an operator: the staff token (`--token` or OSAME_OPERATOR_TOKEN) is verified with the
service's OSAME_AUTH_* settings and must grant the permission of the matching API route; each run,
refused or not, is written to receipts' audit log under the token's subject (issue 13 item 9).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

zengin_app = typer.Typer(help="全銀協 口座振替 (種別91) files.", no_args_is_help=True, rich_markup_mode=None)
cvs_app = typer.Typer(help="コンビニ収納 GS1-128 barcodes.", no_args_is_help=True, rich_markup_mode=None)
receipts_app = typer.Typer(
    help="Receipts (収納管理): imports, unmatched receipts, 口座振替 requests, 軽JNKS export, benchmark.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
err = Console(stderr=True)


@zengin_app.callback()
def _zengin() -> None:
    """全銀協 口座振替 (種別91) files."""


@cvs_app.callback()
def _cvs() -> None:
    """コンビニ収納 GS1-128 barcodes."""


KINDS = ("zengin-result", "cvs", "ocr", "mpn", "eltax")


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


def _print(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@zengin_app.command("parse")
def zengin_parse(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A 種別91 request or result file"),
    year: int = typer.Option(None, help="Year of the MMDD 引落日 (default: this year)"),
    request: bool = typer.Option(
        False, "--request", help="A request file (no 振替結果コード / 済・不能 totals)"
    ),
    check_banks: bool = typer.Option(True, help="Refuse bank codes missing from the zengin-code master"),
) -> None:
    """Print the parsed file as JSON (header, records, trailer); exit 1 with located errors if invalid."""
    from osame_zengin import debit as zengin

    parsed = zengin.parse_file(
        file.read_bytes(),
        file.name,
        result=not request,
        year=year or dt.date.today().year,
        check_banks=check_banks,
    )
    _print(zengin.to_json(parsed))
    if parsed.errors:
        for e in parsed.errors:
            err.print(str(e), markup=False, highlight=False)
        raise typer.Exit(1)


@cvs_app.command("check")
def cvs_check(barcode: str = typer.Argument(..., help="The 44 digits under the barcode")) -> None:
    """Print the decoded fields and "valid": true|false (exit 0 either way; 2 if not 44 digits)."""
    from osame_receipts.adapters import cvs

    try:
        decoded = cvs.decode_barcode(barcode)
    except cvs.BarcodeError as e:
        _fail(str(e))
    _print(decoded.as_json())


def _runtime():
    from osame_chassis.migrations import upgrade
    from osame_chassis.runtime import ServiceRuntime
    from osame_receipts.bootstrap import build_spec

    spec = build_spec()
    runtime = ServiceRuntime(spec, provider=None)
    return runtime, lambda: upgrade(runtime.engine, spec.migrations)


TOKEN = typer.Option(
    None,
    "--token",
    envvar="OSAME_OPERATOR_TOKEN",
    help="Your staff token (bearer JWT); it names you in receipts' audit log",
    show_envvar=True,
)


@asynccontextmanager
async def _operator(runtime, token: str | None, permission: str):
    """Verify the operator for `permission` and audit the command (see the module doc)."""
    from osame_chassis.audit import AuditLog
    from osame_chassis.operator import OperatorRefused, operator_action
    from osame_receipts.adapters import orm

    write = AuditLog(orm.audit_log).writer(runtime.sessions, "cli:receipts")
    try:
        async with operator_action(token, f"receipts:{permission}", audit=write) as act:
            yield act
    except OperatorRefused as refused:
        await runtime.engine.dispose()
        _fail(str(refused))


def _order(runtime):
    from osame_receipts.domain.reconciliation import parse_order

    return parse_order(runtime.settings.reconciliation_order)


@receipts_app.command("import")
def receipts_import(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}"),
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    year: int = typer.Option(
        None,
        help="zengin-result: year of the MMDD 引落日 (default: the latest request date with that MMDD on or"
        " before the business date)",
    ),
    token: str = TOKEN,
) -> None:
    """Import a channel file: parse → validate all → apply valid records (progress bar); JSON report.

    Exit 1 when the file is refused (trailer mismatch, broken structure): nothing was applied.
    Exit 3 when the file is held (another 委託者 or 振替日): its money is on the suspense list.
    The same file imported again is a no-op (status already_imported, exit 0).
    """
    if kind not in KINDS:
        _fail(f"kind must be one of {', '.join(KINDS)}")
    data = file.read_bytes()

    async def run():
        runtime, migrate = _runtime()
        await migrate()
        try:
            async with _operator(runtime, token, "import.run") as act:
                report = await _import(runtime, _order(runtime))
                act.outcome = f"ok:{report.status}"
            return report
        finally:
            await runtime.engine.dispose()

    async def _import(runtime, order):
        from osame_receipts.service_layer import channels, direct_debit

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as bar:
            steps = {"parsed": 1, "staged": 2, "reconciled": 3, "applied": 3}
            task = bar.add_task(f"import {file.name}", total=4)

            def progress(stage: str, count: int) -> None:
                bar.update(task, completed=steps.get(stage, 0), description=f"{file.name}: {stage} {count:,}")

            async with runtime.unit_of_work() as uow:
                if kind == "zengin-result":
                    report = await direct_debit.import_result(
                        uow,
                        data,
                        file=file.name,
                        creditor_code=runtime.settings.creditor_code,
                        year=year,
                        order=order,
                        check_banks=runtime.settings.check_bank_codes,
                        progress=progress,
                    )
                elif kind == "cvs":
                    report = await channels.import_cvs(
                        uow, data, file=file.name, order=order, progress=progress
                    )
                else:
                    report = await channels.import_normalized(
                        uow, kind, data, file=file.name, order=order, progress=progress
                    )
                await uow.commit()
            bar.update(task, completed=4, description=f"{file.name}: committed")
        return report

    report = asyncio.run(run())
    _print(report.as_dict())
    for e in report.errors:
        err.print(str(e), markup=False, highlight=False)
    if report.status == "refused":
        raise typer.Exit(1)
    if report.status == "held":
        raise typer.Exit(3)


@receipts_app.command("unmatched")
def receipts_unmatched(limit: int = typer.Option(500, min=1, max=10_000), token: str = TOKEN) -> None:
    """List receipts that match no installment (JSON)."""

    async def run():
        from osame_receipts.service_layer import channels

        runtime, migrate = _runtime()
        await migrate()
        try:
            async with _operator(runtime, token, "unmatched.read"), runtime.unit_of_work() as uow:
                return await channels.unmatched(uow, limit)
        finally:
            await runtime.engine.dispose()

    _print(asyncio.run(run()))


@receipts_app.command("assign")
def receipts_assign(
    receipt_id: str = typer.Argument(...),
    notice_number: str = typer.Argument(..., help="通知書番号"),
    installment_no: int = typer.Argument(..., help="期別"),
    token: str = TOKEN,
) -> None:
    """Assign an unmatched receipt to an installment and reconcile it."""

    async def run():
        from osame_receipts.service_layer import channels

        runtime, migrate = _runtime()
        await migrate()
        try:
            async with _operator(runtime, token, "unmatched.assign"), runtime.unit_of_work() as uow:
                result = await channels.assign_unmatched(
                    uow,
                    receipt_id,
                    notice_number=notice_number,
                    installment_no=installment_no,
                    order=_order(runtime),
                )
                await uow.commit()
                return result
        finally:
            await runtime.engine.dispose()

    from osame_receipts.service_layer.channels import ChannelError

    try:
        _print(asyncio.run(run()))
    except ChannelError as e:
        _fail(str(e), 1)


@receipts_app.command("debit-request")
def receipts_debit_request(
    debit_date: str = typer.Option(..., help="引落日 (ISO date, a future business day)"),
    fiscal_year: int = typer.Option(..., help="会計年度 of the installments (must be the current cycle)"),
    out: Path = typer.Option(..., help="Where to write the 種別91 request file"),
    token: str = TOKEN,
) -> None:
    """Build the 口座振替 request file for a debit date (refused for past dates or other years: F9/F10)."""

    async def run():
        from osame_receipts.entrypoints.http import creditor
        from osame_receipts.service_layer import direct_debit

        runtime, migrate = _runtime()
        await migrate()
        try:
            async with _operator(runtime, token, "debit-request.build"), runtime.unit_of_work() as uow:
                data = await direct_debit.build_request(
                    uow,
                    debit_date=dt.date.fromisoformat(debit_date),
                    fiscal_year=fiscal_year,
                    creditor=creditor(runtime.settings),
                )
                await uow.commit()
                return data
        finally:
            await runtime.engine.dispose()

    from osame_receipts.domain.direct_debit import DebitRequestRefused

    try:
        data = asyncio.run(run())
    except (DebitRequestRefused, ValueError) as e:
        _fail(str(e), 1)
    out.write_bytes(data)
    _print({"file": str(out), "bytes": len(data), "records": max(len(data) // 122 - 3, 0)})


@receipts_app.command("kei-jnks")
def receipts_kei_jnks(
    fiscal_year: int = typer.Option(..., help="会計年度 of the status"),
    out: Path = typer.Option(..., help="Where to write the CSV"),
    token: str = TOKEN,
) -> None:
    """軽JNKS export: per-vehicle (標識番号) payment status incl. prior-year arrears (CSV)."""

    async def run():
        from osame_receipts.adapters import kei_jnks

        runtime, migrate = _runtime()
        await migrate()
        try:
            async with _operator(runtime, token, "export.read"), runtime.sessions() as session:
                return kei_jnks.to_csv(await kei_jnks.load(session, fiscal_year))
        finally:
            await runtime.engine.dispose()

    data = asyncio.run(run())
    out.write_bytes(data)
    _print({"file": str(out), "vehicles": data.count(b"\r\n") - 1})


@receipts_app.command("bench")
def receipts_bench(
    database_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server URL (a fresh database is made)",
    ),
    records: int = typer.Option(1_000_000, min=1_000, help="Records in the synthetic 全銀 result file"),
    orm_sample: int = typer.Option(20_000, min=100, help="Rows for the naive row-by-row ORM baseline"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON at the end"),
    amqp_url: str = typer.Option(
        os.environ.get("OSAME_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        help="RabbitMQ URL for the downstream leg (env OSAME_AMQP_URL)",
    ),
    downstream: bool = typer.Option(
        True,
        help="Run receipts and collection as processes and stop the clock when collection has consumed "
        "every event (--no-downstream: import only)",
    ),
) -> None:
    """Benchmark: synthetic city + N-record 全銀 result file end to end (parse → 消込 → events consumed
    by collection) vs plain COPY vs naive ORM."""
    from osame_receipts import bench

    from osame_cli.receipts_bench import CollectionDownstream

    def echo(line: str) -> None:
        err.print(line, markup=False)

    consumers = CollectionDownstream(amqp_url, database_url, echo=echo) if downstream else None
    figures = asyncio.run(bench.run(database_url, records, orm_sample, echo=echo, downstream=consumers))
    if as_json:
        _print(figures)


__all__ = ["cvs_app", "receipts_app", "zengin_app"]
