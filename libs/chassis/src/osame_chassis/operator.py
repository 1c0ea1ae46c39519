"""Who runs a maintenance command that writes to a service's database (issue 13 item 9).

An operator command (an import, the nightly batch, …) runs with the operator's staff token, the
same bearer JWT the service's HTTP API takes: `--token` or `OSAME_OPERATOR_TOKEN`. It is verified
exactly like an API call (`osame_chassis.auth.Authenticator` with the service's `OSAME_AUTH_*`:
issuer keys, expiry and maximum age, revocation) and must grant the permission of the API route
doing the same thing. The operator is the token's subject, never a free-text flag; every
attempt, refused or not, and its outcome goes into the service's audit log with the client
`cli:<service>`.

    async with operator_action(token, "receipts:import.run", audit=write, client="cli:receipts") as act:
        report = await ...            # the use case, as act.user
        act.outcome = f"ok:{report.status}"

`write(user, operation, outcome)` appends one audit entry in its own transaction (each service
keeps its own audit table; `AuditLog.hook` style).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from osame_chassis.auth import Authenticator, AuthError, AuthSettings

TOKEN_ENV = "OSAME_OPERATOR_TOKEN"

AuditWrite = Callable[[str, str, str], Awaitable[None]]  # (user, operation, outcome)


class OperatorRefused(Exception):
    """No valid operator token for this command; `code` is the auth refusal code."""

    def __init__(self, code: str):
        super().__init__(f"operator refused: {code} (give your staff token with --token or {TOKEN_ENV})")
        self.code = code


@dataclass
class OperatorAction:
    user: str
    operation: str
    outcome: str = "ok"


def operator_token(explicit: str | None) -> str | None:
    return explicit or os.environ.get(TOKEN_ENV) or None


async def verify_operator(token: str | None, permission: str, settings: AuthSettings | None = None) -> str:
    """The staff id of a token granting `permission`, or AuthError."""
    auth = Authenticator(settings or AuthSettings())
    if not auth.settings.enabled:
        raise AuthError(401, "auth_disabled")  # an operator command always names its operator
    principal = await auth.authenticate(f"Bearer {token}" if token else None, None)
    auth.authorize(principal, permission)
    return principal.user


@asynccontextmanager
async def operator_action(
    token: str | None,
    permission: str,
    *,
    audit: AuditWrite,
    operation: str | None = None,
    settings: AuthSettings | None = None,
) -> AsyncIterator[OperatorAction]:
    """Verify the operator, then audit the command's outcome (`ok`, what the body sets, or `error:<type>`)."""
    op = operation or permission.partition(":")[2] or permission
    try:
        user = await verify_operator(operator_token(token), permission, settings)
    except AuthError as exc:
        await audit(exc.user or "-", op, f"refused:{exc.code}")
        raise OperatorRefused(exc.code) from None
    action = OperatorAction(user=user, operation=op)
    try:
        yield action
    except BaseException as exc:
        await audit(user, op, f"error:{type(exc).__name__}"[:80])
        raise
    await audit(user, op, action.outcome[:80])
