"""支援措置 (DV・ストーカー行為等の被害者支援措置) in force on a date.

A decision starts or ends the measure *from its effective date* (effective_on), never earlier:
an end dated 12-31 keeps the addressee protected until 12-30 (issue 13 item 3). Among the
decisions already in force on a date, the latest revision wins, so a later correction (e.g. a
renewed start dated back) overrides a scheduled end it names no date after. Dates are the
server's business date (Asia/Tokyo), never a caller's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ProtectionDecision:
    revision: int
    protected: bool
    effective_on: dt.date


def protected_on(decisions: list[ProtectionDecision], on: dt.date, fallback: bool) -> bool:
    """Whether the addressee is protected on `on`: the highest revision in force, else `fallback`."""
    in_force = [d for d in decisions if d.effective_on <= on]
    if not in_force:
        return fallback
    return max(in_force, key=lambda d: d.revision).protected


def next_change_on(decisions: list[ProtectionDecision], on: dt.date) -> dt.date | None:
    """The first date after `on` on which a held decision takes effect (None: nothing scheduled)."""
    later = [d.effective_on for d in decisions if d.effective_on > on]
    return min(later) if later else None
