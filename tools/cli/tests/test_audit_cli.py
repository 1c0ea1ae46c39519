"""`osame audit verify`/`checkpoint` (issue 13): a rewritten row, a deleted row and a truncated tail are
each reported; checkpoints are signed and checked. Receipts' real migrations (append-only triggers)
on SQLite: the attack drops the triggers first, as a database-level attacker would."""

from __future__ import annotations

import asyncio
import json

import pytest
from osame_chassis.audit import AuditLog
from osame_chassis.db import create_engine, session_factory
from osame_chassis.migrations import upgrade
from osame_chassis.testing import drop_audit_triggers
from osame_cli.main import app
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

runner = CliRunner()


async def _receipts_db(url: str, entries: int) -> None:
    from osame_receipts.adapters import orm
    from osame_receipts.bootstrap import build_spec

    engine = create_engine(url)
    try:
        await upgrade(engine, build_spec().migrations)
        audit = AuditLog(orm.audit_log)
        for i in range(entries):
            async with session_factory(engine)() as session, session.begin():
                await audit.append(session, user=f"s-{i}", operation="import.run", outcome="ok")
    finally:
        await engine.dispose()


async def _attack(url: str, statement) -> None:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError):  # the database itself refuses
            async with session_factory(engine)() as session, session.begin():
                await session.execute(statement)
        async with session_factory(engine)() as session, session.begin():
            await drop_audit_triggers(session)
            await session.execute(statement)
    finally:
        await engine.dispose()


def _verify(url: str, checkpoints) -> tuple[int, dict]:
    result = runner.invoke(
        app, ["audit", "verify", "--db", f"receipts={url}", "--checkpoints", str(checkpoints)]
    )
    return result.exit_code, json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize("attack", ["rewrite", "delete-row", "truncate-tail"])
def test_verify_reports_each_attack(tmp_path, attack):
    from osame_receipts.adapters import orm

    url = f"sqlite+aiosqlite:///{tmp_path}/receipts.db"
    checkpoints = tmp_path / "checkpoints.jsonl"
    asyncio.run(_receipts_db(url, 5))
    made = runner.invoke(
        app, ["audit", "checkpoint", "--db", f"receipts={url}", "--checkpoints", str(checkpoints)]
    )
    assert made.exit_code == 0 and json.loads(made.stdout)["seq"] == 5
    assert _verify(url, checkpoints) == (
        0,
        {"service": "receipts", "entries": 5, "checkpoints": 1, "ok": True, "problems": []},
    )
    t = orm.audit_log
    statement = {
        "rewrite": update(t).where(t.c.id == 2).values(user_id="someone-else"),
        "delete-row": delete(t).where(t.c.id == 3),
        "truncate-tail": delete(t).where(t.c.id >= 4),
    }[attack]
    asyncio.run(_attack(url, statement))
    code, report = _verify(url, checkpoints)
    expected = {
        "rewrite": ["chain broken at id 2 (rewritten or deleted)"],
        "delete-row": ["chain broken at id 4 (rewritten or deleted)"],
        "truncate-tail": ["seq 5: row missing (truncated or deleted)"],
    }[attack]
    assert (code, report["ok"], report["problems"]) == (1, False, expected)
