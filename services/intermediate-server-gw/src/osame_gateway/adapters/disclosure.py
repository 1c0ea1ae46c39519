"""What the gateway holds about one 宛名番号, for a 開示請求 (osame_chassis.disclosure).

The 符号 value itself is left out (its existence and date are shown): a 符号 identifies the person
only inside the 情報提供ネットワークシステム and is not theirs to use (番号法 §2⑧, UNCONFIRMED [L]);
the 情報提供等記録 are the person's own to see (番号法 §23, マイナポータル).
"""

from __future__ import annotations

from osame_chassis.disclosure import Source

from osame_gateway.adapters import orm

SOURCES = [
    Source(orm.linkage_codes, omit=("linkage_code",), title="符号 held (date obtained)"),
    Source(
        orm.income_queries,
        omit=("trace_headers", "lease_until", "next_attempt_at"),
        title="情報照会 (income queries)",
    ),
    Source(orm.query_records, omit=("linkage_code",), title="情報提供等記録"),
    Source(orm.audit_log, omit=("prev_hash", "entry_hash"), title="access log (who looked, when)"),
]
