"""`osame-<service> plumbing-retention [--dry-run]` (issue 13): runs as a verified operator, prints counts
only, and is audited in the service's audit log (receipts, on SQLite)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from osame_chassis.auth import DevIssuer
from osame_chassis.cli import service_main


def test_plumbing_retention_dry_run_then_real_run_audited(tmp_path, monkeypatch, capsys):
    from osame_receipts.bootstrap import build_spec

    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    monkeypatch.setenv("OSAME_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/receipts.db")
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN", raising=False)
    with pytest.raises(SystemExit) as refused:
        service_main(build_spec, ["plumbing-retention", "--dry-run"])
    assert "missing_token" in str(refused.value.code)
    token = issuer.token("ops-03", ["receipts_staff"])
    service_main(build_spec, ["plumbing-retention", "--dry-run", "--token", token])
    service_main(build_spec, ["plumbing-retention", "--token", token])
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == [
        {"dry_run": True, "outbox": 0, "inbox": 0},
        {"dry_run": False, "outbox": 0, "inbox": 0},
    ]
    with sqlite3.connect(tmp_path / "receipts.db") as db:
        rows = db.execute("SELECT user_id, operation, outcome, client FROM audit_log ORDER BY id").fetchall()
    assert rows == [
        ("-", "retention.plumbing", "refused:missing_token", "cli:receipts"),
        ("ops-03", "retention.plumbing", "dry-run:outbox=0:inbox=0", "cli:receipts"),
        ("ops-03", "retention.plumbing", "ok:outbox=0:inbox=0", "cli:receipts"),
    ]
