"""Issue 13 item 9: key maintenance runs as the operator of a verified staff token (never a name typed
on the command line) and audits every action, refused ones included (hash-chained)."""

from __future__ import annotations

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.entrypoints.keys import rotate, usage
from osame_address_sync.service_layer import handlers
from osame_chassis.auth import DevIssuer
from osame_chassis.operator import OperatorRefused

from .conftest import KEY_1, KEY_2


@pytest.fixture
def issuer(tmp_path, monkeypatch):
    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN", raising=False)
    return issuer


async def test_key_usage_and_rotation_are_audited_under_the_operator(make_service, tmp_path, f, issuer):
    url = f"sqlite+aiosqlite:///{tmp_path}/keys.db"
    old = make_service(url)
    await old.migrate()
    await old.run(handlers.record_resident_change, f.moved_in(my_number=f.my_number_a))
    new = make_service(url, mynumber_key=KEY_2, mynumber_key_id="k2", mynumber_keys=f"k1:{KEY_1}")

    assert await usage(new.spec.settings, issuer.token("ops-01", ["addressee_staff"])) == {"k1": 2}
    report = await rotate(new.spec.settings, token=issuer.token("ops-02", ["admin"]))
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


async def test_without_a_valid_token_nothing_runs_and_the_refusal_is_audited(make_service, tmp_path, issuer):
    svc = make_service(f"sqlite+aiosqlite:///{tmp_path}/os.db")
    await svc.migrate()
    with pytest.raises(OperatorRefused):
        await usage(svc.spec.settings)
    with pytest.raises(OperatorRefused):
        await rotate(svc.spec.settings, token=issuer.token("c-01", ["collection_staff"]))
    assert [(e["user_id"], e["outcome"]) for e in await svc.rows(orm.audit_log)] == [
        ("-", "refused:missing_token"),
        ("c-01", "refused:permission_denied"),
    ]
