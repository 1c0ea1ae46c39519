"""Address-sync's own tables.

- `addressees`: 宛名 (persons, 住登外者, 法人) as disclosed to others, with their 統合宛名番号.
- `resident_changes`: every 住基 異動 received, per person (history; 取消 reverts from it).
- `my_numbers`: the current 個人番号 of an addressee, AES-GCM sealed, with its blind index.
- `unified_addressees`: 団体内統合宛名番号 allocated.
- `protections`: the latest 支援措置 decision per addressee (its revision bounds the next one).
- `protection_decisions`: every 支援措置 decision with its effective date (in force from that date).
- `mailing_overrides`: 送付先 per 税目.
- `merges`: 名寄せ decisions.
- `income_queries_noted`: income queries collection asked for (query id, 宛名番号): a 個人番号 is
  released only for one of them, within a window.
- `data_requests`: the register of 訂正請求 and 利用停止請求 (個人情報保護法 §90, §98) with status.
- `audit_log`: the chassis' keyed hash-chained audit log: every authenticated HTTP call, and every
  個人番号 release request with its outcome (operation `my-number.release`, 個人番号提供記録).

No column ever holds a 個人番号 in clear (a test scans the database file).
"""

from __future__ import annotations

from osame_chassis.audit import AuditLog, audit_log_table
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

addressees = Table(
    "addressees",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("version", Integer, nullable=False),  # last published version (monotonic)
    Column("name", String(100), nullable=False),
    Column("name_kana", String(200), nullable=False),
    Column("postal_code", String(8), nullable=False),
    Column("address", String(200), nullable=False),  # 住所 print string
    Column("protected", Boolean, nullable=False),
    Column("deceased_on", Date, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("kind", String(12), nullable=False, server_default="person"),
    Column("source", String(20), nullable=False, server_default="addressee_system"),
    Column("source_version", Integer, nullable=True),
    Column("unified_addressee_id", String(15), nullable=True, index=True),
    Column("merged_into", String(15), nullable=True),
    Column("address_detail", JSON, nullable=True),
    Column("date_of_birth", Date, nullable=True),
    Column("household_id", String(20), nullable=True),
    Column("status", String(12), nullable=True),
    Column("moved_out_on", Date, nullable=True),
    Column("destination", String(200), nullable=False, server_default=""),
    Column("destination_postal_code", String(8), nullable=False, server_default=""),
    Column("corporate_number", String(13), nullable=True, index=True),
    Column("published_digest", String(64), nullable=True),
)

resident_changes = Table(
    "resident_changes",
    metadata,
    Column("change_id", String(40), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("notified_on", Date, nullable=True),
    Column("cancels_change_id", String(40), nullable=True),
    Column("fields", JSON, nullable=False),
    Column("my_number_key_id", String(20), nullable=True),
    Column("my_number_sealed", LargeBinary, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("addressee_id", "sequence", name="uq_resident_changes_sequence"),
)

my_numbers = Table(
    "my_numbers",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("key_id", String(20), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("blind_index", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_my_numbers_blind_index", "blind_index"),
)

unified_addressees = Table(
    "unified_addressees",
    metadata,
    Column("unified_addressee_id", String(15), primary_key=True),
    Column("first_addressee_id", String(15), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

protections = Table(
    "protections",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("protected", Boolean, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # the date a held decision still has to take effect (None: all applied); the daily pass looks here
    Column("next_change_on", Date, nullable=True, index=True),
)

protection_decisions = Table(
    "protection_decisions",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("protected", Boolean, nullable=False),
    Column("effective_on", Date, nullable=False, index=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

mailing_overrides = Table(
    "mailing_overrides",
    metadata,
    Column("addressee_id", String(15), primary_key=True),
    Column("tax_item", String(40), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("removed", Boolean, nullable=False),
    Column("recipient", String(100), nullable=False),
    Column("postal_code", String(8), nullable=False),
    Column("address", String(200), nullable=False),
    Column("address_detail", JSON, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

merges = Table(
    "merges",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("unified_addressee_id", String(15), nullable=False),
    Column("surviving_addressee_id", String(15), nullable=False),
    Column("merged_addressee_id", String(15), nullable=False, unique=True),
    Column("reason", String(20), nullable=False),
    Column("decided_by", String(40), nullable=False),
    Column("merged_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

income_queries_noted = Table(
    "income_queries_noted",
    metadata,
    Column("query_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False),
    Column("noted_at", DateTime(timezone=True), nullable=False),
)

data_requests = Table(
    "data_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("kind", String(12), nullable=False),  # correction | suspension (domain.data_requests)
    Column("target", String(24), nullable=False),
    Column("detail", String(1000), nullable=False),  # what the person asks (personal data: never logged)
    Column("received_on", Date, nullable=False),  # business date
    Column("disclosed_on", Date, nullable=True),
    Column("due_on", Date, nullable=False),
    Column("status", String(10), nullable=False),  # received | accepted | refused | applied
    Column("registered_by", String(64), nullable=False),  # token subject
    Column("ground", String(30), nullable=True),
    Column("basis", String(200), nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decided_on", Date, nullable=True),
    Column("decision_note", String(500), nullable=True),
    Column("applied_by", String(64), nullable=True),
    Column("applied_on", Date, nullable=True),
    Column("applied_note", String(500), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

audit_log = audit_log_table(metadata, detail=True)
AUDIT = AuditLog(audit_log)
