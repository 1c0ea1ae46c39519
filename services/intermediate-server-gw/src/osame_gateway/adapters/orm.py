"""Gateway's own tables: permitted-query list, 符号, queries, 情報提供等記録, audit log.

No column ever holds a 個人番号: it is used in memory only to obtain the 符号 and then discarded.
"""

from __future__ import annotations

from osame_chassis.audit import audit_log_table
from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

permitted_queries = Table(
    "permitted_queries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("affair", String(80), nullable=False, doc="事務"),
    Column("item", String(40), nullable=False, doc="特定個人情報 item"),
    Column("legal_basis", Text, nullable=False, doc="e.g. 主務省令 第2条 表 48"),
    Column("table_row", Integer, nullable=True, doc="row of the 主務省令 第2条 table (48)"),
    Column("provider", String(80), nullable=True, doc="情報提供者"),
    Column("information", Text, nullable=True, doc="利用特定個人情報 as named in the table"),
    UniqueConstraint("affair", "item", name="uq_permitted_affair_item"),
)

linkage_codes = Table(
    "linkage_codes",
    metadata,
    Column("addressee_id", String(15), primary_key=True, doc="宛名番号"),
    Column("linkage_code", String(64), nullable=False, doc="符号 (this body's, from the network)"),
    Column("obtained_at", DateTime(timezone=True), nullable=False),
)

income_queries = Table(
    "income_queries",
    metadata,
    Column("query_id", String(36), primary_key=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("requesting_service", String(40), nullable=False),
    Column("affair", String(80), nullable=False),
    Column("item", String(40), nullable=False),
    Column("fiscal_year", Integer, nullable=True),  # None: refused, not a storable 年度
    Column("purpose", String(200), nullable=False),
    Column("staff_user", String(64), nullable=False),
    Column("requested_on", Date, nullable=False),
    Column("status", String(12), nullable=False, index=True, doc="pending / answered / refused"),
    Column("reason", String(200), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("last_error", String(80), nullable=True),
    Column("certificate_id", String(64), nullable=True, doc="情報提供許可証"),
    Column("certificate_expires_at", DateTime(timezone=True), nullable=True),
    Column("provider", String(80), nullable=True),
    Column("answer", JSON, nullable=True, doc="income figures (None: no data)"),
    Column("trace_headers", JSON, nullable=False, doc="W3C trace context of the request"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True, index=True),
)

query_records = Table(
    "query_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("query_id", String(36), nullable=False, index=True),
    Column("addressee_id", String(15), nullable=False, index=True),
    Column("requesting_service", String(40), nullable=False),
    Column("affair", String(80), nullable=False),
    Column("item", String(40), nullable=False),
    Column("staff_user", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
    Column(
        "step",
        String(20),
        nullable=False,
        server_default="query",
        doc="request/linkage_code/certificate/answer/refusal",
    ),
    Column("fiscal_year", Integer, nullable=True),
    Column("linkage_code", String(64), nullable=True, doc="符号 (never 個人番号)"),
    Column("certificate_id", String(64), nullable=True),
    Column("provider", String(80), nullable=True),
)

audit_log = audit_log_table(metadata)
