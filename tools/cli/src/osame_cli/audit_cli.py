"""`osame audit`: check every audit chain and its exported checkpoints (issue 13).

    osame audit verify --db address-sync=postgresql://… --db receipts=sqlite:///… --checkpoints FILE
    osame audit checkpoint --db receipts=… --checkpoints FILE     (what the runner does periodically)

For each service's database: the chain is recomputed with the audit key (`OSAME_AUDIT_KEY` /
`OSAME_AUDIT_KEY_FILE`; the development key only when `OSAME_ENVIRONMENT` is development), so a
rewritten or deleted row shows as the first broken entry; then every checkpoint of that service in
the file must still match its row, so a truncated tail shows as a missing row. All five services
keep the same chassis chain (`osame_chassis.audit`; collection's and address-sync's older unkeyed
chains were carried onto it by their migrations). One JSON line per service; exit 1 when anything
does not check out. Nothing here prints audit contents.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

audit_app = typer.Typer(
    help="Audit chains: verify (chains and checkpoints), checkpoint.", no_args_is_help=True
)

DB = typer.Option(..., "--db", help="SERVICE=DATABASE_URL, once per service")
CHECKPOINTS = typer.Option(
    None, "--checkpoints", envvar="OSAME_AUDIT_CHECKPOINT_FILE", help="The checkpoint file (JSON lines)"
)


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        service, sep, url = value.partition("=")
        if not sep or not service or not url:
            raise typer.BadParameter("--db takes SERVICE=DATABASE_URL")
        pairs.append((service, url))
    return pairs


async def verify_one(service: str, url: str, checkpoints: Path | None) -> dict:
    from osame_chassis.audit import AuditLog, chassis_audit_table
    from osame_chassis.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        table = await chassis_audit_table(engine)
        if table is None:
            return {
                "service": service,
                "ok": False,
                "problems": ["no audit_log table"],
                "entries": 0,
                "checkpoints": 0,
            }
        audit = AuditLog(table)
        async with sessions() as session:
            chain = await audit.verify(session)
            points = await audit.verify_checkpoints(session, service, checkpoints) if checkpoints else None
        problems = [] if chain.ok else [f"chain broken at id {chain.first_broken_id} (rewritten or deleted)"]
        problems += points.problems if points else []
        return {
            "service": service,
            "entries": chain.entries,
            "checkpoints": points.checkpoints if points else 0,
            "ok": not problems,
            "problems": problems,
        }
    finally:
        await engine.dispose()


async def checkpoint_one(service: str, url: str, checkpoints: Path) -> dict:
    from osame_chassis.audit import AuditLog, chassis_audit_table
    from osame_chassis.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        table = await chassis_audit_table(engine)
        if table is None:
            return {"service": service, "skipped": "no chassis audit chain"}
        async with session_factory(engine)() as session:
            point = await AuditLog(table).checkpoint(session, service, checkpoints)
        return {k: point[k] for k in ("service", "seq", "head")}
    finally:
        await engine.dispose()


@audit_app.command("verify")
def verify(db: list[str] = DB, checkpoints: Path = CHECKPOINTS) -> None:
    """Recompute every chain and check every checkpoint; exit 1 on any problem."""

    async def run():
        return [await verify_one(service, url, checkpoints) for service, url in _pairs(db)]

    results = asyncio.run(run())
    for result in results:
        typer.echo(json.dumps(result, ensure_ascii=False))
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint(db: list[str] = DB, checkpoints: Path = CHECKPOINTS) -> None:
    """Append a signed checkpoint of each chain's head to the checkpoint file."""
    if checkpoints is None:
        raise typer.BadParameter("--checkpoints (or OSAME_AUDIT_CHECKPOINT_FILE) is required")

    async def run():
        return [await checkpoint_one(service, url, checkpoints) for service, url in _pairs(db)]

    for result in asyncio.run(run()):
        typer.echo(json.dumps(result, ensure_ascii=False))
