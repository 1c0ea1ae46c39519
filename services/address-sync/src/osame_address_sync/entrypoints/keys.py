"""Key maintenance for sealed 個人番号: usage per key id, and rotation to the active key (with progress).

Every run is written to the service's hash-chained audit log under the operator's name
(`--operator`, else the OS login): who looked at key usage, who started a rotation, and how it
ended (issue 13 item 9).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from osame_chassis.audit import operator_identity
from osame_chassis.db import create_engine, session_factory

from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.service_layer.key_rotation import RotationReport, key_usage, rotate_keys

CLIENT = "cli:address-sync"


def _keyring(settings):
    keyring = settings.keyring()
    if keyring is None:
        raise SystemExit("no 個人番号 key configured (OSAME_MYNUMBER_KEY / OSAME_MYNUMBER_KEYS)")
    return keyring


async def _audit(sessions, operator: str, operation: str, outcome: str) -> None:
    async with sessions() as session, session.begin():
        await AUDIT.append(session, user=operator, operation=operation, outcome=outcome, client=CLIENT)


async def usage(settings, operator: str | None = None) -> dict[str, int]:
    engine = create_engine(settings.effective_database_url)
    try:
        sessions = session_factory(engine)
        counts = await key_usage(sessions)
        await _audit(sessions, operator_identity(operator), "key.usage", "ok")
        return counts
    finally:
        await engine.dispose()


async def rotate(
    settings,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    operator: str | None = None,
) -> RotationReport:
    keyring = _keyring(settings)
    who = operator_identity(operator)
    engine = create_engine(settings.effective_database_url)
    try:
        sessions = session_factory(engine)
        await _audit(sessions, who, "key.rotate", f"started:{keyring.active}")
        try:
            report = await rotate_keys(sessions, keyring, batch_size=batch_size, progress=progress)
        except Exception as exc:
            await _audit(sessions, who, "key.rotate", f"failed:{type(exc).__name__}")
            raise
        await _audit(sessions, who, "key.rotate", f"ok:{report.active_key_id}:rotated={report.rotated}")
        return report
    finally:
        await engine.dispose()


def _text_progress(done: int, total: int) -> None:
    width = 30
    filled = width if total == 0 else int(width * done / total)
    sys.stderr.write(f"\rre-encrypting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(argv: list[str], settings) -> None:
    parser = argparse.ArgumentParser(prog="osame-address-sync", description=__doc__)
    parser.add_argument("command", choices=["key-usage", "rotate-key"])
    parser.add_argument("--operator", help="who runs this (recorded in the audit log); default: the OS login")
    args = parser.parse_args(argv)
    if args.command == "key-usage":
        for key_id, count in sorted(asyncio.run(usage(settings, args.operator)).items()):
            print(f"{key_id}\t{count}")
        return
    report = asyncio.run(rotate(settings, progress=_text_progress, operator=args.operator))
    print(f"active key {report.active_key_id}: re-encrypted {report.rotated} sealed numbers")
    print(f"before {report.before} after {report.after}")
