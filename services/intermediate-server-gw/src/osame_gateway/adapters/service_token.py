"""The gateway's service token for address-sync, read where it is kept and re-read when it changes.

A token is short-lived in production (a projected Kubernetes secret or a file an identity agent
rewrites before expiry), so it is read from `OSAME_ADDRESS_SYNC_TOKEN_FILE` on every request whose
file changed since the last read — not once at start, which would lock the gateway out of
個人番号 look-ups when the first token expires. A fixed `OSAME_ADDRESS_SYNC_TOKEN` is for
development. The token is never logged.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx

log = logging.getLogger("osame.gateway.token")


class ServiceToken(httpx.Auth):
    def __init__(self, token: str | None = None, path: Path | None = None):
        self._token = token
        self._path = path
        self._version: tuple[int, int] | None = None

    def current(self) -> str | None:
        if self._path is None:
            return self._token
        try:
            stat = self._path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if version != self._version:
                self._token = self._path.read_text(encoding="utf-8").strip() or None
                self._version = version
        except OSError as exc:  # keep the last token; the caller sees a 401 if it expired
            log.warning("service token file unreadable (%s); keeping the last token", type(exc).__name__)
        return self._token

    def auth_flow(self, request: httpx.Request):
        token = self.current()
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request
