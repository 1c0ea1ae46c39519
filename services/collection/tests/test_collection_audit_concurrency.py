"""The audit chain under many writers (issue 14): never forked, never a failed request.

The newcomer's first `./osame test` saw collection answer 500 to `GET /batches/{id}`: the nightly
batch appended its audit entry and was still committing when the poll's access entry read the same
last entry (PostgreSQL's FOR UPDATE re-reads the locked row, not the one inserted meanwhile) and
inserted the same seq → IntegrityError. Here writers append while one transaction holds its
appended entry uncommitted, as the batch does; every writer must succeed at its first attempt.
"""

from __future__ import annotations

import asyncio

import pytest
from osame_collection.adapters.orm import AUDIT
from osame_collection.service_layer import audit

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
WRITERS = 12


async def _service(backend, request, tmp_path, make_service):
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/collection-audit.db"
    else:
        pg_databases = request.getfixturevalue("pg_databases")
        (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    await svc.migrate()
    return svc


async def _entries(svc):
    async with svc.runtime.sessions() as session:
        return await AUDIT.entries(session), await AUDIT.verify(session)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_writers_during_a_long_transaction_keep_one_chain(backend, request, tmp_path, make_service):
    svc = await _service(backend, request, tmp_path, make_service)
    runtime = svc.runtime
    appended = asyncio.Event()

    async def long_batch() -> None:
        async with runtime.unit_of_work() as uow:
            await audit.record(uow.session, "batch", "nightly.run", None, {"n": 0})
            appended.set()
            await asyncio.sleep(0.5)  # the batch's last steps; the polls queue up behind it
            await uow.commit()

    async def poll(i: int) -> None:
        await appended.wait()
        async with runtime.unit_of_work() as uow:
            await audit.record(uow.session, "staff-01", "http.batches.read", None, {"i": i})
            await uow.commit()

    outcomes = await asyncio.gather(long_batch(), *(poll(i) for i in range(WRITERS)), return_exceptions=True)
    failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    assert failures == []
    entries, broken = await _entries(svc)
    assert broken.ok
    assert [e["id"] for e in entries] == list(range(1, WRITERS + 2))
    assert entries[0]["operation"] == "nightly.run"


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_first_entries_of_an_empty_chain_do_not_collide(backend, request, tmp_path, make_service):
    svc = await _service(backend, request, tmp_path, make_service)

    async def write(i: int) -> None:
        async with svc.runtime.unit_of_work() as uow:
            await audit.record(uow.session, "staff-01", "http.cases.read", None, {"i": i})
            await asyncio.sleep(0.05)  # the other writers run here
            await uow.commit()

    outcomes = await asyncio.gather(*(write(i) for i in range(WRITERS)), return_exceptions=True)
    assert [repr(o) for o in outcomes if isinstance(o, BaseException)] == []
    entries, broken = await _entries(svc)
    assert broken.ok and len(entries) == WRITERS
