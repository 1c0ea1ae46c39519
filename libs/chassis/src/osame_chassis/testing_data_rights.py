"""Test helpers for the retention and 開示 routes of any service (osame_chassis.data_rights).

    async with data_rights_client(runtime, routes, audit_hook, issuer) as (http, as_role):
        answer = await http.post("/ops/retention", json={"dry_run": True}, headers=as_role("ops-1", "admin"))

`routes(runtime, auth)` is the service's own route builder (it mounts the data-rights routes), so
the test goes through exactly what the running service serves: token check, permission, audit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette

from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer


async def database_url(request, tmp_path, name: str) -> str:
    """For a fixture parametrized ["sqlite", "postgresql"]: a SQLite file, or a fresh PostgreSQL
    database from the root conftest's `pg_databases` (dropped after the test)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
    (url,) = await asyncio.to_thread(request.getfixturevalue("pg_databases"), 1)
    return url


@asynccontextmanager
async def data_rights_client(
    runtime, routes: Callable, audit_hook, issuer: DevIssuer
) -> AsyncIterator[tuple[httpx.AsyncClient, Callable[..., dict]]]:
    auth = Authenticator(AuthSettings(jwks_file=issuer.write_jwks()), audit=audit_hook)
    app = Starlette(routes=routes(runtime, auth))

    def as_role(user: str, *roles: str) -> dict:
        return {"Authorization": "Bearer " + issuer.token(user, list(roles))}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as http:
        yield http, as_role


async def retention_run(http, as_role, *, dry_run: bool, user: str = "ops-1") -> dict:
    answer = await http.post("/ops/retention", json={"dry_run": dry_run}, headers=as_role(user, "admin"))
    assert answer.status_code == 200, answer.text
    return answer.json()["counts"]


async def disclosure_of(http, as_role, addressee_id: str, user: str = "officer-1") -> dict:
    answer = await http.get(f"/disclosure/{addressee_id}", headers=as_role(user, "disclosure_officer"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def mentions(document, needle: str) -> bool:
    """True when `needle` appears as a whole value anywhere in the JSON document."""
    if isinstance(document, dict):
        return any(mentions(v, needle) for v in document.values())
    if isinstance(document, list):
        return any(mentions(v, needle) for v in document)
    return document == needle
