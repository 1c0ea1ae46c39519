"""Issue 13 item 9: loading the permitted-query list and retention record who ran them, with counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from osame_gateway.adapters import orm
from osame_gateway.adapters.repository import AUDIT
from osame_gateway.entrypoints.commands import DEFAULT_LIST
from osame_gateway.service_layer.permitted import load_permitted_list
from osame_gateway.service_layer.retention import purge_expired


async def test_list_load_and_retention_are_audited_with_the_operator(service):
    document = json.loads(DEFAULT_LIST.read_text(encoding="utf-8"))
    async with service.runtime.unit_of_work() as uow:
        added, _, _ = await load_permitted_list(uow, document, "ops-01")
    async with service.runtime.unit_of_work() as uow:
        await purge_expired(uow, 30, now=datetime(2026, 12, 7, tzinfo=UTC), operator="ops-02")
    async with service.runtime.unit_of_work() as uow:
        await purge_expired(uow, 30, now=datetime(2026, 12, 7, tzinfo=UTC) + timedelta(days=1))
    entries = [(e["user_id"], e["operation"], e["outcome"]) for e in await service.rows(orm.audit_log)]
    assert entries == [
        ("ops-01", "permitted-list.load", f"ok:added={added}:changed=0:removed=0"),
        ("ops-02", "retention.purge", "ok:records=0:queries=0:before=2026-11-07"),
        ("intermediate-server-gw", "retention.purge", "ok:records=0:queries=0:before=2026-11-08"),
    ]
    async with service.runtime.sessions() as session:
        assert (await AUDIT.verify(session)).ok


def test_the_cli_runs_as_the_tokens_operator_for_a_refused_and_an_accepted_load(monkeypatch, tmp_path):
    import sqlite3

    import pytest
    from osame_chassis.auth import DevIssuer
    from osame_gateway.__main__ import main

    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN", raising=False)
    monkeypatch.setenv("OSAME_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/gw.db")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"entries": [{"affair": "x"}]}), encoding="utf-8")
    token = issuer.token("ops-09", ["admin"])
    with pytest.raises(SystemExit) as no_token:
        main(["load-permitted", str(DEFAULT_LIST)])
    with pytest.raises(SystemExit) as not_allowed:
        main(["load-permitted", str(DEFAULT_LIST), "--token", issuer.token("c-01", ["collection_staff"])])
    with pytest.raises(SystemExit) as refused:
        main(["load-permitted", str(bad), "--token", token])
    monkeypatch.setenv("OSAME_OPERATOR_TOKEN", token)
    with pytest.raises(SystemExit) as loaded:
        main(["load-permitted", str(DEFAULT_LIST)])
    assert (no_token.value.code, not_allowed.value.code, refused.value.code, loaded.value.code) == (
        2,
        2,
        2,
        0,
    )
    with sqlite3.connect(tmp_path / "gw.db") as db:
        rows = db.execute("SELECT user_id, operation, outcome FROM audit_log ORDER BY id").fetchall()
    assert rows[:3] == [
        ("-", "permitted-list.load", "refused:missing_token"),
        ("c-01", "permitted-list.load", "refused:permission_denied"),
        ("ops-09", "permitted-list.load", "refused:errors=2"),
    ]
    assert rows[3][:2] == ("ops-09", "permitted-list.load") and rows[3][2].startswith("ok:added=")
