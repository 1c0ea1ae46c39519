"""Command line of the collection service beyond ``serve``/``migrate``:

  osame-collection nightly --date 2026-07-15     run the nightly batch on the service's database
  osame-collection benchmark --rows 1000000      the batch vs a single-column UPDATE baseline
  osame-collection rates --file 2027.json                 load 延滞金 rates of new calendar years
  osame-collection law --file change.json [--apply]       preview (or apply) a change of 延滞金 rates
                                                          and 督促手数料 rows: every amount it
                                                          changes, per taxpayer

They read the service's settings (``OSAME_DATABASE_URL`` …) unless ``--database-url`` is given.
``nightly``, ``rates`` and ``law`` run as an operator (issue 13 item 9): the staff token (``--token`` or
``OSAME_OPERATOR_TOKEN``) is verified with the service's ``OSAME_AUTH_*`` settings and must grant
``collection:batches.run`` / ``collection:rates.load`` / ``collection:law.read`` (preview) or
``collection:law.write`` (``--apply``); the batch and the rates are recorded under
the token's subject, and every run, refused or not, is in collection's audit log (client
``cli:collection``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from osame_chassis.migrations import upgrade
from osame_chassis.runtime import ServiceRuntime
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from osame_collection.adapters import benchmark_data
from osame_collection.service_layer import audit, law_changes, law_rates
from osame_collection.service_layer.nightly import RunNightly, run_and_record, run_nightly

COMMANDS = ("nightly", "benchmark", "rates", "law")


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


def audit_writer(runtime: ServiceRuntime):
    """`write(user, operation, outcome)` into collection's audit log, one transaction each."""

    async def write(user: str, operation: str, outcome: str) -> None:
        async with runtime.unit_of_work() as uow:
            await audit.record(
                uow.session, user, operation, None, None, outcome=outcome, client="cli:collection"
            )
            await uow.commit()

    return write


async def as_operator(runtime: ServiceRuntime, token: str | None, action: str, work) -> dict:
    """Run `work(operator)` as the verified operator of `token`, audited (see the module doc)."""
    from osame_chassis.operator import operator_action

    await upgrade(runtime.engine, runtime.spec.migrations)
    async with operator_action(token, f"collection:{action}", audit=audit_writer(runtime)) as act:
        result = await work(act.user)
        act.outcome = "ok"
    return result


async def nightly_command(runtime: ServiceRuntime, day: date, console: Console, operator: str) -> dict:
    await upgrade(runtime.engine, runtime.spec.migrations)
    with _bar(console) as bar:
        task = bar.add_task("nightly batch", total=None)

        def advance(n: int, total: int) -> None:
            bar.update(task, advance=n, total=total)

        summary = await run_and_record(
            runtime.unit_of_work,
            RunNightly(batch_date=day, staff_user=operator),
            policy=runtime.settings.policy(),
            progress=advance,
        )
    return summary


async def benchmark_command(
    runtime: ServiceRuntime, rows: int, day: date, console: Console, rounds: int = 3
) -> dict:
    """Baseline and batch timed ``rounds`` times each, alternately, each after ``settle`` (VACUUM +
    CHECKPOINT): the figures are medians. Every round but the last rolls the batch back, so each
    round starts from the same data; the last one commits (its summary is printed)."""
    engine = runtime.engine
    await upgrade(engine, runtime.spec.migrations)
    console.print(f"loading {rows:,} open installments …")
    t0 = time.perf_counter()
    await benchmark_data.load(engine, rows, day)
    load_s = time.perf_counter() - t0
    baselines: list[float] = []
    batches: list[float] = []
    summary: dict = {}
    with _bar(console) as bar:
        for n in range(1, rounds + 1):
            last = n == rounds
            await benchmark_data.settle(engine)
            baselines.append(await benchmark_data.baseline(engine, day))
            await benchmark_data.settle(engine)
            task = bar.add_task(f"nightly batch {n}/{rounds}", total=rows)

            def advance(k: int, total: int, task=task) -> None:
                bar.update(task, advance=k, total=total)

            t0 = time.perf_counter()
            async with runtime.unit_of_work() as uow:
                summary = await run_nightly(
                    RunNightly(batch_date=day, staff_user="benchmark"),
                    uow,
                    policy=runtime.settings.policy(),
                    progress=advance,
                )
                if last:
                    await uow.commit()  # earlier rounds roll back on leaving the block
            batches.append(time.perf_counter() - t0)
    baseline_s, batch_s = statistics.median(baselines), statistics.median(batches)
    return {
        "database": engine.dialect.name,
        "rows": rows,
        "batch_date": day.isoformat(),
        "rounds": rounds,
        "load_seconds": round(load_s, 2),
        "baseline_update_seconds": [round(x, 3) for x in baselines],
        "batch_seconds": [round(x, 3) for x in batches],
        "median_baseline_seconds": round(baseline_s, 3),
        "median_batch_seconds": round(batch_s, 3),
        "ratio_to_baseline": round(batch_s / baseline_s, 2),
        "ratio_per_round": [round(b / a, 2) for a, b in zip(baselines, batches, strict=True)],
        "demand_notices": summary["demand_notices"],
        "late_fee_set_based": summary["late_fee_set_based"],
        "late_fee_detailed": summary["late_fee_detailed"],
        "not_late_yet": summary["not_late_yet"],
        "withheld": summary["withheld"],
        "phase_seconds": summary["phase_seconds"],
    }


