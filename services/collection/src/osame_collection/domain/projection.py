"""Rules for collection's projection of the receipts ledger.

Per-aggregate ordering is never assumed: a change is applied only when its
`ledger_version` is newer than the one held (stale events are ignored).
"""

from __future__ import annotations

from enum import StrEnum


class InstallmentStatus(StrEnum):
    OPEN = "open"  # 未納 (some 本税 outstanding)
    PAID = "paid"  # 完納


def is_newer(incoming_version: int, held_version: int | None) -> bool:
    return held_version is None or incoming_version > held_version


def status_for(principal_tax: int, paid: int) -> InstallmentStatus:
    return InstallmentStatus.PAID if paid >= principal_tax else InstallmentStatus.OPEN
