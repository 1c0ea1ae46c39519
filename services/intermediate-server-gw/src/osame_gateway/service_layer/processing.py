"""Running a pending 情報照会 through the network: 符号 once → 情報提供許可証 → 照会 → answer or refusal.

Each network step happens outside any database transaction; each result is committed in its own
short unit of work with its 情報提供等記録 row. The 個人番号 from address-sync lives only in a
local variable of `_linkage_code` and is gone once the 符号 is obtained; it is never stored,
logged, put in a span or sent on the bus.

Idempotency: the query id is the network request id (the network answers a repeated request
with the answer it already produced), and the answer is written only while the query is still
pending, so retries, redeliveries, concurrent passes and late answers give one answer event.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from opentelemetry import propagate, trace
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import gateway

from osame_gateway.adapters.address_sync import IndividualNumberSource
from osame_gateway.adapters.network import Certificate, InformationNetwork, NetworkRefused
from osame_gateway.adapters.repository import GatewayRepository
from osame_gateway.adapters.resilience import TransientRemoteError
from osame_gateway.domain import permission
from osame_gateway.domain.query_progress import ANSWERED, REFUSED, next_attempt_delay, past_deadline

log = logging.getLogger("osame.gateway.processing")
tracer = trace.get_tracer("osame.gateway")

# Network / address-sync refusal codes → our refusal reasons (anything else: NOT_PERMITTED_BY_NETWORK)
REFUSALS = {
    "unknown_addressee": permission.UNKNOWN_ADDRESSEE,
    "no_individual_number": permission.NO_INDIVIDUAL_NUMBER,
    "invalid_individual_number": permission.INVALID_INDIVIDUAL_NUMBER,
    "not_permitted": permission.NOT_PERMITTED_BY_NETWORK,
}
CERTIFICATE_RENEWABLE = {"certificate_expired", "unknown_certificate", "certificate_mismatch"}


def answers_are_wired() -> bool:
    """IncomeQueryAnswered is published only once a consumer is wired (listed in gateway.MESSAGES)."""
    return gateway.IncomeQueryAnswered in gateway.MESSAGES


@dataclass
class ProcessorSettings:
    query_deadline_seconds: float = 3600.0
    lease_seconds: float = 120.0
    batch_size: int = 20
    concurrency: int = 8
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 300.0
    certificate_margin_seconds: float = 5.0


class QueryProcessor:
    def __init__(
        self,
        unit_of_work: Callable[[], UnitOfWork],
        network: InformationNetwork,
        numbers: IndividualNumberSource,
        settings: ProcessorSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.unit_of_work = unit_of_work
        self.network = network
        self.numbers = numbers
        self.settings = settings or ProcessorSettings()
        self.clock = clock
        self.answered = 0
        self.refused = 0
        self.late_answers = 0
        self.rescheduled = 0
        self._addressee_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def run_once(self) -> int:
        """Process every due pending query once (bounded concurrency); returns how many were taken."""
        now = self.clock()
        await self.refuse_expired(now)
        until = now + timedelta(seconds=self.settings.lease_seconds)
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            due = await repo.due_query_ids(now, self.settings.batch_size)
            leased = [q for q in due if await repo.lease(q, now, until)]
            await uow.commit()
        semaphore = asyncio.Semaphore(self.settings.concurrency)

        async def one(query_id: str) -> None:
            async with semaphore:
                await self.process(query_id)

        await asyncio.gather(*(one(q) for q in leased))
        return len(leased)

    async def refuse_expired(self, now: datetime) -> int:
        """Every pending query past its deadline is refused (`linkage_unavailable`), whatever holds it:
        a query always reaches a final state (issue 13 item 6)."""
        cutoff = now - timedelta(seconds=self.settings.query_deadline_seconds)
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            expired = [await repo.query(q) for q in await repo.pending_received_before(cutoff, 500)]
        for query in expired:
            await self._refuse(query, permission.NETWORK_UNREACHABLE)
        return len(expired)

    async def process(self, query_id: str) -> None:
        async with self.unit_of_work() as uow:
            query = await GatewayRepository(uow.session).query(query_id)
        if query is None or query["status"] != "pending":
            return
        if past_deadline(_aware(query["received_at"]), self.clock(), self.settings.query_deadline_seconds):
            await self._refuse(query, permission.NETWORK_UNREACHABLE)
            return
        context = propagate.extract(query["trace_headers"] or {})
        with tracer.start_as_current_span(
            "gateway income-query process", context=context, attributes={"osame.query_id": query_id}
        ):
            try:
                code = await self._linkage_code(query)
                certificate = await self._certificate(query, code)
                answer = await self.network.income(
                    query_id, certificate.certificate_id, code, query["fiscal_year"]
                )
            except NetworkRefused as refusal:
                if refusal.code in CERTIFICATE_RENEWABLE:
                    await self._reschedule(query, refusal.code, drop_certificate=True, immediately=True)
                else:
                    await self._refuse(query, REFUSALS.get(refusal.code, permission.NOT_PERMITTED_BY_NETWORK))
                return
            except TransientRemoteError as failure:
                await self._reschedule(query, failure.code)
                return
            except Exception as exc:  # an unexpected failure: tried again with back-off until the deadline
                log.error("income query pass failed unexpectedly (%s)", type(exc).__name__)
                await self._reschedule(query, f"error:{type(exc).__name__}")
                return
            await self._answer(query, certificate, answer)

    async def _linkage_code(self, query: dict) -> str:
        """The stored 符号, or obtain it once: 個人番号 from address-sync → network → 符号 (number discarded).

        Passes for the same addressee in this process wait for each other; another replica that
        stored it first wins (unique key), and its 符号 is used.
        """
        lock = self._addressee_locks.get(query["addressee_id"])
        if lock is None:
            lock = self._addressee_locks[query["addressee_id"]] = asyncio.Lock()
        async with lock:
            return await self._obtain_linkage_code(query)

    async def _obtain_linkage_code(self, query: dict) -> str:
        async with self.unit_of_work() as uow:
            code = await GatewayRepository(uow.session).linkage_code(query["addressee_id"])
        if code is not None:
            return code
        code = await self.network.obtain_linkage_code(
            await self.numbers.individual_number(query["addressee_id"], query["query_id"])
        )
        now = self.clock()
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            if await repo.store_linkage_code(query["addressee_id"], code, now):
                await repo.record_step(
                    query, step="linkage_code", outcome="obtained", linkage_code=code, at=now
                )
            else:
                code = await repo.linkage_code(query["addressee_id"]) or code
            await uow.commit()
        return code

    async def _certificate(self, query: dict, code: str) -> Certificate:
        now = self.clock()
        margin = timedelta(seconds=self.settings.certificate_margin_seconds)
        expires = query["certificate_expires_at"]
        if query["certificate_id"] and expires is not None and _aware(expires) > now + margin:
            return Certificate(query["certificate_id"], query["provider"] or "", _aware(expires))
        certificate = await self.network.certificate(code, query["affair"], query["item"], query["query_id"])
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            if await repo.update_pending(
                query["query_id"],
                certificate_id=certificate.certificate_id,
                certificate_expires_at=certificate.expires_at,
                provider=certificate.provider,
            ):
                await repo.record_step(
                    query,
                    step="certificate",
                    outcome="issued",
                    linkage_code=code,
                    certificate_id=certificate.certificate_id,
                    provider=certificate.provider,
                    at=self.clock(),
                )
            await uow.commit()
        return certificate

    async def _answer(self, query: dict, certificate: Certificate, answer) -> None:
        now = self.clock()
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            if not await repo.update_pending(
                query["query_id"],
                status=ANSWERED,
                answer=answer.income,
                provider=answer.provider,
                finished_at=now,
                lease_until=None,
                last_error=None,
            ):
                self.late_answers += 1
                log.info("late or repeated answer reconciled (query already finished)")
                return
            await repo.record_step(
                query,
                step="answer",
                outcome="answered" if answer.income is not None else "no_data",
                linkage_code=await repo.linkage_code(query["addressee_id"]),
                certificate_id=certificate.certificate_id,
                provider=answer.provider,
                at=now,
            )
            if answers_are_wired():
                await uow.publish(
                    gateway.IncomeQueryAnswered(
                        query_id=query["query_id"],
                        addressee_id=query["addressee_id"],
                        fiscal_year=answer.fiscal_year,
                        certificate_id=certificate.certificate_id,
                        provider=answer.provider,
                        answered_at=now,
                        income=gateway.IncomeFigures(**answer.income) if answer.income is not None else None,
                    )
                )
            await uow.commit()
        self.answered += 1

    async def _refuse(self, query: dict, reason: str) -> None:
        now = self.clock()
        async with self.unit_of_work() as uow:
            repo = GatewayRepository(uow.session)
            if not await repo.update_pending(
                query["query_id"], status=REFUSED, reason=reason, finished_at=now, lease_until=None
            ):
                return
            await repo.record_step(query, step="refusal", outcome="refused", reason=reason, at=now)
            await uow.publish(
                gateway.IncomeQueryRefused(
                    query_id=query["query_id"], addressee_id=query["addressee_id"], reason=reason
                )
            )
            await uow.commit()
        self.refused += 1
        log.info("income query refused: %s", reason)

    async def _reschedule(
        self, query: dict, error: str, *, drop_certificate=False, immediately=False
    ) -> None:
        now = self.clock()
        if past_deadline(_aware(query["received_at"]), now, self.settings.query_deadline_seconds):
            await self._refuse(query, permission.NETWORK_UNREACHABLE)
            return
        attempts = query["attempts"] + 1
        delay = (
            timedelta(0)
            if immediately
            else next_attempt_delay(
                attempts, base=self.settings.retry_base_seconds, cap=self.settings.retry_cap_seconds
            )
        )
        values = {
            "attempts": attempts,
            "last_error": error[:80],
            "next_attempt_at": now + delay,
            "lease_until": None,
        }
        if drop_certificate:
            values.update(certificate_id=None, certificate_expires_at=None)
        async with self.unit_of_work() as uow:
            await GatewayRepository(uow.session).update_pending(query["query_id"], **values)
            await uow.commit()
        self.rescheduled += 1
        log.warning("income query pass failed (%s); next try in %.1fs", error, delay.total_seconds())


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
