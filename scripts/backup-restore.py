#!/usr/bin/env python3
"""Back up, restore and drill the restore of one Osame service's PostgreSQL database.

    uv run python scripts/backup-restore.py backup  --service receipts --database-url URL --out FILE
    uv run python scripts/backup-restore.py restore --service receipts --database-url URL --file FILE
    uv run python scripts/backup-restore.py fingerprint --service receipts --database-url URL
    uv run python scripts/backup-restore.py drill   --service receipts --database-url URL [--work-dir DIR]

`backup` is `pg_dump --format=custom` (consistent snapshot, safe while the service runs) plus a
`.sha256` beside it. `restore` empties the database's `public` schema and runs `pg_restore` in one
transaction (stop the service first: docs/runbook.md). `fingerprint` prints, per table, the row
count and a hash of every row, and the service's money figures where it keeps money (receipts:
received / applied / unmatched; refunds: refunded / forfeited / held), computed by the service's
own repository code. `drill` proves a backup restores: fingerprint, back up, wipe, check it is
gone, restore, fingerprint again, and compare (exit 0 when identical, 1 otherwise). It never
prints row contents. The URL is any Osame PostgreSQL URL (`postgresql://`, libpq parameters).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

SERVICES = ("receipts", "refunds", "collection", "address-sync", "intermediate-server-gw")


def libpq_url(url: str) -> str:
    """The URL for pg_dump/pg_restore/psql (libpq): no SQLAlchemy driver suffix."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def tool(name: str) -> str:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / name).is_file():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed (PostgreSQL client tools)")
    return found


def run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{Path(command[0]).name} failed: {result.stderr.strip().splitlines()[-1:]}")


async def money(service: str, session) -> dict[str, int] | None:
    if service == "receipts":
        from osame_receipts.adapters import repository

        return await repository.money(session, None)
    if service == "refunds":
        from osame_refunds.adapters.repository import RefundsRepository

        return await RefundsRepository(session).money(None)
    return None


async def fingerprint(service: str, url: str) -> dict:
    from osame_chassis.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            tables = (
                (
                    await connection.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
                    )
                )
                .scalars()
                .all()
            )
            out: dict = {"tables": {}}
            for table in tables:
                count, digest = (
                    await connection.execute(
                        text(
                            f"SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) FROM \"{table}\" t"
                        )
                    )
                ).one()
                out["tables"][table] = {"rows": count, "md5": digest}
        if out["tables"]:
            async with session_factory(engine)() as session:
                out["money"] = await money(service, session)
        return out
    finally:
        await engine.dispose()


def backup(url: str, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    run(tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={out}", libpq_url(url))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n", encoding="utf-8")
    return out


def wipe(url: str) -> None:
    run(
        tool("psql"),
        "--no-psqlrc",
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-d",
        libpq_url(url),
        "-c",
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
    )


def restore(url: str, file: Path) -> None:
    checksum = file.with_name(file.name + ".sha256")
    if checksum.is_file():
        expected = checksum.read_text(encoding="utf-8").split()[0]
        if hashlib.sha256(file.read_bytes()).hexdigest() != expected:
            raise SystemExit(f"{file.name} does not match {checksum.name}: the backup is damaged")
    wipe(url)
    run(
        tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "-d",
        libpq_url(url),
        str(file),
    )


async def drill(service: str, url: str, work_dir: Path) -> int:
    before = await fingerprint(service, url)
    if not before["tables"]:
        raise SystemExit("the database has no tables: nothing to drill (migrate the service first)")
    file = backup(url, work_dir / f"{service}.dump")
    wipe(url)
    wiped = await fingerprint(service, url)
    restore(url, file)
    after = await fingerprint(service, url)
    same = before == after
    report = {
        "service": service,
        "backup": str(file),
        "tables": len(before["tables"]),
        "rows": sum(t["rows"] for t in before["tables"].values()),
        "money_before": before.get("money"),
        "money_after": after.get("money"),
        "wiped_tables": len(wiped["tables"]),
        "identical_after_restore": same,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if not same:
        changed = sorted(k for k in before["tables"] if before["tables"][k] != after["tables"].get(k))
        print(f"restore differs in tables: {changed}", file=sys.stderr)
    return 0 if same and wiped["tables"] == {} else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("backup", "restore", "fingerprint", "drill"):
        p = sub.add_parser(name)
        p.add_argument("--service", choices=SERVICES, required=True)
        p.add_argument("--database-url", required=True)
        if name == "backup":
            p.add_argument("--out", type=Path, required=True)
        if name == "restore":
            p.add_argument("--file", type=Path, required=True)
        if name == "drill":
            p.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "backup":
        print(backup(args.database_url, args.out))
    elif args.command == "restore":
        restore(args.database_url, args.file)
        print(json.dumps(asyncio.run(fingerprint(args.service, args.database_url)), indent=2))
    elif args.command == "fingerprint":
        print(json.dumps(asyncio.run(fingerprint(args.service, args.database_url)), indent=2))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            return asyncio.run(drill(args.service, args.database_url, args.work_dir or Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
