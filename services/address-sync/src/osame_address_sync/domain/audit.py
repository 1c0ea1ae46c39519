"""Append-only, hash-chained audit of 個人番号 releases (who, when, which 宛名番号, purpose, outcome).

Each entry's hash is SHA-256 over the previous hash and the entry's canonical JSON, so
removing or editing any past entry breaks every later hash (`verify_chain`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum

GENESIS = "0" * 64

# The only purpose a 個人番号 may leave address-sync for: the gateway obtains a 符号
# (番号法 §21-2; DESIGN §2: the one command that asks the gateway to obtain a 符号).
PERMITTED_PURPOSES = frozenset({"linkage_code_acquisition"})


class ReleaseOutcome(StrEnum):
    RELEASED = "released"
    UNKNOWN_ADDRESSEE = "unknown_addressee"
    NO_MY_NUMBER = "no_individual_number"
    PURPOSE_REFUSED = "purpose_refused"
    CALLER_NOT_ALLOWED = "caller_not_allowed"
    NO_PENDING_QUERY = "no_pending_query"  # no income query of that id for that 宛名番号 in the window
    RATE_LIMITED = "rate_limited"  # more releases to this caller in the last minute than allowed


CHAINED_FIELDS = (
    "requested_at",
    "caller",
    "requested_by",
    "addressee_id",
    "purpose",
    "request_ref",
    "outcome",
)


def _canonical(value) -> str:
    if isinstance(value, dt.datetime):  # SQLite hands back naive values; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def entry_hash(prev_hash: str, entry: dict) -> str:
    canonical = json.dumps(
        {k: _canonical(entry[k]) for k in CHAINED_FIELDS}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def verify_chain(entries: list[dict]) -> int | None:
    """Index of the first entry whose chain is broken, or None when the whole chain holds."""
    prev = GENESIS
    for i, entry in enumerate(entries):
        if entry["prev_hash"] != prev or entry_hash(prev, entry) != entry["hash"]:
            return i
        prev = entry["hash"]
    return None
