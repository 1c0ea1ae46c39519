"""The five services' HTTP APIs, called with the signed-in staff member's bearer token.

Every call is a child span of the page view (httpx instrumentation; W3C `traceparent` is sent
to the service). Paths carry ids only; search terms travel in bodies, never in URLs. A service's
error becomes `UpstreamError(service, status, code)` (the `{"error": code}` it answered); no
answer in time becomes `UpstreamError(service, None, ...)`. The console never reads a body it
did not ask for, and never logs one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("osame.console.services")


class UpstreamError(Exception):
    def __init__(self, service: str, status: int | None, code: str | None):
        super().__init__(f"{service}: {status} {code}")
        self.service = service
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    headers: dict[str, str]


class ServicesClient:
    def __init__(self, urls: dict[str, str], http: httpx.AsyncClient, on_error=None):
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.http = http
        self.on_error = on_error  # (service, kind) → None: a metrics hook

    async def _send(
        self,
        service: str,
        method: str,
        path: str,
        token: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params=None,
        accept=(),
        timeout: float | None = None,
    ) -> httpx.Response:
        url = self.urls[service] + path
        headers = {"Authorization": f"Bearer {token}"}
        if content is not None:
            headers["Content-Type"] = "application/octet-stream"
        try:
            response = await self.http.request(
                method,
                url,
                json=json,
                content=content,
                params=params,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            log.warning("%s %s on %s: no answer (%s)", method, service, _route(path), type(exc).__name__)
            self._count(service, "unavailable")
            raise UpstreamError(service, None, None) from exc
        if response.status_code >= 400 and response.status_code not in accept:
            code = _error_code(response)
            log.info("%s %s answered %d (%s)", service, _route(path), response.status_code, code)
            self._count(service, str(response.status_code))
            raise UpstreamError(service, response.status_code, code)
        return response

    def _count(self, service: str, kind: str) -> None:
        if self.on_error is not None:
            self.on_error(service, kind)

    async def get_json(self, service: str, path: str, token: str, *, params=None, accept=()) -> Any:
        """The JSON answer; statuses in `accept` (e.g. 409 for a broken audit chain) are answers too."""
        return (await self._send(service, "GET", path, token, params=params, accept=accept)).json()

    async def post_json(self, service: str, path: str, token: str, body: Any) -> Any:
        return (await self._send(service, "POST", path, token, json=body)).json()

    async def post_file(
        self, service: str, path: str, token: str, data: bytes, *, params=None, accept=(), timeout=None
    ) -> tuple[int, Any]:
        """Upload a file's bytes as they are; (status, JSON answer). Statuses in `accept` (e.g. an
        import report answered 422 for a refused file) are answers, not errors; `timeout` replaces
        the client's (an import takes as long as the file is big)."""
        response = await self._send(
            service, "POST", path, token, content=data, params=params, accept=accept, timeout=timeout
        )
        return response.status_code, response.json()

    async def download(self, service: str, path: str, token: str, *, params=None) -> Download:
        response = await self._send(service, "GET", path, token, params=params)
        headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-osame-")}
        return Download(
            response.content, response.headers.get("content-type", "application/octet-stream"), headers
        )


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    code = body.get("error") if isinstance(body, dict) else None
    return str(code)[:300] if code is not None else None


def _route(path: str) -> str:
    """The path without ids, for logs: digits runs are replaced."""
    return "/".join(
        "{id}" if any(c.isdigit() for c in part) else part for part in path.split("?")[0].split("/")
    )
