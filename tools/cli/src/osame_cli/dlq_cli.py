"""`osame dlq …`: list, inspect, replay (all, or one message by id) and purge dead letters.

Run it as the `operator` broker user (`--amqp-url`, env OSAME_AMQP_URL): it may read and purge
DLQs and replay a dead letter with its original publisher (`user_id`), nothing else. Every
replay and purge appends an audit line (operator, action, queue, message id, count; never a
body) to OSAME_DLQ_AUDIT_FILE (default var/log/osame-dlq-audit.jsonl) and logs it.
"""

from __future__ import annotations

import asyncio
import json

import aio_pika
import typer
from rich.console import Console
from rich.table import Table

from osame_cli import dlq as dlq_ops
from osame_cli.bus import connect

dlq_app = typer.Typer(
    help="Dead-letter queues: list, inspect, replay, purge (audited).",
    rich_markup_mode=None,
    no_args_is_help=True,
)
console = Console()

AMQP = typer.Option(
    "amqp://guest:guest@127.0.0.1:5672/",
    "--amqp-url",
    envvar="OSAME_AMQP_URL",
    help="RabbitMQ URL of the operator broker user (env OSAME_AMQP_URL)",
)
PREFIX = typer.Option(
    "", "--prefix", envvar="OSAME_AMQP_PREFIX", help="Broker name prefix (env OSAME_AMQP_PREFIX)"
)
QUEUE = typer.Argument(..., help="Work queue name, e.g. receipts.receipts.receipt.record.v1")


def _run(coro_factory, amqp_url: str, prefix: str):
    async def run():
        async with connect(amqp_url, prefix) as bus:
            return await coro_factory(bus)

    try:
        return asyncio.run(run())
    except dlq_ops.UnknownQueue as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@dlq_app.command("list")
def dlq_list(amqp_url: str = AMQP, prefix: str = PREFIX) -> None:
    """Depth of every dead-letter queue."""
    try:
        rows = _run(dlq_ops.list_depths, amqp_url, prefix)
    except (OSError, aio_pika.exceptions.AMQPError) as exc:
        from osame_chassis.startup import broker_problem

        console.print(f"[red]{broker_problem(exc, amqp_url)}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    table = Table("queue", "dead letters")
    for queue, depth in rows:
        table.add_row(queue + ".dlq", "missing" if depth is None else str(depth))
    console.print(table)
    if problem := dlq_ops.missing_summary(rows, prefix):
        console.print(f"[red]{problem}[/]", soft_wrap=True)
        raise typer.Exit(1)


@dlq_app.command("inspect")
def dlq_inspect(
    queue: str = QUEUE,
    limit: int = typer.Option(10, min=1, max=1000),
    amqp_url: str = AMQP,
    prefix: str = PREFIX,
) -> None:
    """Show ids, types, publishers and death reasons of dead letters (bodies are never printed)."""
    found = _run(lambda bus: dlq_ops.inspect(bus, queue, limit), amqp_url, prefix)
    print(json.dumps(found, ensure_ascii=False, indent=2, default=str))


@dlq_app.command("replay")
def dlq_replay(
    queue: str = QUEUE,
    message_id: str = typer.Option(None, "--message-id", help="Replay only this dead letter"),
    limit: int = typer.Option(None, min=1, help="At most this many (default: all)"),
    amqp_url: str = AMQP,
    prefix: str = PREFIX,
) -> None:
    """Re-publish dead letters to their work queue with the same message_id and publisher (fix the cause first)."""
    audit = dlq_ops.AuditTrail.from_env()
    if message_id:
        found = _run(lambda bus: dlq_ops.replay_one(bus, queue, message_id, audit), amqp_url, prefix)
        if not found:
            console.print(f"[red]no dead letter {message_id} in {queue}.dlq[/]")
            raise typer.Exit(1)
        console.print(f"replayed {message_id} to {queue}")
        return
    count = _run(lambda bus: dlq_ops.replay(bus, queue, limit, audit), amqp_url, prefix)
    console.print(f"replayed {count} message(s) to {queue}")


@dlq_app.command("purge")
def dlq_purge(
    queue: str = QUEUE,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation (scripts)"),
    amqp_url: str = AMQP,
    prefix: str = PREFIX,
) -> None:
    """Delete every dead letter of a queue (asks first; the deletion is audited, the bodies are gone)."""
    depth = _run(lambda bus: dlq_ops.depth(bus, queue), amqp_url, prefix)
    if not yes and not typer.confirm(
        f"Delete {depth} dead letter(s) from {queue}.dlq for good?", default=False
    ):
        console.print("nothing purged")
        raise typer.Exit(1)
    count = _run(lambda bus: dlq_ops.purge(bus, queue, dlq_ops.AuditTrail.from_env()), amqp_url, prefix)
    console.print(f"purged {count} dead letter(s) from {queue}.dlq")