async def rates_command(runtime: ServiceRuntime, rows: list[dict], staff: str) -> dict:
    """Load 延滞金 rate rows (JSON list of law_rates.RateYears) on the service's database."""
    await upgrade(runtime.engine, runtime.spec.migrations)
    command = law_rates.LoadRates(rows=rows, staff_user=staff)
    async with runtime.unit_of_work() as uow:
        result = await law_rates.load_rates(command, uow)
        await uow.commit()
    return result


async def law_command(runtime: ServiceRuntime, change: dict, staff: str, apply: bool) -> dict:
    """Preview (default) or apply a law change (JSON {rates: [...], demand_fees: [...]})."""
    await upgrade(runtime.engine, runtime.spec.migrations)
    command = law_changes.LawChange(**change, staff_user=staff)
    use_case = law_changes.apply if apply else law_changes.preview
    async with runtime.unit_of_work() as uow:
        result = await use_case(command, uow, policy=runtime.settings.policy())
        if apply:
            await uow.commit()
    return result


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
    n.add_argument("--token", default=None, help="your staff token (default: $OSAME_OPERATOR_TOKEN)")
    b = sub.add_parser("benchmark", help="time the nightly batch against a one-column UPDATE of every row")
    b.add_argument(
        "--rows", type=int, default=1_000_000, help="open installments to generate (default 1,000,000)"
    )
    b.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 27), help="batch date")
    b.add_argument("--database-url", required=True, help="an EMPTY database (its tables are filled)")
    b.add_argument(
        "--rounds", type=int, default=3, help="timed rounds of baseline + batch; medians are reported"
    )
    r = sub.add_parser(
        "rates",
        help="load 延滞金 rates of calendar years not yet priced (JSON: [{first_year, last_year, "
        "late_fee_first_tier, late_fee_second_tier, refund_interest, postponement, source}]); audited",
    )
    r.add_argument("--file", required=True, help="the JSON file of rate rows")
    r.add_argument("--token", default=None, help="your staff token (default: $OSAME_OPERATOR_TOKEN)")
    r.add_argument("--database-url", default=None, help="SQLAlchemy async URL (default: the service's)")
    w = sub.add_parser(
        "law",
        help="preview a change of 延滞金 rate rows and 督促手数料 rows (JSON: {rates: [...], demand_fees: "
        "[{effective_from, fee, source}]}): every amount it changes per 宛名番号; --apply stores it (audited)",
    )
    w.add_argument("--file", required=True, help="the JSON file of the change")
    w.add_argument("--token", default=None, help="your staff token (default: $OSAME_OPERATOR_TOKEN)")
    w.add_argument("--apply", action="store_true", help="apply the change (default: preview only)")
    w.add_argument("--database-url", default=None, help="SQLAlchemy async URL (default: the service's)")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    runtime = _runtime(spec_factory, args.database_url)
    rows = json.loads(Path(args.file).read_text(encoding="utf-8")) if args.command in ("rates", "law") else []

    async def go():
        try:
            if args.command == "nightly":
                return await as_operator(
                    runtime,
                    args.token,
                    "batches.run",
                    lambda who: nightly_command(runtime, args.date, console, who),
                )
            if args.command == "rates":
                return await as_operator(
                    runtime, args.token, "rates.load", lambda who: rates_command(runtime, rows, who)
                )
            if args.command == "law":
                permission = "law.write" if args.apply else "law.read"
                return await as_operator(
                    runtime, args.token, permission, lambda who: law_command(runtime, rows, who, args.apply)
                )
            return await benchmark_command(runtime, args.rows, args.date, console, max(1, args.rounds))
        finally:
            await runtime.engine.dispose()

    from osame_chassis.operator import OperatorRefused

    try:
        result = asyncio.run(go())
    except OperatorRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        raise SystemExit(2) from None
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
