"""Circuit breaker for the gateway's outbound HTTP calls (one per remote system).

closed → (failure_threshold consecutive transient failures) → open: calls fail fast with
`CircuitOpen` for `reset_seconds` → half-open: one trial call; success closes, failure reopens.
Only transient failures count (timeouts, connection errors, 5xx, malformed answers); a 4xx
refusal is an answer, not an outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger("osame.gateway.breaker")
T = TypeVar("T")


class TransientRemoteError(Exception):
    """The remote system did not answer usefully (timeout, connection, 5xx, malformed); try again later."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class CircuitOpen(TransientRemoteError):
    def __init__(self, name: str):
        super().__init__(f"circuit_open:{name}")


class CircuitBreaker:
    def __init__(
        self, name: str, *, failure_threshold: int = 5, reset_seconds: float = 10.0, clock=time.monotonic
    ):
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._trial = asyncio.Lock()
        self.rejected = 0  # calls refused while open (fail fast), for tests and /stats

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.reset_seconds:
            return "half_open"
        return "open"

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        state = self.state
        if state == "open" or (state == "half_open" and self._trial.locked()):
            self.rejected += 1
            raise CircuitOpen(self.name)
        if state == "half_open":
            async with self._trial:
                return await self._run(fn)
        return await self._run(fn)

    async def _run(self, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await fn()
        except TransientRemoteError:
            self._failure()
            raise
        self._success()
        return result

    def _failure(self) -> None:
        self.failures += 1
        if self.opened_at is not None or self.failures >= self.failure_threshold:
            if self.opened_at is None or self.state == "half_open":
                log.warning("circuit %s open after %d failures", self.name, self.failures)
            self.opened_at = self.clock()

    def _success(self) -> None:
        if self.opened_at is not None:
            log.info("circuit %s closed again", self.name)
        self.failures = 0
        self.opened_at = None
