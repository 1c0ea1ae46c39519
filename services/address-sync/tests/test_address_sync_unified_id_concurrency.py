"""団体内統合宛名番号 allocation under concurrent registrations (issue 14).

The fault suite's fault-free run logged address-sync handlers failing with IntegrityError and
going back to the queue: two registrations read the same highest 統合宛名番号 and inserted the
same next one (on PostgreSQL; SQLite's write lock serialised them). Every allocation must succeed
at its first attempt, with distinct numbers.
"""

from __future__ import annotations

import asyncio

import pytest
from osame_address_sync.adapters.repository import AddresseeRepository

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_concurrent_allocations_never_collide(backend, request, tmp_path, make_service):
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/address-sync-unified.db"
    else:
        pg_databases = request.getfixturevalue("pg_databases")
        (url,) = await asyncio.to_thread(pg_databases, 1)
    svc = make_service(url)
    await svc.migrate()

    async def register(i: int) -> str:
        async with svc.runtime.unit_of_work() as uow:
            allocated = await AddresseeRepository(uow.session).allocate_unified_id(f"{300000 + i}")
            await asyncio.sleep(0.05)  # the other registrations run here
            await uow.commit()
            return allocated

    outcomes = await asyncio.gather(*(register(i) for i in range(10)), return_exceptions=True)
    assert [repr(o) for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes) == [f"{n:015d}" for n in range(1, 11)]
