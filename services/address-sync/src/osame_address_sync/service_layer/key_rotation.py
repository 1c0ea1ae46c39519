"""Key rotation: re-encrypt every sealed 個人番号 under the active key and re-index it.

Works in batches, one transaction each, so it can be interrupted and run again (rows
already under the active key are skipped). `progress(done, total)` is called per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from osame_address_sync.adapters.repository import SealedRows
from osame_address_sync.adapters.sealing import Keyring

# The runtime's session factory (`runtime.sessions`): each call opens one database session.
Sessions = Callable[[], Any]


@dataclass(frozen=True)
class RotationReport:
    active_key_id: str
    rotated: int
    before: dict[str, int]
    after: dict[str, int]


async def key_usage(sessions: Sessions) -> dict[str, int]:
    async with sessions() as session:
        return await SealedRows(session).usage()


async def rotate_keys(
    sessions: Sessions,
    keyring: Keyring,
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> RotationReport:
    active = keyring.active
    before = await key_usage(sessions)
    async with sessions() as session:
        total = await SealedRows(session).count_not_under(active)
    done = 0
    if progress:
        progress(done, total)
    while True:
        async with sessions() as session, session.begin():
            rows = SealedRows(session)
            current = await rows.current_batch(active, batch_size)
            for addressee_id, sealed in current:
                number = keyring.open(sealed, addressee_id)
                await rows.rewrite_current(
                    addressee_id, keyring.seal(number, addressee_id), keyring.blind_index(number)
                )
            history = (
                await rows.history_batch(active, batch_size - len(current))
                if len(current) < batch_size
                else []
            )
            for change_id, addressee_id, sealed in history:
                number = keyring.open(sealed, addressee_id)
                await rows.rewrite_change(change_id, keyring.seal(number, addressee_id))
        n = len(current) + len(history)
        if n == 0:
            break
        done += n
        if progress:
            progress(done, total)
    return RotationReport(active, done, before, await key_usage(sessions))
