"""`osame demo`: all five services as processes, a synthetic city's day, a summary.

Stores are SQLite files under the run's work dir unless a PostgreSQL server URL is given,
in which case each service gets its own database on it. The broker names are prefixed
with the run id and removed at the end, so runs never collide or leave queues behind. Every
service connects as its own broker user; the driver publishes the city's 宛名, 調定 and 収納 as
the outside systems (宛名管理, 税務システム, 収納チャネル) with their own users.

Run in a terminal (stdin is a TTY), it also starts the staff console and its development
sign-in page, and after the summary keeps everything up, printing the console's URL and the
demo logins, until Ctrl-C. Without a terminal (tests, CI) it stops after the summary as before.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import signal
import sys
import time
from pathlib import Path

import httpx
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry import trace
from osame_chassis.otlp_sink import OtlpSink
from osame_chassis.telemetry import setup_tracing
from osame_refunds.domain.conservation import ReceiptsSide, RefundsSide, balance
from rich.console import Console
from rich.table import Table

from osame_cli import pgadmin
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.demo_mission import (
    Mission,
    check_figures,
    check_letters,
    check_register,
    read_records,
    read_trace,
    run_queries,
    send_register,
    summary_rows,
)
from osame_cli.settle import dlq_depths, wait_settled
from osame_cli.stack import SERVICES, Stack, free_port

CLEANUP_SECONDS = 120


async def _send_all(bus, messages, concurrency: int = 64) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(message):
        async with semaphore:
            await bus.send(message)

    await asyncio.gather(*(one(m) for m in messages))


async def run_demo(
    console: Console,
    amqp_url: str,
    database_url: str | None,
    households: int,
    seed: int,
    work_root: Path,
    keep: bool,
) -> int:
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    work_dir = work_root / run_id
    prefix = f"demo-{run_id}."
    city = build_city(households=households, seed=seed)
    console.print(f"[bold]Osame demo[/] run {run_id}: {households} households, seed {seed}, day {city.day}")
    console.print(f"  work dir {work_dir}  broker {pgadmin.redact_url(amqp_url)}  prefix {prefix}")

    database_urls = {}
    if database_url:
        database_urls = await pgadmin.create_databases(
            database_url, [f"osame_demo_{run_id}_{n}" for n in SERVICES]
        )
        database_urls = dict(zip(SERVICES, database_urls.values(), strict=True))
        console.print(
            f"  stores: PostgreSQL databases osame_demo_{run_id}_* on {pgadmin.redact_url(database_url)}"
        )
    else:
        console.print("  stores: SQLite files (embedded default)")

    sink = OtlpSink(free_port(), jsonl=None)
    sink.start()
    provider = setup_tracing("demo-driver", extra_exporters=())
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=work_dir,
        database_urls=database_urls,
        otlp_endpoint=sink.endpoint,
        extra_env={"OSAME_BUSINESS_DATE": city.day.isoformat()},
        dev_wiring=True,
        with_simulator=True,
        with_console=interactive(),
    )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=sink.endpoint + "/v1/traces")))
    tracer = trace.get_tracer("osame.demo")
    started = time.monotonic()
    try:
        console.print("Starting services: " + ", ".join(SERVICES))
        await asyncio.to_thread(stack.start, 90)
        telemetry = (RabbitTelemetryMiddleware(tracer_provider=provider),)
        mission = Mission()
        reg = city.register
        async with stack.bus(middlewares=telemetry) as bus:
            console.print(
                f"Sending {len(city.addressees)} addressees (宛名) and the 住基 / 宛名管理 day: "
                f"{reg.resident_changes} 異動 of {reg.people} people (転入 with 個人番号, 転居, 死亡, 取消), "
                "a 支援措置, a 住登外者 who moves in"
            )
            await _send_all(bus, city.addressees)
            stats = await send_register(stack, bus, city, _send_all)
            check_register(mission, stats, city)
            assessments = [*city.assessments, *reg.assessments]
            console.print(f"Sending {len(assessments)} assessments (調定)")
            await _send_all(bus, assessments)
            await wait_settled(
                stack,
                bus,
                lambda s: (
                    s["receipts"]["notices"] == len(assessments)
                    and s["collection"]["addressees"] >= len(city.addressees) + reg.people
                ),
            )
            console.print(f"Sending {len(city.receipts)} receipts (収納) of {city.day}")
            traced = city.traced_receipt
            with tracer.start_as_current_span(
                "demo.payment", attributes={"osame.channel": traced.channel.value}
            ) as span:
                trace_id = format(span.get_span_context().trace_id, "032x")
                await bus.send(traced)
            await _send_all(bus, [r for r in city.receipts if r is not traced])
            exp = city.expected
            stats = await wait_settled(
                stack,
                bus,
                lambda s: (
                    s["receipts"]["receipts"] == exp.receipts
                    and s["refunds"]["overpayments"] == exp.overpayments
                ),
            )
            console.print(f"Running collection's nightly batch for {city.day} (延滞金, 督促, 履行監視)")
            night = await asyncio.to_thread(_nightly, stack, city.day)
            await wait_settled(stack, bus, lambda s: True)
            await asyncio.to_thread(check_letters, mission, stack, city, night.get("batch_id"))
            console.print(
                "財産調査: an income query before the permitted-query list is loaded, the list "
                "(osame-gateway load-permitted), the same query again through the network simulator"
            )
            await run_queries(mission, stack, city, tracer)
            stats = await wait_settled(stack, bus, lambda s: True)
            await asyncio.to_thread(read_records, mission, stack, city)
            money = await asyncio.to_thread(_money, stack)
            dlqs = await dlq_depths(bus)
            provider.force_flush()
            await asyncio.sleep(1.5)
            await read_trace(mission, sink, stack.simulator.url if stack.simulator else None)
        elapsed = time.monotonic() - started
        _print_summary(console, stats, dlqs, exp, elapsed)
        console.print(
            f"充当 (appropriation): ¥{stats['refunds']['appropriated_yen']:,} of the overpayments paid the same "
            f"taxpayers' past-due installments ({stats['refunds']['appropriations']} 充当); "
            f"¥{stats['refunds']['refunded_yen']:,} awaits refund approval. Nightly batch: {_night_line(night)}."
        )
        console.print(
            f"Money check (osame money check): received ¥{money.received:,} = accounted ¥{money.accounted:,} "
            f"→ {'OK' if money.ok else f'DIFFERENCE ¥{money.difference:,}'}"
        )
        spans = sink.services_in_trace(trace_id)
        console.print(f"\nTrace of one over-payment ({traced.channel.value}): [bold]{trace_id}[/]")
        console.print("  spans per service: " + ", ".join(f"{k} {v}" for k, v in sorted(spans.items())))
        check_figures(mission, stats)
        _print_mission(console, mission, stats, city)
        ok = (
            stats["receipts"]["receipts"] == exp.receipts
            and stats["refunds"]["overpayments"] == exp.overpayments
            and money.ok
            and not any(dlqs.values())
            and not mission.failures
        )
        for reason in mission.failures:
            console.print(f"[red]FAILED: {reason}[/]")
        console.print(
            "[green]Demo day settled: money and records match the synthetic city.[/]"
            if ok
            else "[red]Demo day did not match expectations; see the logs in the work dir.[/]"
        )
        _write_report(work_dir / "summary.json", stats, dlqs, mission, money.ok, ok)
        if stack.console is not None:
            await _hold_open(console, stack)
        return 0 if ok else 1
    except Exception as exc:  # an effect that did not happen, a service or the broker not answering
        console.print(f"[red]Demo failed: an expected effect did not happen: {type(exc).__name__}: {exc}[/]")
        console.print(f"  logs: {work_dir / 'logs'}")
        return 1
    finally:
        codes = await asyncio.to_thread(stack.stop)
        console.print(
            "Stopped services (exit codes: " + ", ".join(f"{k}={v}" for k, v in codes.items()) + ")"
        )
        if not keep:
            try:  # a broker that stopped answering must not keep the demo from ending
                await asyncio.wait_for(delete_namespace(amqp_url, prefix), CLEANUP_SECONDS)
            except (TimeoutError, OSError) as exc:
                console.print(
                    f"[red]Could not delete the broker namespace {prefix} ({type(exc).__name__}); "
                    f"remove it later with osame_cli.bus.delete_namespace[/]"
                )
            if database_urls:
                await pgadmin.drop_databases(database_url, list(database_urls.values()))
        provider.shutdown()
        sink.stop()


def _write_report(path: Path, stats: dict, dlqs: dict, mission: Mission, money_ok: bool, ok: bool) -> None:
    """The summary's figures as JSON in the run's work dir (counts, steps, reasons: no personal data)."""
    report = {
        "ok": ok,
        "money_ok": money_ok,
        "stats": stats,
        "dlq": {q: n for q, n in dlqs.items() if n},
        "mission": dataclasses.asdict(mission),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def interactive() -> bool:
    """A person at a terminal (not a test or CI run): keep the system up for the console."""
    return sys.stdin.isatty()


async def _hold_open(console: Console, stack: Stack) -> None:
    """Keep the services and the staff console running until Ctrl-C (or SIGTERM)."""
    from osame_dev_issuer.settings import DEMO_USERS

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    console.print(f"\n[bold]Staff console (職員コンソール): {stack.console.url}/[/]")
    console.print("  Sign in on the development sign-in page as one of the demo staff:")
    for user in DEMO_USERS:
        console.print(f"    {user.user:10} {user.label}（{', '.join(user.roles)}）")
    console.print("  e.g. tainou01 for 滞納整理: 宛名検索, the case page, 夜間バッチ, 管理.")
    console.print("Everything keeps running; press [bold]Ctrl-C[/] to stop.")
    try:
        await stopping.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    console.print("Stopping …")


def _nightly(stack: Stack, day) -> dict:
    """Run collection's nightly batch through its staff API (as `osame collection batch` does)."""
    token = stack.staff_token("demo-operator", ["collection_staff"])
    response = httpx.post(
        stack.services["collection"].url + "/batches/nightly",
        json={"batch_date": day.isoformat(), "wait": True},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    response.raise_for_status()
    return response.json().get("result") or {}


def _night_line(result: dict) -> str:
    interesting = {k: v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return ", ".join(f"{k} {v}" for k, v in sorted(interesting.items())) or "done"


def _money(stack: Stack):
    """Σ received = Σ applied + Σ unmatched + Σ refunded + Σ held, city-wide, from both services."""
    token = stack.staff_token("demo-auditor", ["receipts_staff"])
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.get(stack.services["receipts"].url + "/money", headers=headers, timeout=30).json()
    f = httpx.get(stack.services["refunds"].url + "/money", headers=headers, timeout=30).json()
    return balance(
        "*",
        ReceiptsSide(received=r["received"], applied=r["applied"], unmatched=r["unmatched"]),
        RefundsSide(refunded=f["refunded"] + f["forfeited"], held=f["held"], recovery=f["recovery_claims"]),
    )


def _print_mission(console: Console, mission: Mission, stats: dict, city) -> None:
    table = Table(title="The mission: 住基, 名寄せ, 支援措置, 情報照会 (from each service's store)")
    table.add_column("service")
    table.add_column("what happened")
    for name, line in summary_rows(mission, stats, city):
        table.add_row(name, line)
    console.print(table)
    console.print("情報提供等記録 of the two queries (gateway GET /provision-records, one taxpayer):")
    for r in mission.records:
        reason = f" ({r['reason']})" if r["reason"] else ""
        console.print(
            f"  {r['query']:8} {r['step']:12} {r['outcome']}{reason}  (事務 {r['affair']}, item {r['item']})",
            markup=False,  # the values are data, never rich markup
        )
    console.print(f"\nTrace of the income query (財産調査): [bold]{mission.trace_id}[/]")
    console.print(
        "  services crossed: "
        + ", ".join(f"{k} {v}" for k, v in sorted(mission.trace_services.items()))
        + f"; the gateway's calls to the network simulator (not instrumented): {mission.network_calls}"
    )


def _print_summary(console: Console, stats: dict, dlqs: dict, exp, elapsed: float) -> None:
    table = Table(title=f"Per service after the day ({elapsed:.1f}s)")
    table.add_column("service")
    table.add_column("records")
    table.add_column("consumed", justify="right")
    table.add_column("published", justify="right")
    table.add_column("DLQ", justify="right")
    for name, s in stats.items():
        records = ", ".join(
            f"{k} {v}"
            for k, v in s.items()
            if k
            not in {
                "outbox_pending",
                "messages_published",
                "messages_consumed",
                "outbox_published_by_this_process",
            }
        )
        dlq = sum(v for q, v in dlqs.items() if q.startswith(name + "."))
        table.add_row(name, records, str(s["messages_consumed"]), str(s["messages_published"]), str(dlq))
    console.print(table)
    r = stats["receipts"]
    console.print(
        f"Receipts: {r['receipts']} recorded (expected {exp.receipts}; one duplicate ignored), "
        f"{r['unmatched_receipts']} unmatched, ¥{r['receipts_yen']:,} received (expected ¥{exp.receipts_yen:,}); "
        f"collection sees {stats['collection']['installments_paid']} installments paid; "
        f"refunds registered {stats['refunds']['overpayments']} overpayments (expected {exp.overpayments}, "
        f"¥{exp.overpaid_yen:,}), ¥{stats['refunds']['held_yen']:,} still held; the city expected {exp.settled} "
        f"installments settled and {exp.partly_paid} partly paid by today's payments."
    )
