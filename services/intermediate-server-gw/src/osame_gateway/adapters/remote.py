"""HTTP calls with explicit timeouts, tenacity retries for transient failures only, and a breaker.

`RemoteCaller.post_json/get_json` return `(status, body)` for answers (2xx and 4xx) and raise
`TransientRemoteError` for timeouts, connection errors, 5xx and bodies that are not JSON objects,
after `attempts` tries with exponential back-off and jitter. Each try goes through the circuit
breaker, so an open circuit ends the retries at once. Request bodies are never logged.
"""

from __future__ import annotations

import json
import logging
import ssl

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from osame_gateway.adapters.resilience import CircuitBreaker, CircuitOpen, TransientRemoteError

log = logging.getLogger("osame.gateway.remote")


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransientRemoteError) and not isinstance(exc, CircuitOpen)


class RemoteCaller:
    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: httpx.Timeout,
        breaker: CircuitBreaker,
        attempts: int = 3,
        backoff_initial: float = 0.1,
        backoff_max: float = 2.0,
        auth: httpx.Auth | None = None,
        verify: ssl.SSLContext | bool = True,
    ):
        self.name = name
        # verify: `osame_chassis.tls.http_verify(settings.http_ca_file)` (OSAME_HTTP_CA_FILE)
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, auth=auth, verify=verify)
        self.breaker = breaker
        self.attempts = attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.tries = 0  # every HTTP attempt (for tests and stats)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        return await self._call("POST", path, body)

    async def get_json(self, path: str) -> tuple[int, dict]:
        return await self._call("GET", path, None)

    async def _call(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=self.backoff_initial, max=self.backoff_max),
            retry=retry_if_exception(_retryable),
            reraise=True,
        ):
            with attempt:
                return await self.breaker.call(lambda: self._once(method, path, body))
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        self.tries += 1
        try:
            response = await self.client.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            log.warning("%s %s: timeout", self.name, path)
            raise TransientRemoteError("timeout") from exc
        except httpx.TransportError as exc:
            log.warning("%s %s: %s", self.name, path, type(exc).__name__)
            raise TransientRemoteError("unreachable") from exc
        if response.status_code >= 500:
            log.warning("%s %s: status %d", self.name, path, response.status_code)
            raise TransientRemoteError(f"status_{response.status_code}")
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            log.warning("%s %s: malformed answer", self.name, path)
            raise TransientRemoteError("malformed_answer") from exc
        if not isinstance(data, dict):
            raise TransientRemoteError("malformed_answer")
        return response.status_code, data
