"""Key maintenance for sealed 個人番号: usage per key id, and rotation to the active key (with progress)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from osame_chassis.db import create_engine, session_factory

from osame_address_sync.service_layer.key_rotation import RotationReport, key_usage, rotate_keys


def _keyring(settings):
    keyring = settings.keyring()
    if keyring is None:
        raise SystemExit("no 個人番号 key configured (OSAME_MYNUMBER_KEY / OSAME_MYNUMBER_KEYS)")
    return keyring


async def usage(settings) -> dict[str, int]:
    engine = create_engine(settings.effective_database_url)
    try:
        return await key_usage(session_factory(engine))
    finally:
        await engine.dispose()


async def rotate(
    settings, *, batch_size: int = 500, progress: Callable[[int, int], None] | None = None
) -> RotationReport:
    keyring = _keyring(settings)
    engine = create_engine(settings.effective_database_url)
    try:
        return await rotate_keys(session_factory(engine), keyring, batch_size=batch_size, progress=progress)
    finally:
        await engine.dispose()


def _text_progress(done: int, total: int) -> None:
    width = 30
    filled = width if total == 0 else int(width * done / total)
    sys.stderr.write(f"\rre-encrypting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def main(command: str, settings) -> None:
    if command == "key-usage":
        for key_id, count in sorted(asyncio.run(usage(settings)).items()):
            print(f"{key_id}\t{count}")
        return
    report = asyncio.run(rotate(settings, progress=_text_progress))
    print(f"active key {report.active_key_id}: re-encrypted {report.rotated} sealed numbers")
    print(f"before {report.before} after {report.after}")
