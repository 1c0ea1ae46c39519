"""A file's records against its trailer total when some amounts cannot be read (defect 10).

An unreadable amount must not make the file's money vanish nor refuse the good records: when
exactly one record's amount is unreadable, the trailer total gives it (total − Σ readable), so the
record can be held with its amount and the file still reconciles; with several unreadable, only
Σ readable ≤ total can be checked and the records are held without an amount.
"""

from __future__ import annotations


def fill_from_trailer(amounts: list[int | None], trailer_total: int) -> list[int | None] | None:
    """`amounts` with the one unreadable amount derived from the trailer; None when they cannot
    add up to `trailer_total` (the file is refused)."""
    unknown = [i for i, a in enumerate(amounts) if a is None]
    rest = trailer_total - sum(a for a in amounts if a is not None)
    if not unknown:
        return amounts if rest == 0 else None
    if len(unknown) == 1:
        if rest <= 0:
            return None
        filled = list(amounts)
        filled[unknown[0]] = rest
        return filled
    return amounts if rest >= 0 else None
