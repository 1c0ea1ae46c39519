"""The permitted-query list file (照会許可用照合リスト as data): parse and check before loading.

Format: JSON `{"source": str, "entries": [{affair, item, legal_basis, table_row?, provider?,
information?}]}`. Every error names the entry index and field (`entries[2].legal_basis: missing`);
a file with any error loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUIRED = ("affair", "item", "legal_basis")
LIMITS = {"affair": 80, "item": 40, "provider": 80}


@dataclass(frozen=True)
class PermittedQuery:
    """One (事務, item) the city may query, with its legal basis text (根拠法令)."""

    affair: str
    item: str
    legal_basis: str
    table_row: int | None = None
    provider: str | None = None
    information: str | None = None


class PermittedListError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_permitted_list(data: object) -> list[PermittedQuery]:
    """Entries of a permitted-query list document, or PermittedListError naming every bad field."""
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise PermittedListError(["<file>: expected an object with an 'entries' list"])
    errors: list[str] = []
    entries: list[PermittedQuery] = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(data["entries"]):
        where = f"entries[{i}]"
        if not isinstance(raw, dict):
            errors.append(f"{where}: expected an object")
            continue
        bad = False
        for name in REQUIRED:
            value = raw.get(name)
            if not isinstance(value, str) or not value.strip():
                errors.append(f"{where}.{name}: missing or empty")
                bad = True
        for name, limit in LIMITS.items():
            value = raw.get(name)
            if isinstance(value, str) and len(value) > limit:
                errors.append(f"{where}.{name}: longer than {limit}")
                bad = True
        row = raw.get("table_row")
        if row is not None and (not isinstance(row, int) or isinstance(row, bool) or row < 1):
            errors.append(f"{where}.table_row: not a positive integer")
            bad = True
        unknown = set(raw) - {*REQUIRED, "table_row", "provider", "information"}
        if unknown:
            errors.append(f"{where}: unknown fields {sorted(unknown)}")
            bad = True
        if bad:
            continue
        key = (raw["affair"], raw["item"])
        if key in seen:
            errors.append(f"{where}: duplicate of entries[{seen[key]}] ({key[0]}, {key[1]})")
            continue
        seen[key] = i
        entries.append(
            PermittedQuery(
                affair=raw["affair"],
                item=raw["item"],
                legal_basis=raw["legal_basis"],
                table_row=row,
                provider=raw.get("provider"),
                information=raw.get("information"),
            )
        )
    if errors:
        raise PermittedListError(errors)
    return entries
