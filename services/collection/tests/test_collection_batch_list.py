"""GET /batches: the runs of the nightly batch (and 催告 campaigns), newest first, with status, dates,
counts and a failed run's error type — the list the console's 夜間バッチ and 管理 screens show."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_collection.entrypoints.http import routes
from osame_collection.service_layer import handlers
from osame_collection.service_layer.nightly import RunNightly, run_and_record
from osame_collection.service_layer.policy import CollectionPolicy
from starlette.applications import Starlette

from .test_collection_nightly import assessment

D = dt.date
DAY = D(2026, 7, 15)
POLICY = CollectionPolicy(business_date=lambda: DAY)
ROLES = {"collection_staff": ["collection:*"], "printer": ["collection:print.read"]}


class Crash(RuntimeError):
    pass


@pytest.fixture
async def client(service, tmp_path):
    issuer = DevIssuer(tmp_path / "issuer")
    issuer.write_jwks()
    auth = Authenticator(AuthSettings(jwks_file=issuer.jwks_path, role_permissions=ROLES))
    app = Starlette(routes=routes(service.runtime, auth, policy=POLICY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://collection") as c:
        c.headers["Authorization"] = f"Bearer {issuer.token('staff-07', ['collection_staff'])}"
        c.other = {"Authorization": f"Bearer {issuer.token('staff-09', ['printer'])}"}
        yield c


async def test_runs_newest_first_with_counts_and_failure(service, client):
    await service.handle(handlers.project_assessment, assessment("N-L", [(1, 100_000, D(2026, 6, 30), 0)]))

    def crash(_advance, _total):
        raise Crash

    with pytest.raises(Crash):
        await run_and_record(
            service.runtime.unit_of_work, RunNightly(batch_date=DAY), policy=POLICY, progress=crash
        )
    done = await run_and_record(service.runtime.unit_of_work, RunNightly(batch_date=DAY), policy=POLICY)

    answer = await client.get("/batches")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 2
    newest, oldest = body["items"]
    assert (newest["batch_id"], newest["status"], newest["run_on"]) == (
        done["batch_id"],
        "done",
        "2026-07-15",
    )
    assert newest["counts"]["demand_notices"] == 1 and newest["failure"] is None
    assert newest["finished_at"] is not None and newest["kind"] == "nightly"
    assert (oldest["status"], oldest["failure"], oldest["counts"]) == ("failed", "Crash", {})

    failed = (await client.get("/batches", params={"status": "failed"})).json()
    assert [r["status"] for r in failed["items"]] == ["failed"] and failed["total"] == 1
    paged = (await client.get("/batches", params={"limit": 1, "offset": 1})).json()
    assert paged["total"] == 2 and [r["batch_id"] for r in paged["items"]] == [oldest["batch_id"]]


async def test_checks_its_query_and_the_permission(client):
    assert (await client.get("/batches", params={"limit": 0})).status_code == 422
    assert (await client.get("/batches", params={"status": "lost"})).status_code == 422
    assert (await client.get("/batches", headers=client.other)).status_code == 403
    assert (await client.get("/batches")).json() == {"total": 0, "items": []}
