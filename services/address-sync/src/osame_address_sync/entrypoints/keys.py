"""Key maintenance for sealed 個人番号: usage per key id, and rotation to the active key (with progress).

Every run is written to the service's hash-chained audit log under the operator, the subject of
the verified staff token (`--token` or OSAME_OPERATOR_TOKEN, granting `address-sync:key.read` /
`address-sync:key.rotate`; osame_chassis.operator): who looked at key usage, who started a
rotation, and how it ended; a refused attempt is audited too (issue 13 item 9).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from osame_chassis.db import create_engine, session_factory
from osame_chassis.operator import OperatorRefused, operator_action

from osame_address_sync.adapters.orm import AUDIT
from osame_address_sync.service_layer.key_rotation import RotationReport, key_usage, rotate_keys

CLIENT = "cli:address-sync"


def _keyring(settings):
    keyring = settings.keyring()
    if keyring is None:
        raise SystemExit("no 個人番号 key configured (OSAME_MYNUMBER_KEY / OSAME_MYNUMBER_KEYS)")
    return keyring


async def usage(settings, token: str | None = None) -> dict[str, int]:
    engine = create_engine(settings.effective_database_url)
    try:
        sessions = session_factory(engine)
        write = AUDIT.writer(sessions, CLIENT)
        async with operator_action(token, "address-sync:key.read", audit=write, operation="key.usage"):
            return await key_usage(sessions)
    finally:
        await engine.dispose()


async def rotate(
    settings,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    token: str | None = None,
) -> RotationReport:
    keyring = _keyring(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        sessions = session_factory(engine)
        write = AUDIT.writer(sessions, CLIENT)
        async with operator_action(
            token, "address-sync:key.rotate", audit=write, operation="key.rotate"
        ) as act:
            await write(act.user, "key.rotate", f"started:{keyring.active}")
            report = await rotate_keys(sessions, keyring, batch_size=batch_size, progress=progress)
            act.outcome = f"ok:{report.active_key_id}:rotated={report.rotated}"
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
    parser.add_argument(
        "--token", help="your staff token (default: $OSAME_OPERATOR_TOKEN); audited under its subject"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "key-usage":
            for key_id, count in sorted(asyncio.run(usage(settings, args.token)).items()):
                print(f"{key_id}\t{count}")
            return
        report = asyncio.run(rotate(settings, progress=_text_progress, token=args.token))
    except OperatorRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"active key {report.active_key_id}: re-encrypted {report.rotated} sealed numbers")
    print(f"before {report.before} after {report.after}")
