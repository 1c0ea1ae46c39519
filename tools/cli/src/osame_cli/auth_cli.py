"""`osame auth …`: the local development issuer of staff tokens (never for production).

Mount in main.py with either::

    app.add_typer(auth_app, name="auth")        # osame auth dev-token / jwks / revoke
    app.command("dev-token")(dev_token)          # osame dev-token --user U --roles R

Services verify these tokens when `OSAME_AUTH_JWKS_FILE` points at the issuer's `jwks.json`
(printed by `osame auth jwks`); issuer and audience are the defaults of
`osame_chassis.auth.AuthSettings` (`osame-dev-issuer`, `osame`).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import typer
from osame_chassis.auth import DEFAULT_ROLE_PERMISSIONS, DevIssuer

auth_app = typer.Typer(
    help="Staff tokens from the local development issuer (roles → permissions per action).",
    rich_markup_mode=None,
    no_args_is_help=True,
)

ISSUER_DIR = typer.Option(
    Path(os.environ.get("OSAME_DEV_ISSUER_DIR", "var/dev-issuer")),
    "--issuer-dir",
    help="Directory holding the development issuer's key and jwks.json (env OSAME_DEV_ISSUER_DIR)",
)


@auth_app.command("dev-token")
def dev_token(
    user: str = typer.Option(..., "--user", help="Staff user id (職員ID; not a name)"),
    roles: str = typer.Option(
        ...,
        "--roles",
        help=f"Comma-separated roles, e.g. collection_staff. Known: {', '.join(DEFAULT_ROLE_PERMISSIONS)}",
    ),
    ttl: int = typer.Option(3600, "--ttl", min=60, max=7 * 24 * 3600, help="Lifetime in seconds"),
    audience: str = typer.Option("osame", "--audience", help="aud claim (services expect 'osame')"),
    issuer_dir: Path = ISSUER_DIR,
) -> None:
    """Print a signed bearer token (JWT) for USER with ROLES; creates the issuer key on first use."""
    role_list = [r.strip() for r in roles.split(",") if r.strip()]
    if not role_list:
        raise typer.BadParameter("give at least one role", param_hint="--roles")
    unknown = [r for r in role_list if r not in DEFAULT_ROLE_PERMISSIONS]
    if unknown:
        typer.echo(f"warning: roles not in the default mapping: {', '.join(unknown)}", err=True)
    issuer = DevIssuer(issuer_dir)
    typer.echo(issuer.token(user, role_list, ttl_seconds=ttl, audience=audience))


@auth_app.command("jwks")
def jwks(issuer_dir: Path = ISSUER_DIR) -> None:
    """Write the issuer's public keys (jwks.json) and print its path: set OSAME_AUTH_JWKS_FILE to it."""
    typer.echo(str(DevIssuer(issuer_dir).write_jwks().resolve()))


@auth_app.command("revoke")
def revoke(
    revoked_file: Path = typer.Option(..., "--file", help="The services' OSAME_AUTH_REVOKED_FILE"),
    user: str = typer.Option(None, "--user", help="Revoke every token of this staff user issued until now"),
    token_id: str = typer.Option(None, "--token-id", help="Revoke one token (its jti)"),
) -> None:
    """Add a user (left or moved) or one token to a revocation list file; services reload it on change."""
    if not user and not token_id:
        raise typer.BadParameter("give --user or --token-id")
    data = json.loads(revoked_file.read_text(encoding="utf-8")) if revoked_file.exists() else {}
    if user:
        data.setdefault("users", {})[user] = datetime.now(UTC).isoformat()
    if token_id:
        data.setdefault("tokens", [])
        if token_id not in data["tokens"]:
            data["tokens"].append(token_id)
    revoked_file.parent.mkdir(parents=True, exist_ok=True)
    revoked_file.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(
        f"revocation list now has {len(data.get('users', {}))} users, {len(data.get('tokens', []))} tokens"
    )
