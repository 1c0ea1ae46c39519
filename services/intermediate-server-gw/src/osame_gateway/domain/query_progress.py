"""When to try a pending 情報照会 again, and when to give up (pure rules, no I/O).

A query waits for the network with exponential back-off (capped) between passes; once it has
been pending longer than the deadline it is refused as `linkage_unavailable`. An answer that
arrives for a query that is no longer pending is a late answer: reconciled, never re-sent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

PENDING = "pending"
ANSWERED = "answered"
REFUSED = "refused"


def next_attempt_delay(
    attempts: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    jitter: float = 0.2,
    rng: random.Random | None = None,
) -> timedelta:
    """Delay before pass `attempts + 1`: base·2^(attempts-1) seconds, at most `cap`, ± `jitter` share."""
    seconds = min(cap, base * 2 ** max(attempts - 1, 0))
    spread = (rng or random).uniform(-jitter, jitter) * seconds
    return timedelta(seconds=max(seconds + spread, 0.0))


def past_deadline(received_at: datetime, now: datetime, deadline_seconds: float) -> bool:
    """True when a query pending since `received_at` has waited longer than the deadline."""
    return now - received_at > timedelta(seconds=deadline_seconds)


def accepts_answer(status: str) -> bool:
    """Only a pending query takes an answer; a late answer to a finished one is ignored."""
    return status == PENDING
