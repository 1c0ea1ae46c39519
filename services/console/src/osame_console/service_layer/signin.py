"""Sign-in, sessions and sign-out (サインイン・セッション・サインアウト), each audited.

Audit operations (the console's hash-chained `audit_log`): `console.sign-in` (ok or
`refused:<code>`), `console.sign-out`, `console.idle-timeout`, `console.session-expired`,
`console.signed-out-by-service` (a service refused the token: revoked or expired),
`console.session-ended` (outcome `swept`: idle or expired, found by the periodic sweep).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from osame_chassis.auth import grants, permissions_for

from osame_console.adapters.oidc_client import OidcClient
from osame_console.adapters.store import Store
from osame_console.domain.oidc import PendingSignIn, SignInRefused, authorization_url, new_verifier
from osame_console.domain.session import (
    SessionClock,
    SessionState,
    new_secret_token,
    safe_return_path,
    session_state,
)
from osame_console.settings import ConsoleSettings

TOUCH_EVERY = dt.timedelta(seconds=30)  # last-seen is written at most this often


@dataclass(frozen=True)
class StaffSession:
    """The signed-in staff member of one request."""

    session_id: str
    user: str
    roles: tuple[str, ...]
    permissions: frozenset[str]
    access_token: str
    id_token: str | None
    csrf_token: str
    expires_at: dt.datetime

    def can(self, permission: str) -> bool:
        return grants(self.permissions, permission)


@dataclass(frozen=True)
class SessionEnded:
    """The cookie named a session that is over; `reason` is shown on the sign-in page."""

    reason: SessionState


@dataclass
class SignIn:
    settings: ConsoleSettings
    store: Store
    oidc: OidcClient
    role_permissions: dict[str, list[str]]

    # -- start -------------------------------------------------------------------------------------

    async def start(self, return_to: str | None, now: dt.datetime) -> tuple[str, str]:
        """(state, the issuer's authorization URL): the browser goes there; the state is bound to it."""
        provider = await self.oidc.provider()
        pending = PendingSignIn(
            state=new_secret_token(),
            nonce=new_secret_token(),
            verifier=new_verifier(),
            return_to=safe_return_path(return_to),
        )
        async with self.store.begin() as tx:
            await tx.purge_pending(now - dt.timedelta(seconds=self.settings.sign_in_timeout_seconds))
            await tx.save_pending(pending, now)
        url = authorization_url(
            provider.authorization_endpoint,
            client_id=self.settings.oidc_client_id,
            redirect_uri=self.settings.redirect_uri,
            scope=self.settings.oidc_scope,
            pending=pending,
        )
        return pending.state, url

    # -- finish ------------------------------------------------------------------------------------

    async def finish(
        self,
        *,
        state: str | None,
        bound_state: str | None,
        code: str | None,
        issuer_error: str | None,
        client: str | None,
        now: dt.datetime,
    ) -> tuple[str, str]:
        """(new session id, where to go) after the issuer sent the browser back; audited either way."""
        subject = None
        try:
            if issuer_error:
                raise SignInRefused(
                    "issuer_" + "".join(c for c in issuer_error if c.isalnum() or c == "_")[:40]
                )
            if not state or not bound_state or state != bound_state:
                raise SignInRefused("state_mismatch")  # not the browser that started this sign-in
            if not code:
                raise SignInRefused("code_missing")
            not_before = now - dt.timedelta(seconds=self.settings.sign_in_timeout_seconds)
            async with self.store.begin() as tx:
                pending = await tx.take_pending(state, not_before)
            if pending is None:
                raise SignInRefused("state_unknown_or_expired")
            tokens = await self.oidc.exchange(code, pending.verifier)
            subject = await self.oidc.verify_id_token(tokens.id_token, pending.nonce)
            principal = await self.oidc.principal(tokens.access_token)
            if principal.user != subject:
                raise SignInRefused("subject_mismatch")
        except SignInRefused as refused:
            async with self.store.begin() as tx:
                await tx.audit(
                    user=subject or "-",
                    operation="console.sign-in",
                    outcome=f"refused:{refused.code}",
                    client=client,
                )
            raise
        session_id = new_secret_token()
        expires_at = principal.expires_at or now + dt.timedelta(hours=1)
        async with self.store.begin() as tx:
            await tx.create_session(
                session_id,
                user=principal.user,
                roles=principal.roles,
                access_token=tokens.access_token,
                id_token=tokens.id_token,
                csrf_token=new_secret_token(),
                now=now,
                expires_at=expires_at,
            )
            await tx.audit(user=principal.user, operation="console.sign-in", outcome="ok", client=client)
        return session_id, pending.return_to

    # -- each request --------------------------------------------------------------------------------

    async def load(
        self, session_id: str, now: dt.datetime, client: str | None
    ) -> StaffSession | SessionEnded | None:
        """The session of a request (its last-seen time advanced), ended when idle or expired."""
        async with self.store.begin() as tx:
            record = await tx.get_session(session_id)
            if record is None:
                return None
            state = session_state(
                SessionClock(record.last_seen_at, record.expires_at),
                now,
                dt.timedelta(seconds=self.settings.idle_timeout_seconds),
            )
            if state is not SessionState.ACTIVE:
                await tx.delete_session(session_id)
                operation = (
                    "console.idle-timeout" if state is SessionState.IDLE else "console.session-expired"
                )
                await tx.audit(user=record.user, operation=operation, outcome="ok", client=client)
                return SessionEnded(state)
            if now - record.last_seen_at >= TOUCH_EVERY:
                await tx.touch_session(session_id, now)
        return StaffSession(
            session_id=session_id,
            user=record.user,
            roles=record.roles,
            permissions=permissions_for(record.roles, self.role_permissions),
            access_token=record.access_token,
            id_token=record.id_token,
            csrf_token=record.csrf_token,
            expires_at=record.expires_at,
        )

    # -- end -------------------------------------------------------------------------------------------

    async def sign_out(
        self, staff: StaffSession, client: str | None, operation: str = "console.sign-out"
    ) -> str | None:
        """End the session (audited); the issuer's end-session URL to send the browser to, if any."""
        async with self.store.begin() as tx:
            if await tx.delete_session(staff.session_id):
                await tx.audit(user=staff.user, operation=operation, outcome="ok", client=client)
        if operation != "console.sign-out":
            return None
        try:
            provider = await self.oidc.provider()
        except SignInRefused:
            return None
        if not provider.end_session_endpoint:
            return None
        query = {
            "client_id": self.settings.oidc_client_id,
            "post_logout_redirect_uri": self.settings.public_url.rstrip("/") + "/auth/signed-out",
        }
        if staff.id_token:
            query["id_token_hint"] = staff.id_token
        sep = "&" if "?" in provider.end_session_endpoint else "?"
        return f"{provider.end_session_endpoint}{sep}{urlencode(query)}"

    async def sweep(self, now: dt.datetime) -> int:
        """End every idle or expired session (audited); run periodically so idle ones do not linger."""
        idle_before = now - dt.timedelta(seconds=self.settings.idle_timeout_seconds)
        ended = 0
        async with self.store.begin() as tx:
            for lookup, user in await tx.stale_sessions(idle_before, now):
                if await tx.delete_by_lookup(lookup):
                    await tx.audit(user=user, operation="console.session-ended", outcome="swept", client=None)
                    ended += 1
            await tx.purge_pending(now - dt.timedelta(seconds=self.settings.sign_in_timeout_seconds))
        return ended
