"""`osame auth dev-token / jwks / revoke`: tokens the chassis Authenticator accepts, and revocation."""

from __future__ import annotations

import pytest
from osame_chassis.auth import Authenticator, AuthError, AuthSettings
from osame_cli.auth_cli import auth_app
from typer.testing import CliRunner

runner = CliRunner()


async def test_dev_token_is_accepted_and_revocable(tmp_path):
    issuer_dir = tmp_path / "issuer"
    result = runner.invoke(
        auth_app,
        ["dev-token", "--user", "staff-01", "--roles", "collection_staff", "--issuer-dir", str(issuer_dir)],
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    jwks = runner.invoke(auth_app, ["jwks", "--issuer-dir", str(issuer_dir)]).stdout.strip()
    revoked = tmp_path / "revoked.json"
    auth = Authenticator(AuthSettings(jwks_file=jwks, revoked_file=revoked))
    principal = await auth.authenticate(f"Bearer {token}", "127.0.0.1")
    assert (principal.user, principal.roles) == ("staff-01", ("collection_staff",))
    assert principal.can("intermediate-server-gw:income-query.request")

    assert runner.invoke(auth_app, ["revoke", "--file", str(revoked), "--user", "staff-01"]).exit_code == 0
    with pytest.raises(AuthError, match="token_revoked"):
        await auth.authenticate(f"Bearer {token}", "127.0.0.1")


def test_dev_token_needs_a_role(tmp_path):
    result = runner.invoke(
        auth_app, ["dev-token", "--user", "u", "--roles", " , ", "--issuer-dir", str(tmp_path)]
    )
    assert result.exit_code != 0
