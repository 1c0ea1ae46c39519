"""The gateway's service token is re-read when its file changes (a rotated secret), kept when the
file is briefly unreadable, and never required in development (a fixed token)."""

from __future__ import annotations

import os

import httpx
from osame_gateway.adapters.service_token import ServiceToken


def sent_header(auth: ServiceToken) -> str | None:
    request = httpx.Request("POST", "http://address-sync/internal/individual-number")
    flow = auth.auth_flow(request)
    return next(flow).headers.get("Authorization")


def test_token_file_is_reread_after_rotation(tmp_path):
    path = tmp_path / "token"
    path.write_text("first-token\n", encoding="utf-8")
    auth = ServiceToken(path=path)
    assert sent_header(auth) == "Bearer first-token"

    path.write_text("second-token-after-rotation\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a later write, whatever the clock
    assert sent_header(auth) == "Bearer second-token-after-rotation"

    path.unlink()  # between an agent's delete and re-create: keep the last token
    assert sent_header(auth) == "Bearer second-token-after-rotation"


def test_fixed_token_and_no_token():
    assert sent_header(ServiceToken("dev-token")) == "Bearer dev-token"
    assert sent_header(ServiceToken()) is None
