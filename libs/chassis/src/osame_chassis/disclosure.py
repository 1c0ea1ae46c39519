"""開示請求: everything one service holds about one 宛名番号, read from its own store (issue 13).

個人情報保護法 §76 (開示請求権) gives a person the right to ask a 行政機関等 for the 保有個人情報 it
holds about them; §78 lists what may be withheld (e.g. §78①七: information whose disclosure would
hinder 租税の賦課・徴収 work — the city decides per item, after this export, not here). The export
gathers, per table, every row about the addressee: rows carrying the 宛名番号 itself (`Source`) and
rows reached through them (`Source(..., via=(column, parent, parent_column))`: a notice's receipts).

Values are made JSON-safe; sealed values (encrypted 個人番号, blind indexes: bytes) are never
decrypted here and appear as "sealed (held, encrypted at rest)" so the person learns the service
holds one without the export becoming a copy of the key material. Nothing is logged but counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

SEALED = "sealed (held, encrypted at rest)"


@dataclass(frozen=True)
class Source:
    """Rows of `table` about one addressee: `column` equals the 宛名番号, or (with `via`) `column`
    is one of the `parent_column` values of the parent source's rows."""

    table: Table
    column: str = "addressee_id"
    via: tuple[Source, str] | None = None  # (parent source, parent column)
    omit: tuple[str, ...] = ()  # columns that say nothing about the person (internal keys, hashes)
    title: str = ""  # what the section is, for the readable summary
    name: str = ""  # the section's key (default: the table's name; two sources may read one table)

    def rows(self, addressee_id: str) -> Select:
        return select(self.table).where(self._match(addressee_id)).order_by(*self.table.primary_key.columns)

    def _match(self, addressee_id: str):
        if self.via is None:
            return self.table.c[self.column] == addressee_id
        parent, parent_column = self.via
        keys = select(parent.table.c[parent_column]).where(parent._match(addressee_id))
        return self.table.c[self.column].in_(keys)


def json_safe(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return SEALED
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


async def collect(session: AsyncSession, sources: list[Source], addressee_id: str) -> dict[str, dict]:
    """{table: {"title", "rows"}} for every source (a table with no rows is present with [])."""
    out: dict[str, dict] = {}
    for source in sources:
        result = await session.execute(source.rows(addressee_id))
        rows = [
            {k: json_safe(v) for k, v in row.items() if k not in source.omit} for row in result.mappings()
        ]
        key = source.name or source.table.name
        out[key] = {"title": source.title or key, "rows": rows}
    return out
