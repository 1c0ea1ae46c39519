"""The receipts benchmark's downstream: receipts and collection as real processes on the broker.

`osame receipts bench` imports the synthetic 全銀 result files in-process; the receipts service
process (on the same database) relays the staged events through RabbitMQ and the collection
service process consumes them. The benchmark's clock stops when collection has consumed every
event message the import staged for it (counted in collection's inbox).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from osame_contracts.subscriptions.collection import CONSUMES
from sqlalchemy.engine import make_url

from osame_cli import pgadmin
from osame_cli.bus import delete_namespace
from osame_cli.stack import Stack

COLLECTION_KEYS = sorted({model.routing_key for model in CONSUMES})


async def _count(database_url: str, query: str, *args) -> int:
    u = make_url(database_url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, database=u.database,
    )  # fmt: skip
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


class CollectionDownstream:
    """Starts receipts (relay) and collection as processes under a private broker prefix."""

    def __init__(self, amqp_url: str, server_url: str, echo=print, timeout: float = 3_600):
        self.amqp_url, self.server_url, self.echo, self.timeout = amqp_url, server_url, echo, timeout
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}."
        self.collection_db = f"osame_bench_collection_{uuid.uuid4().hex[:8]}"
        self.collection_url = ""
        self.stack: Stack | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="osame-bench-")

    async def start(self, receipts_database_url: str) -> None:
        urls = await pgadmin.create_databases(self.server_url, [self.collection_db])
        self.collection_url = urls[self.collection_db]
        self.stack = Stack(
            amqp_url=self.amqp_url,
            prefix=self.prefix,
            work_dir=Path(self._tmp.name),
            database_urls={"receipts": receipts_database_url, "collection": self.collection_url},
        )
        for name in ("collection", "receipts"):
            self.stack.services[name].start()
        await asyncio.to_thread(self.stack.wait_ready, 180, ["collection", "receipts"])

    async def wait(self, receipts_database_url: str) -> int:
        expected = await _count(
            receipts_database_url,
            "SELECT count(*) FROM outbox WHERE routing_key = ANY($1::text[])",
            COLLECTION_KEYS,
        )
        deadline = time.monotonic() + self.timeout
        last_report = time.monotonic()
        while True:
            consumed = await _count(self.collection_url, "SELECT count(*) FROM inbox")
            if consumed >= expected:
                return consumed
            for name in ("collection", "receipts"):
                if not self.stack.services[name].alive():
                    raise RuntimeError(
                        f"{name} exited during the benchmark; see {self.stack.services[name].log_path}"
                    )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"collection consumed {consumed:,} of {expected:,} messages in {self.timeout}s"
                )
            if time.monotonic() - last_report > 10:
                self.echo(f"  collection consumed {consumed:,} / {expected:,} event messages")
                last_report = time.monotonic()
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.stack is not None:
            await asyncio.to_thread(self.stack.stop)
            await delete_namespace(self.amqp_url, self.prefix)
        if self.collection_url:
            await pgadmin.drop_databases(self.server_url, [self.collection_db])
        self._tmp.cleanup()
