"""Single-payment benchmark (issue 17): one `RecordReceipt` per payment, receipts → collection.

A measurement, never a test. Against the local RabbitMQ (a private namespace: its own queues,
exchanges and broker users, all deleted after) and SQLite files or fresh PostgreSQL databases
(dropped after), in one run it prints:

(a) the floor: raw aio-pika publish + consume of N persistent messages of the same size, with
    publisher confirms and manual ack, on a quorum queue with the services' prefetch;
(b) the project's rate: N single payments (窓口 / コンビニ 速報) sent as fast as the broker takes
    them, until collection's projection shows every installment paid;
(c) the latency payment → collection (send → collection's projection shows the paid amount,
    polled every --poll seconds, which bounds its resolution) at an offered rate (--rate; by
    default half the rate measured in (b)), as p50/p95/p99;
and the machine's core count and load average (a shared machine skews every figure).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aio_pika
from osame_chassis.db import create_engine
from osame_contracts.messages import receipts
from sqlalchemy import bindparam, text

from osame_cli import pgadmin
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.stack import Stack

SERVICES_USED = ("receipts", "collection")
CHANNELS = (receipts.Channel.COUNTER, receipts.Channel.CONVENIENCE_STORE)


@dataclass
class Options:
    amqp_url: str
    database_server_url: str | None
    payments: int
    latency_payments: int
    rate: float
    poll: float
    prefetch: int
    echo: Callable[[str], None] = print


def machine() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "n": len(values),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


async def raw_aio_pika(amqp_url: str, queue_name: str, count: int, size: int, prefetch: int) -> float:
    """Messages per second through one quorum queue: persistent publishes with confirms (a window
    of `prefetch` × 4 in flight) while a consumer with `prefetch` acks each one manually."""
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        publish_channel = await connection.channel(publisher_confirms=True)
        consume_channel = await connection.channel()
        await consume_channel.set_qos(prefetch_count=prefetch)
        queue = await consume_channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        body = b"x" * size
        received = 0
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            await message.ack()
            received += 1
            if received >= count:
                done.set()

        tag = await queue.consume(on_message)
        window = asyncio.Semaphore(prefetch * 4)

        async def send(n: int) -> None:
            async with window:
                await publish_channel.default_exchange.publish(
                    aio_pika.Message(
                        body,
                        message_id=f"raw-{n}",
                        type="bench",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=queue_name,
                    mandatory=True,
                )

        started = time.perf_counter()
        await asyncio.gather(*(send(n) for n in range(count)))
        await asyncio.wait_for(done.wait(), timeout=600)
        seconds = time.perf_counter() - started
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
        return count / seconds
    finally:
        await connection.close()


def payments_for(city, day: dt.date) -> list[receipts.RecordReceipt]:
    """One payment of each assessed installment's full 本税: each settles one installment."""
    out = []
    for assessment in city.assessments:
        for inst in assessment.installments:
            channel = CHANNELS[len(out) % len(CHANNELS)]
            out.append(
                receipts.RecordReceipt(
                    channel=channel,
                    channel_key=f"bench-{len(out):07d}",
                    notice_number=assessment.notice_number,
                    installment_no=inst.installment_no,
                    amount=inst.principal_tax,
                    paid_on=day,
                    booked_on=day + dt.timedelta(days=1),
                    preliminary=channel == receipts.Channel.CONVENIENCE_STORE,  # コンビニ 速報
                )
            )
    return out


def key(payment: receipts.RecordReceipt) -> str:
    return f"{payment.notice_number}/{payment.installment_no}"


def shown_as(payment: receipts.RecordReceipt) -> tuple[bool, int]:
    """What collection shows once it has the payment: a 速報 held (nothing paid yet), or paid."""
    return (True, 0) if payment.preliminary else (False, payment.amount)


class Projection:
    """Reads what collection shows of each payment: its receipt (a 速報 or a final one) and the
    installment's paid amount (a 速報 is held, not applied: collection shows it, paid stays)."""

    def __init__(self, url: str):
        self.engine = create_engine(url, reads_only=True)

    async def shown(self, notices: list[str]) -> dict[str, tuple[bool, int]]:
        """Only the notices still awaited: an indexed look-up, so polling often costs little CPU
        (on a busy machine the poll competes with the services it measures)."""
        query = text(
            "SELECT r.notice_number || '/' || r.installment_no, r.preliminary, i.paid"
            " FROM receipts r JOIN installments i"
            " ON i.notice_number = r.notice_number AND i.installment_no = r.installment_no"
            " WHERE r.notice_number IN :notices"
        ).bindparams(bindparam("notices", expanding=True))
        async with self.engine.connect() as conn:
            rows = await conn.execute(query, {"notices": notices})
            return {k: (bool(preliminary), paid) for k, preliminary, paid in rows.all()}

    async def installments(self) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM installments"))).scalar_one()

    async def close(self) -> None:
        await self.engine.dispose()


