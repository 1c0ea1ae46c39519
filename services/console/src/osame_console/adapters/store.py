"""The console's database: sessions, sign-in requests in flight, the audit trail (SQLAlchemy Core).

`Store.begin()` opens one transaction (`Tx`): a session row and its audit entry commit together,
so there is never a sign-in without its audit line, nor an audit line for a sign-in that failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from osame_console.adapters import orm
from osame_console.domain.oidc import PendingSignIn
from osame_console.domain.session import lookup_key, sealing_key


@dataclass(frozen=True)
class SessionRecord:
    user: str
    roles: tuple[str, ...]
    access_token: str
    id_token: str | None
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _seal(session_id: str, tokens: dict) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(sealing_key(session_id)).encrypt(nonce, json.dumps(tokens).encode(), b"tokens")


def _unseal(session_id: str, sealed: bytes) -> dict | None:
    try:
        return json.loads(AESGCM(sealing_key(session_id)).decrypt(sealed[:12], sealed[12:], b"tokens"))
    except (InvalidTag, ValueError):
        return None


class Tx:
    """One transaction on the console's database."""

    def __init__(self, session: AsyncSession):
        self.session = session

    # -- sessions ------------------------------------------------------------------------------

    async def create_session(
        self,
        session_id: str,
        *,
        user: str,
        roles: tuple[str, ...],
        access_token: str,
        id_token: str | None,
        csrf_token: str,
        now: dt.datetime,
        expires_at: dt.datetime,
    ) -> None:
        await self.session.execute(
            insert(orm.sessions).values(
                lookup=lookup_key(session_id),
                user_id=user,
                roles=list(roles),
                sealed_tokens=_seal(session_id, {"access": access_token, "id": id_token}),
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    async def get_session(self, session_id: str) -> SessionRecord | None:
        query = select(orm.sessions).where(orm.sessions.c.lookup == lookup_key(session_id))
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        tokens = _unseal(session_id, row["sealed_tokens"])
        if tokens is None:
            return None
        return SessionRecord(
            user=row["user_id"],
            roles=tuple(row["roles"]),
            access_token=tokens["access"],
            id_token=tokens.get("id"),
            csrf_token=row["csrf_token"],
            created_at=_utc(row["created_at"]),
            last_seen_at=_utc(row["last_seen_at"]),
            expires_at=_utc(row["expires_at"]),
        )

    async def touch_session(self, session_id: str, now: dt.datetime) -> None:
        await self.session.execute(
            update(orm.sessions)
            .where(orm.sessions.c.lookup == lookup_key(session_id))
            .values(last_seen_at=now)
        )

    async def delete_session(self, session_id: str) -> bool:
        result = await self.session.execute(
            delete(orm.sessions).where(orm.sessions.c.lookup == lookup_key(session_id))
        )
        return result.rowcount > 0

    async def stale_sessions(self, idle_before: dt.datetime, now: dt.datetime) -> list[tuple[str, str]]:
        """(lookup, user) of sessions idle since before `idle_before` or past their expiry."""
        t = orm.sessions
        query = select(t.c.lookup, t.c.user_id).where(
            (t.c.last_seen_at < idle_before) | (t.c.expires_at <= now)
        )
        return [(r.lookup, r.user_id) for r in await self.session.execute(query)]

    async def delete_by_lookup(self, lookup: str) -> bool:
        result = await self.session.execute(delete(orm.sessions).where(orm.sessions.c.lookup == lookup))
        return result.rowcount > 0

    # -- sign-in requests in flight --------------------------------------------------------------

    async def save_pending(self, pending: PendingSignIn, now: dt.datetime) -> None:
        await self.session.execute(
            insert(orm.sign_in_requests).values(
                state_hash=lookup_key(pending.state),
                nonce=pending.nonce,
                verifier=pending.verifier,
                return_to=pending.return_to,
                created_at=now,
            )
        )

    async def take_pending(self, state: str, not_before: dt.datetime) -> PendingSignIn | None:
        """The request for `state`, removed (single use); None when unknown or older than `not_before`."""
        t = orm.sign_in_requests
        key = lookup_key(state)
        row = (await self.session.execute(select(t).where(t.c.state_hash == key))).mappings().first()
        if row is None:
            return None
        await self.session.execute(delete(t).where(t.c.state_hash == key))
        if _utc(row["created_at"]) < not_before:
            return None
        return PendingSignIn(state, row["nonce"], row["verifier"], row["return_to"])

    async def purge_pending(self, not_before: dt.datetime) -> int:
        t = orm.sign_in_requests
        result = await self.session.execute(delete(t).where(t.c.created_at < not_before))
        return result.rowcount

    # -- audit ------------------------------------------------------------------------------------

    async def audit(self, *, user: str, operation: str, outcome: str, client: str | None) -> None:
        await orm.AUDIT.append(
            self.session, user=user[:64], operation=operation, outcome=outcome[:80], client=client
        )


class Store:
    def __init__(self, sessions: async_sessionmaker):
        self.sessions = sessions

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[Tx]:
        async with self.sessions() as session, session.begin():
            yield Tx(session)

    async def verify_audit(self):
        async with self.sessions() as session:
            return await orm.AUDIT.verify(session)

    async def audit_entries(self, limit: int = 200) -> list[dict]:
        t = orm.audit_log
        async with self.sessions() as session:
            rows = await session.execute(select(t).order_by(t.c.id.desc()).limit(limit))
            return [dict(r) for r in rows.mappings()]
