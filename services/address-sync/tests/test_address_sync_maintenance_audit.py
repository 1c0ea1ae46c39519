"""Issue 13 item 9: key maintenance records the operator and audits every action (hash-chained)."""

from __future__ import annotations

from osame_address_sync.adapters import orm
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.entrypoints.keys import rotate, usage
from osame_address_sync.service_layer import handlers

from .conftest import KEY_1, KEY_2


async def test_key_usage_and_rotation_are_audited_under_the_operator(make_service, tmp_path, f):
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    old = make_service(url)
    await old.migrate()
    await old.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    new = make_service(url, mynumber_key=KEY_2, mynumber_key_id="k2", mynumber_keys=f"k1:{KEY_1}")

    assert await usage(new.spec.settings, "ops-01") == {"k1": 2}
    report = await rotate(new.spec.settings, operator="ops-02")
    assert report.rotated == 2
    entries = [
        (e["user_id"], e["operation"], e["outcome"], e["client"]) for e in await new.rows(orm.audit_log)
    ]
    assert entries == [
        ("ops-01", "key.usage", "ok", "cli:address-sync"),
        ("ops-02", "key.rotate", "started:k2", "cli:address-sync"),
        ("ops-02", "key.rotate", "ok:k2:rotated=2", "cli:address-sync"),
    ]
    async with new.runtime.sessions() as session:
        assert (await AUDIT.verify(session)).ok


async def test_without_an_operator_the_os_login_is_recorded(make_service, tmp_path):
    import getpass

    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/os.db")
    await svc.migrate()
    await usage(svc.spec.settings)
    [entry] = await svc.rows(orm.audit_log)
    assert entry["user_id"] == f"os:{getpass.getuser()}"
