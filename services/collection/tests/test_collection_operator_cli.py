"""Issue 13 item 9: `osame-collection nightly` runs as the operator of a verified staff token (not a
name typed on the command line) and every run, refused or not, is in collection's audit log."""

from __future__ import annotations

import sqlite3

import pytest
from osame_chassis.auth import DevIssuer
from osame_collection.bootstrap import build_spec
from osame_collection.entrypoints.cli import main


def _audit(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT user_id, operation, outcome, client FROM audit_log ORDER BY id"
        ).fetchall()
    return [(user, action, outcome) for user, action, outcome, client in rows if client == "cli:collection"]


def test_nightly_needs_a_verified_operator_and_is_audited(tmp_path, monkeypatch, capsys):
    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN", raising=False)
    db = tmp_path / "collection.db"
    args = ["nightly", "--date", "2026-07-15", "--database-url", f"sqlite+aiosqlite:///{db}"]

    with pytest.raises(SystemExit) as refused:
        main(build_spec, args)
    assert refused.value.code == 2 and "missing_token" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(build_spec, [*args, "--token", issuer.token("r-01", ["receipts_staff"])])
    monkeypatch.setenv("OSAME_OPERATOR_TOKEN", issuer.token("ops-07", ["collection_staff"]))
    main(build_spec, args)

    assert _audit(db)[:2] == [
        ("-", "batches.run", "refused:missing_token"),
        ("r-01", "batches.run", "refused:permission_denied"),
    ]
    assert _audit(db)[-1] == ("ops-07", "batches.run", "ok")
    with sqlite3.connect(db) as conn:
        assert {r[0] for r in conn.execute("SELECT user_id FROM audit_log")} >= {"ops-07"}
