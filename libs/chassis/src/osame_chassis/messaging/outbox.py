"""Transactional outbox: stage events in the caller's transaction; a relay publishes them.

Staging captures the current trace context (W3C `traceparent`) so the relay's publish
spans, and the consumers' spans after them, join the trace that caused the event.
The relay claims rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas
cooperate; SQLite ignores row locks, so run exactly one relay per SQLite file.
A crash after publishing and before marking re-publishes with the same message_id;
consumers' inboxes make that a no-op. Every row goes out with the relay's broker user as
`user_id`. A staff action is signed when it is staged (`staff_proof.sign_staged`), so the
stored payload already carries its proof.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from faststream.rabbit import RabbitBroker
from opentelemetry import context as otel_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from osame_contracts.base import Message
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from osame_chassis.ids import new_id
from osame_chassis.messaging.publish import PublishFailed, publish
from osame_chassis.messaging.staff_proof import StaffProofSigner, sign_staged
from osame_chassis.messaging.tables import outbox
from osame_chassis.messaging.topology import Names

log = logging.getLogger("osame.outbox")
_propagator = TraceContextTextMapPropagator()


def staged_row(names: Names, message: Message, signer: StaffProofSigner | None = None) -> dict:
    """The outbox row for `message`, with the current trace context and a new message_id.

    A staff action is signed here with `signer` (this service's staff proof key); without one it
    cannot be staged (`StaffProofMissingKey`)."""
    message = sign_staged(message, signer)
    headers: dict[str, str] = {}
    _propagator.inject(headers)
    return dict(
        message_id=new_id(),
        exchange=names.exchange_for(type(message)).name,
        routing_key=message.routing_key,
        message_type=message.message_type(),
        payload=message.model_dump_json().encode(),
        headers=headers,
        created_at=datetime.now(UTC),
        attempts=0,
    )


async def stage_rows(session: AsyncSession, rows: list[dict]) -> None:
    """Insert staged rows in the session's transaction: one statement for all of them."""
    if rows:
        await session.execute(outbox.insert(), rows)


async def pending_count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).where(outbox.c.published_at.is_(None)))).scalar_one()


class OutboxRelay:
    """Publishes unpublished outbox rows (oldest first, previously failed rows last) and marks
    them after the broker confirms. A batch in which nothing could be published backs off."""

    def __init__(
        self,
        sessions: async_sessionmaker,
        broker: RabbitBroker,
        names: Names,
        *,
        user_id: str,
        batch_size: int = 200,
        concurrency: int = 64,
        poll_interval: float = 0.2,
        use_row_locks: bool = True,
        after_publish: Callable[[int], Awaitable[None]] | None = None,
    ):
        self._sessions = sessions
        self._broker = broker
        self._names = names
        self._user_id = user_id
        self._batch_size = batch_size
        self._semaphore = asyncio.Semaphore(concurrency)
        self._poll_interval = poll_interval
        self._use_row_locks = use_row_locks
        self._after_publish = after_publish  # test hook: simulate a crash before marking
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self.published_total = 0

    def wake(self) -> None:
        self._wake.set()

    async def _publish_row(self, row) -> bool:
        async with self._semaphore:
            token = otel_context.attach(_propagator.extract(row.headers or {}))
            try:
                await publish(
                    self._broker,
                    exchange=self._names.exchange_named(row.exchange),
                    routing_key=row.routing_key,
                    body=row.payload,
                    message_id=row.message_id,
                    message_type=row.message_type,
                    user_id=self._user_id,
                )
                return True
            except (PublishFailed, ValueError) as exc:  # ValueError: an exchange of another namespace
                log.warning("outbox publish failed: %s", exc, extra={"message_id": row.message_id})
                return False
            finally:
                otel_context.detach(token)

    async def run_once(self) -> int:
        """Publish one batch; returns how many rows were published and marked."""
        async with self._sessions() as session, session.begin():
            query = (
                select(
                    outbox.c.id,
                    outbox.c.message_id,
                    outbox.c.exchange,
                    outbox.c.routing_key,
                    outbox.c.message_type,
                    outbox.c.payload,
                    outbox.c.headers,
                )
                .where(outbox.c.published_at.is_(None))
                # Rows that failed before go behind fresh ones, so one unroutable row cannot hold the rest.
                .order_by(outbox.c.attempts, outbox.c.id)
                .limit(self._batch_size)
            )
            if self._use_row_locks:
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish_row(r) for r in rows))
            done = [r.id for r, ok in zip(rows, results, strict=True) if ok]
            failed = [r.id for r, ok in zip(rows, results, strict=True) if not ok]
            if self._after_publish is not None:
                await self._after_publish(len(done))
            now = datetime.now(UTC)
            if done:
                await session.execute(update(outbox).where(outbox.c.id.in_(done)).values(published_at=now))
            if failed:
                await session.execute(
                    update(outbox).where(outbox.c.id.in_(failed)).values(attempts=outbox.c.attempts + 1)
                )
        self.published_total += len(done)
        if failed and not done:
            raise PublishFailed(f"{len(failed)} outbox rows not confirmed")
        return len(done)

    async def _loop(self) -> None:
        backoff = self._poll_interval
        while not self._stopping:
            try:
                published = await self.run_once()
                backoff = self._poll_interval
            except Exception as exc:
                log.warning("outbox relay error (%s); backing off %.1fs", type(exc).__name__, backoff)
                published = 0
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published == 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
                except TimeoutError:
                    pass
                self._wake.clear()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox-relay")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop the loop, then publish whatever is still pending (bounded by `drain_timeout`)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_timeout
        while loop.time() < deadline:
            try:
                if await self.run_once() == 0:
                    break
            except Exception as exc:
                log.warning("outbox drain error (%s)", type(exc).__name__)
                await asyncio.sleep(0.5)
