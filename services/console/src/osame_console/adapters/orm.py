"""The console's own tables: nothing but web sessions and its sign-in audit trail.

- `sessions`: one signed-in browser; keyed by a hash of the cookie's session id, the staff
  member's tokens sealed (AES-GCM) with a key derived from that id (`domain.session`).
- `sign_in_requests`: an OIDC authorization request in flight (state, nonce, PKCE verifier),
  keyed by a hash of its state, deleted when used or expired.
- `audit_log`: the chassis' hash-chained log: sign-in, sign-out, idle timeout, refused sign-in.
"""

from __future__ import annotations

from osame_chassis.audit import AuditLog, audit_log_table
from sqlalchemy import JSON, Column, DateTime, LargeBinary, MetaData, String, Table

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("lookup", String(64), primary_key=True),
    Column("user_id", String(64), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("sealed_tokens", LargeBinary, nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

sign_in_requests = Table(
    "sign_in_requests",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(128), nullable=False),
    Column("verifier", String(128), nullable=False),
    Column("return_to", String(512), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

audit_log = audit_log_table(metadata)
AUDIT = AuditLog(audit_log)
