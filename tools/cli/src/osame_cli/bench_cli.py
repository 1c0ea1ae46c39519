"""Benchmarks that span services (measurements printed, never tests): `osame bench single`."""

from __future__ import annotations

import json
import os

import typer
from rich.console import Console

bench_app = typer.Typer(
    help="Benchmarks across services (figures printed; never timed tests)", no_args_is_help=True
)
err = Console(stderr=True)


@bench_app.command("single")
def single(
    payments: int = typer.Option(2_000, min=100, help="single payments for the rate (b) and the floor (a)"),
    latency_payments: int = typer.Option(500, min=50, help="payments sent at --rate for the latency (c)"),
    rate: float = typer.Option(
        0.0, min=0.0, help="offered payments/s for (c); 0: half the rate measured in (b)"
    ),
    poll: float = typer.Option(
        0.02, min=0.005, help="seconds between reads of collection's projection in (c)"
    ),
    prefetch: int = typer.Option(
        20, min=1, max=2000, help="the services' prefetch (OSAME_PREFETCH), also the raw floor's"
    ),
    database_server_url: str | None = typer.Option(
        None, help="PostgreSQL server URL (fresh databases are made and dropped); default: SQLite files"
    ),
    amqp_url: str = typer.Option(
        os.environ.get("OSAME_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        help="an administrator's RabbitMQ URL (env OSAME_AMQP_URL); a private namespace is made and removed",
    ),
    as_json: bool = typer.Option(False, "--json", help="print the figures as JSON at the end"),
) -> None:
    """Single payments (窓口 / コンビニ 速報), one RecordReceipt each, receipts → collection: raw aio-pika
    publish+consume (confirms, manual ack), the project's rate, and p50/p95/p99 payment → collection
    latency at an offered rate, with the core count and load average."""
    from osame_cli.single_bench import Options, run

    def echo(line: str) -> None:
        err.print(line, markup=False)

    figures = run(
        Options(
            amqp_url=amqp_url,
            database_server_url=database_server_url,
            payments=payments,
            latency_payments=latency_payments,
            rate=rate,
            poll=poll,
            prefetch=prefetch,
            echo=echo,
        )
    )
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))


__all__ = ["bench_app"]
