"""Command line of the collection service beyond ``serve``/``migrate``:

  osame-collection nightly --date 2026-07-15     run the nightly batch on the service's database
  osame-collection benchmark --rows 1000000      the batch vs a single-column UPDATE baseline

Both read the service's settings (``OSAME_DATABASE_URL`` …) unless ``--database-url`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from datetime import date

from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from osame_collection.adapters import benchmark_data
from osame_collection.service_layer.nightly import RunNightly, run_nightly

COMMANDS = ("nightly", "benchmark")


def _runtime(spec_factory, database_url: str | None) -> ServiceRuntime:
    spec = spec_factory()
    settings = spec.settings
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    settings = settings.model_copy(update={"telemetry_enabled": False})
    return ServiceRuntime(dataclasses.replace(spec, settings=settings), provider=None)


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


async def nightly_command(runtime: ServiceRuntime, day: date, console: Console) -> dict:
    await upgrade(runtime.engine, runtime.spec.migrations)
    with _bar(console) as bar:
        task = bar.add_task("nightly batch", total=None)

        def advance(n: int, total: int) -> None:
            bar.update(task, advance=n, total=total)

        async with runtime.unit_of_work() as uow:
            summary = await run_nightly(
                RunNightly(batch_date=day, staff_user="cli"),
                uow,
                policy=runtime.settings.policy(),
                progress=advance,
            )
            await uow.commit()
    return summary


async def benchmark_command(runtime: ServiceRuntime, rows: int, day: date, console: Console) -> dict:
    engine = runtime.engine
    await upgrade(engine, runtime.spec.migrations)
    console.print(f"loading {rows:,} open installments …")
    t0 = time.perf_counter()
    await benchmark_data.load(engine, rows, day)
    load_s = time.perf_counter() - t0
    baseline_s = await benchmark_data.baseline(engine, day)
    with _bar(console) as bar:
        task = bar.add_task("nightly batch", total=rows)

        def advance(n: int, total: int) -> None:
            bar.update(task, advance=n, total=total)

        t0 = time.perf_counter()
        async with runtime.unit_of_work() as uow:
            summary = await run_nightly(
                RunNightly(batch_date=day, staff_user="benchmark"),
                uow,
                policy=runtime.settings.policy(),
                progress=advance,
            )
            await uow.commit()
        batch_s = time.perf_counter() - t0
    baseline_after_s = await benchmark_data.baseline(engine, day)
    baseline_best = min(baseline_s, baseline_after_s)
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "batch_date": day.isoformat(),
        "load_seconds": round(load_s, 2),
        "baseline_update_seconds": [round(baseline_s, 3), round(baseline_after_s, 3)],
        "batch_seconds": round(batch_s, 3),
        "ratio_to_baseline": round(batch_s / baseline_best, 2),
        "demand_notices": summary["demand_notices"],
        "late_fee_set_based": summary["late_fee_set_based"],
        "late_fee_detailed": summary["late_fee_detailed"],
        "withheld": summary["withheld"],
        "phase_seconds": summary["phase_seconds"],
    }


def main(spec_factory, argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="osame-collection", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    n = sub.add_parser(
        "nightly", help="run the nightly batch (延滞金 to the date, 督促, 履行監視) with a progress bar"
    )
    n.add_argument("--date", type=date.fromisoformat, required=True, help="batch date (ISO), e.g. 2026-07-15")
    n.add_argument("--database-url", default=None, help="SQLAlchemy async URL (default: the service's)")
    b = sub.add_parser("benchmark", help="time the nightly batch against a one-column UPDATE of every row")
    b.add_argument(
        "--rows", type=int, default=1_000_000, help="open installments to generate (default 1,000,000)"
    )
    b.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 27), help="batch date")
    b.add_argument("--database-url", required=True, help="an EMPTY database (its tables are filled)")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    runtime = _runtime(spec_factory, args.database_url)

    async def go():
        try:
            if args.command == "nightly":
                return await nightly_command(runtime, args.date, console)
            return await benchmark_command(runtime, args.rows, args.date, console)
        finally:
            await runtime.engine.dispose()

    result = asyncio.run(go())
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
