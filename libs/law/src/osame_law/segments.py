"""A segment of an interest-like calculation (延滞金 or 還付加算金).

A segment is a run of days (both ends inclusive) inside one calendar year with one base, one
rate and one exemption status. ``exact`` is base × rate × days ÷ 365 without rounding and
``yen`` its truncation to whole yen (円未満切捨て).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from osame_law.calendar import ONE_DAY
from osame_law.rates import Tier
from osame_law.rounding import accrued, truncate_yen


@dataclass(frozen=True)
class Segment:
    start: date
    end: date
    days: int
    base: int
    rate: Decimal
    """Rate applied, in percent per year, after any exemption."""
    normal_rate: Decimal
    """Rate before exemption (the year's rate for the tier)."""
    exact: Decimal
    yen: int
    tier: Tier | None = None
    relief: str | None = None
    """Why the rate was lowered: an ``ExemptionKind`` value or ``"claim_exclusion"``."""
    relief_rule: str | None = None


@dataclass(frozen=True)
class Piece:
    """A not-yet-priced run of days; adjacent equal pieces are merged into one segment."""

    start: date
    end: date
    base: int
    rate: Decimal
    normal_rate: Decimal
    tier: Tier | None = None
    relief: str | None = None
    relief_rule: str | None = None

    def key(self) -> tuple[object, ...]:
        return (
            self.start.year,
            self.base,
            self.rate,
            self.normal_rate,
            self.tier,
            self.relief,
            self.relief_rule,
        )


def price(pieces: list[Piece]) -> tuple[Segment, ...]:
    """Merge adjacent pieces with equal attributes, then price each segment."""
    merged: list[Piece] = []
    for piece in pieces:
        if merged and merged[-1].key() == piece.key() and (piece.start - merged[-1].end).days == 1:
            last = merged[-1]
            merged[-1] = Piece(
                last.start,
                piece.end,
                last.base,
                last.rate,
                last.normal_rate,
                last.tier,
                last.relief,
                last.relief_rule,
            )
        else:
            merged.append(piece)
    segments = []
    for p in merged:
        days = (p.end - p.start).days + 1
        exact = accrued(p.base, p.rate, days)
        segments.append(
            Segment(
                p.start,
                p.end,
                days,
                p.base,
                p.rate,
                p.normal_rate,
                exact,
                truncate_yen(exact),
                p.tier,
                p.relief,
                p.relief_rule,
            )
        )
    return tuple(segments)


def cut_points(start: date, end: date, candidates: list[date]) -> list[tuple[date, date]]:
    """Split [start, end] after each candidate day in [start, end); returns inclusive runs."""
    ends = sorted({c for c in candidates if start <= c < end} | {end})
    runs = []
    current = start
    for last in ends:
        runs.append((current, last))
        current = last + ONE_DAY
    return runs
