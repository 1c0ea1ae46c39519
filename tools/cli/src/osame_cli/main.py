"""The `osame` operator command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from osame_cli import dlq as dlq_ops
from osame_cli.address_cli import address_app
from osame_cli.auth_cli import auth_app
from osame_cli.bus import connect
from osame_cli.calc import calc_app
from osame_cli.collection_cli import collection_app
from osame_cli.receipts_cli import cvs_app, receipts_app, zengin_app
from osame_cli.refunds_cli import money_app, refunds_app
from osame_cli.stack import SERVICES

app = typer.Typer(
    help="Osame (納め): tax receipts and delinquency management. Operator commands.",
    rich_markup_mode=None,
    no_args_is_help=True,
)
dlq_app = typer.Typer(help="Dead-letter queues: list, inspect, replay.", no_args_is_help=True)
contracts_app = typer.Typer(help="Message contracts.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(contracts_app, name="contracts")
app.add_typer(calc_app, name="calc")
app.add_typer(auth_app, name="auth")
app.add_typer(address_app, name="address")
app.add_typer(collection_app, name="collection")
app.add_typer(receipts_app, name="receipts")
app.add_typer(zengin_app, name="zengin")
app.add_typer(cvs_app, name="cvs")
app.add_typer(refunds_app, name="refunds")
app.add_typer(money_app, name="money")
console = Console()

AMQP = typer.Option(
    os.environ.get("OSAME_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    "--amqp-url",
    help="RabbitMQ URL (env OSAME_AMQP_URL)",
)
PREFIX = typer.Option(
    os.environ.get("OSAME_AMQP_PREFIX", ""), "--prefix", help="Broker name prefix (env OSAME_AMQP_PREFIX)"
)


@app.command()
def demo(
    amqp_url: str = AMQP,
    database_url: str = typer.Option(
        None,
        "--database-url",
        envvar="OSAME_DEMO_DATABASE_URL",
        help="PostgreSQL server URL (e.g. postgresql://postgres@127.0.0.1:5432); each service gets its own "
        "database on it. Default: embedded SQLite files.",
    ),
    households: int = typer.Option(200, min=1, max=100_000, help="Households in the synthetic city"),
    seed: int = typer.Option(2026, help="Random seed (the same seed gives the same city)"),
    work_dir: Path = typer.Option(Path("var/demo"), help="Where stores and logs of each run go"),
    keep: bool = typer.Option(False, help="Keep the run's queues/databases after it ends"),
) -> None:
    """Start all five services against RabbitMQ, run a demo day for a synthetic city, print what happened."""
    from osame_cli.demo import run_demo

    try:
        code = asyncio.run(run_demo(console, amqp_url, database_url, households, seed, work_dir, keep))
    except (OSError, ConnectionError) as exc:
        console.print(
            f"[red]Cannot reach a service: {type(exc).__name__}: {exc}[/]\n"
            "Is RabbitMQ running? Start it with `rabbitmq-server -detached`."
        )
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


@dlq_app.command("list")
def dlq_list(amqp_url: str = AMQP, prefix: str = PREFIX) -> None:
    """Depth of every dead-letter queue."""

    async def run():
        async with connect(amqp_url, prefix) as bus:
            return await dlq_ops.list_depths(bus)

    table = Table("queue", "dead letters")
    for queue, depth in asyncio.run(run()):
        table.add_row(queue + ".dlq", str(depth))
    console.print(table)


@dlq_app.command("inspect")
def dlq_inspect(
    queue: str = typer.Argument(..., help="Work queue name, e.g. receipts.receipts.receipt.record.v1"),
    limit: int = typer.Option(10, min=1, max=1000),
    amqp_url: str = AMQP,
    prefix: str = PREFIX,
) -> None:
    """Show ids, types and death reasons of dead letters (bodies are never printed)."""

    async def run():
        async with connect(amqp_url, prefix) as bus:
            return await dlq_ops.inspect(bus, queue, limit)

    print(json.dumps(asyncio.run(run()), ensure_ascii=False, indent=2, default=str))


@dlq_app.command("replay")
def dlq_replay(
    queue: str = typer.Argument(..., help="Work queue whose dead letters to replay"),
    limit: int = typer.Option(None, min=1, help="At most this many (default: all)"),
    amqp_url: str = AMQP,
    prefix: str = PREFIX,
) -> None:
    """Re-publish dead letters to their work queue with the same message_id (fix the cause first)."""

    async def run():
        async with connect(amqp_url, prefix) as bus:
            return await dlq_ops.replay(bus, queue, limit)

    console.print(f"replayed {asyncio.run(run())} message(s) to {queue}")


@contracts_app.command("schemas")
def contracts_schemas() -> None:
    """Regenerate contracts/schemas/*.json and docs/message-fields.md from the models."""
    from osame_contracts.reference import write as write_reference
    from osame_contracts.schemas import write_all

    console.print(f"wrote {len(write_all())} schemas and {write_reference()}")


@app.command()
def asyncapi(
    service: str = typer.Argument(..., help="One of: " + ", ".join(SERVICES)),
    output: Path = typer.Option(None, "-o", help="Write to this file instead of stdout"),
) -> None:
    """Print a service's AsyncAPI 3.0 document (generated by FastStream from its subscribers)."""
    if service not in SERVICES:
        console.print(f"[red]unknown service {service!r}; one of {', '.join(SERVICES)}[/]")
        raise typer.Exit(2)
    result = subprocess.run(
        [sys.executable, "-m", SERVICES[service], "asyncapi"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        console.print(result.stderr)
        raise typer.Exit(result.returncode)
    if output:
        output.write_text(result.stdout, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        print(result.stdout)


if __name__ == "__main__":
    app()
