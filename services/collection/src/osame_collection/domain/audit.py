"""The audit trail's hash chain: each entry's hash covers the previous hash and its own content."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str,
    seq: int,
    at: datetime,
    staff_user: str,
    action: str,
    addressee_id: str | None,
    detail: dict,
) -> str:
    body = json.dumps(
        [prev_hash, seq, at.isoformat(), staff_user, action, addressee_id, detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def verify_chain(entries: list[dict]) -> int | None:
    """The seq of the first entry that breaks the chain, or None when intact."""
    prev = GENESIS
    for e in entries:
        expected = entry_hash(
            prev, e["seq"], e["at"], e["staff_user"], e["action"], e["addressee_id"], e["detail"]
        )
        if e["prev_hash"] != prev or e["hash"] != expected:
            return e["seq"]
        prev = e["hash"]
    return None