async def watch(
    projection: Projection,
    expected: dict[str, tuple[bool, int]],
    poll: float,
    timeout: float,
    sent: dict[str, float] | None = None,
) -> dict[str, float]:
    """The first poll time at which collection showed each payment as expected (of those already
    in `sent`, when given)."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(expected):
        awaited = {k.split("/")[0] for k in (expected if sent is None else sent) if k not in seen}
        shown = await projection.shown(sorted(awaited)) if awaited else {}
        now = time.perf_counter()
        for k, state in shown.items():
            if k not in seen and expected.get(k) == state:
                seen[k] = now
        if time.monotonic() > deadline:
            raise TimeoutError(f"collection showed {len(seen)} of {len(expected)} payments in {timeout}s")
        await asyncio.sleep(poll)
    return seen


async def measure(stack: Stack, options: Options, collection_url: str) -> dict:
    echo = options.echo
    figures: dict = {"machine_before": machine()}
    echo(f"machine: {figures['machine_before']}")
    raw_queue = f"{stack.prefix}bench.raw"
    figures["raw_aio_pika_msg_s"] = round(
        await raw_aio_pika(options.amqp_url, raw_queue, options.payments, 420, options.prefetch), 1
    )
    echo(f"(a) raw aio-pika publish+consume, confirms + manual ack: {figures['raw_aio_pika_msg_s']} msg/s")

    needed = options.payments + options.latency_payments
    households = needed // 4 + 2
    city = build_city(households=households, seed=17)
    payments = payments_for(city, city.day)
    bulk, paced = payments[: options.payments], payments[options.payments : needed]
    projection = Projection(collection_url)
    try:
        async with stack.bus() as bus:
            for assessment in city.assessments:
                await bus.send(assessment)
            notices = len(city.assessments)
            deadline = time.monotonic() + 600
            while await projection.installments() < sum(len(a.installments) for a in city.assessments):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"collection did not project the {notices} assessments")
                await asyncio.sleep(0.5)
            echo(f"city: {households} households, {notices} notices projected in collection")

            # (b) as fast as the broker takes them
            expected = {key(p): shown_as(p) for p in bulk}
            window = asyncio.Semaphore(64)

            async def send(payment) -> None:
                async with window:
                    await bus.send(payment)

            started = time.perf_counter()
            watcher = asyncio.create_task(watch(projection, expected, 0.2, 3_600))
            await asyncio.gather(*(send(p) for p in bulk))
            sent = time.perf_counter()
            seen = await watcher
            finished = max(seen.values())
            figures["payments"] = len(bulk)
            figures["send_s"] = round(sent - started, 2)
            figures["project_payments_s"] = round(len(bulk) / (finished - started), 1)
            figures["ratio_to_raw"] = round(figures["project_payments_s"] / figures["raw_aio_pika_msg_s"], 3)
            echo(
                f"(b) {len(bulk)} single payments receipts → collection: {figures['project_payments_s']} "
                f"payments/s (sent in {figures['send_s']} s), {figures['ratio_to_raw']} × raw aio-pika"
            )

            # (c) latency at an offered rate
            rate = options.rate or max(1.0, figures["project_payments_s"] / 2)
            figures["offered_rate"] = round(rate, 1)
            expected = {key(p): shown_as(p) for p in paced}
            sent_at: dict[str, float] = {}
            watcher = asyncio.create_task(watch(projection, expected, options.poll, 3_600, sent_at))
            start = time.perf_counter()
            for n, payment in enumerate(paced):
                delay = start + n / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                sent_at[key(payment)] = time.perf_counter()
                await bus.send(payment)
            seen = await watcher
            figures["latency"] = percentiles([max(0.0, seen[k] - sent_at[k]) for k in sent_at])
            figures["poll_s"] = options.poll
            echo(
                f"(c) payment → collection at {figures['offered_rate']} payments/s offered: "
                f"{figures['latency']} (poll {options.poll} s)"
            )
    finally:
        await projection.close()
    figures["machine_after"] = machine()
    echo(f"machine: {figures['machine_after']}")
    return figures


def run(options: Options) -> dict:
    """Start receipts and collection on a private namespace, measure, and remove everything."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    databases = {s: f"osame_single_{prefix[6:14]}_{s}" for s in SERVICES_USED}
    urls: dict[str, str] = {}
    if options.database_server_url:
        created = asyncio.run(pgadmin.create_databases(options.database_server_url, list(databases.values())))
        urls = {s: created[name] for s, name in databases.items()}
    day = build_city(households=1).day
    try:
        with tempfile.TemporaryDirectory(prefix="osame-single-") as work:
            stack = Stack(
                amqp_url=options.amqp_url,
                prefix=prefix,
                work_dir=Path(work),
                database_urls=urls,
                extra_env={"OSAME_BUSINESS_DATE": day.isoformat(), "OSAME_PREFETCH": str(options.prefetch)},
            )
            collection_url = urls.get("collection") or (
                f"sqlite+aiosqlite:///{(Path(work) / 'data' / 'collection.db').resolve()}"
            )
            try:
                stack.provision()
                for name in SERVICES_USED:
                    stack.services[name].start()
                stack.wait_ready(180, list(SERVICES_USED))
                figures = asyncio.run(measure(stack, options, collection_url))
                figures["store"] = "postgresql" if urls else "sqlite"
                return figures
            finally:
                stack.stop()
    finally:
        asyncio.run(delete_namespace(options.amqp_url, prefix, extra_queues=("bench.raw",)))
        if urls:
            asyncio.run(pgadmin.drop_databases(options.database_server_url, list(databases.values())))
