"""Due-date peak (納期限のピーク): a measurement, never a test.

Starts the five services as processes (SQLite stores, or PostgreSQL with --database-server-url)
against the local RabbitMQ, registers a synthetic city's addressees and assessments, then at
once: the day's payments from every channel the city uses (bank, CVS, counter, …, as
`RecordReceipt` commands, sent as fast as the broker takes them) and staff reading through the
HTTP APIs (collection's case view, receipts' unmatched list) from --readers concurrent desks.
It prints the throughput and the p50/p95/p99 latency of each staff read and of the propagation
of a payment to collection's projection (send → collection shows the installment's final paid
amount; polled every --poll seconds, which bounds its resolution).

    uv run python scripts/bench-peak.py --households 300 --readers 4
    uv run python scripts/bench-peak.py --database-server-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from osame_chassis.db import create_engine
from osame_cli import pgadmin
from osame_cli.bus import delete_namespace
from osame_cli.city import build_city
from osame_cli.settle import wait_settled
from osame_cli.stack import SERVICES, Stack
from sqlalchemy import text


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)}"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"n={len(values):5d}  p50 {cuts[49] * 1000:8.1f} ms  p95 {cuts[94] * 1000:8.1f} ms"
        f"  p99 {cuts[98] * 1000:8.1f} ms  max {max(values) * 1000:8.1f} ms"
    )


async def projected_paid(url: str) -> dict[str, int]:
    engine = create_engine(url, reads_only=True)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT notice_number || '/' || installment_no, paid FROM installments")
            )
            return dict(rows.all())
    finally:
        await engine.dispose()


async def peak(stack: Stack, args) -> None:
    city = build_city(households=args.households, seed=args.seed)
    exp = city.expected
    collection_db = stack.database_urls.get("collection") or (
        f"sqlite+aiosqlite:///{(stack.work_dir / 'data' / 'collection.db').resolve()}"
    )
    async with stack.bus() as bus:
        for message in [*city.addressees, *city.assessments]:
            await bus.send(message)
        await wait_settled(
            stack, bus, lambda s: s["receipts"]["notices"] == len(city.assessments), timeout=600
        )
        before = await projected_paid(collection_db)
        sent_at: dict[str, float] = {}
        latencies: dict[str, list[float]] = {
            "collection GET /cases/{id}": [],
            "receipts GET /api/unmatched": [],
        }
        history: list[tuple[float, dict[str, int]]] = []
        done = asyncio.Event()

        async def send_day() -> None:
            receipts = list(city.receipts)
            random.Random(args.seed).shuffle(receipts)
            for receipt in receipts:
                await bus.send(receipt)
                sent_at[f"{receipt.notice_number}/{receipt.installment_no}"] = time.perf_counter()

        async def desk(n: int) -> None:
            rng = random.Random(n)
            case_token = stack.staff_token(f"peak-desk-{n}", ["collection_staff"])
            receipts_token = stack.staff_token(f"peak-desk-{n}", ["receipts_staff"])
            async with httpx.AsyncClient(timeout=60) as client:
                while not done.is_set():
                    addressee = rng.choice(city.addressees).addressee_id
                    calls = (
                        ("collection GET /cases/{id}", stack.services["collection"].url + f"/cases/{addressee}",
                         case_token, {"as_of": city.day.isoformat()}),
                        ("receipts GET /api/unmatched", stack.services["receipts"].url + "/api/unmatched",
                         receipts_token, None),
                    )  # fmt: skip
                    for name, url, token, params in calls:
                        start = time.perf_counter()
                        response = await client.get(
                            url, params=params, headers={"Authorization": f"Bearer {token}"}
                        )
                        if response.status_code < 500:
                            latencies[name].append(time.perf_counter() - start)
                        else:
                            print(f"  {name}: {response.status_code}")

        async def watch() -> None:
            while not done.is_set():
                history.append((time.perf_counter(), await projected_paid(collection_db)))
                await asyncio.sleep(args.poll)

        started = time.perf_counter()
        tasks = [asyncio.create_task(desk(n)) for n in range(args.readers)]
        tasks.append(asyncio.create_task(watch()))
        await send_day()
        sent = time.perf_counter()
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["receipts"]["receipts"] == exp.receipts and s["refunds"]["overpayments"] == exp.overpayments
            ),
            timeout=3_600,
        )
        settled = time.perf_counter()
        done.set()
        await asyncio.gather(*tasks)
        history.append((time.perf_counter(), await projected_paid(collection_db)))

    final = history[-1][1]
    propagation = []
    for key, sent_time in sent_at.items():
        if final.get(key) == before.get(key):
            continue  # nothing for collection to show (e.g. an unmatched slip)
        reached = history[-1][0]
        for at, paid in reversed(history):  # the first poll from which collection showed the final amount
            if paid.get(key) != final[key]:
                break
            reached = at
        propagation.append(max(0.0, reached - sent_time))
    seconds = settled - started
    print(f"\nDue-date peak: {args.households} households, {exp.receipts} payments, {args.readers} desks")
    print(f"  sending took {sent - started:.1f} s; settled after {seconds:.1f} s")
    print(f"  throughput {exp.receipts / seconds:.1f} payments/s applied end to end")
    for name, values in latencies.items():
        print(f"  {name:30s} {percentiles(values)}")
    print(f"  {'payment → collection':30s} {percentiles(propagation)}  (poll {args.poll}s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--readers", type=int, default=4, help="concurrent staff desks reading")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--poll", type=float, default=0.2, help="seconds between reads of collection's projection"
    )
    parser.add_argument(
        "--amqp-url", default=os.environ.get("OSAME_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument(
        "--database-server-url", default=None, help="PostgreSQL server (default: SQLite files)"
    )
    args = parser.parse_args()
    city_day = build_city(households=1).day
    prefix = f"peak-{uuid.uuid4().hex[:8]}."
    names = [f"osame_peak_{prefix[5:13]}_{s.replace('-', '_')}" for s in SERVICES]
    urls = {}
    if args.database_server_url:
        created = asyncio.run(pgadmin.create_databases(args.database_server_url, names))
        urls = dict(zip(SERVICES, created.values(), strict=True))
    with tempfile.TemporaryDirectory(prefix="osame-peak-") as work:
        stack = Stack(
            amqp_url=args.amqp_url,
            prefix=prefix,
            work_dir=Path(work),
            database_urls=urls,
            extra_env={"OSAME_BUSINESS_DATE": city_day.isoformat()},
            dev_wiring=True,
        )
        stack.start(timeout=180)
        try:
            asyncio.run(peak(stack, args))
        finally:
            stack.stop()
            asyncio.run(delete_namespace(args.amqp_url, prefix))
            if urls:
                asyncio.run(pgadmin.drop_databases(args.database_server_url, names))


if __name__ == "__main__":
    main()
