"""What address-sync holds about one 宛名番号, for a 開示請求 (osame_chassis.disclosure): the 宛名,
住基 異動 history, the sealed 個人番号 (shown as held, never decrypted into the export), 支援措置
decisions, 送付先, 名寄せ decisions naming the number either way, noted income queries, the 訂正・
利用停止 register, and the audit log (every access, and each 個人番号 release as a
`my-number.release` entry)."""

from __future__ import annotations

from osame_chassis.disclosure import Source

from osame_address_sync.adapters import orm

SOURCES = [
    Source(orm.addressees, omit=("published_digest",), title="宛名 (addressee)"),
    Source(orm.resident_changes, omit=("my_number_key_id",), title="住基 異動 history"),
    Source(orm.my_numbers, omit=("key_id", "blind_index"), title="個人番号 (held sealed)"),
    Source(orm.protections, title="支援措置 (current)"),
    Source(orm.protection_decisions, title="支援措置 decisions"),
    Source(orm.mailing_overrides, title="送付先 overrides"),
    Source(orm.merges, "merged_addressee_id", title="名寄せ (merged into another)", name="merges_as_merged"),
    Source(
        orm.merges,
        "surviving_addressee_id",
        title="名寄せ (others merged into it)",
        name="merges_as_surviving",
    ),
    Source(orm.income_queries_noted, title="income queries noted"),
    Source(orm.data_requests, title="訂正・利用停止 requests (register)"),
    Source(
        orm.audit_log,
        omit=("prev_hash", "entry_hash"),
        title="access log and 個人番号 release log (operation my-number.release)",
    ),
]
