"""The console outside development: the development token issuer stops it at start (like the
services' preflight, osame_chassis.tls), before it trusts any token or serves a page."""

from __future__ import annotations

import pytest
from osame_chassis.auth import AuthSettings
from osame_console.bootstrap import build_app


def test_production_refuses_the_development_issuer(console_settings):
    production = console_settings.model_copy(update={"environment": "production"})
    with pytest.raises(SystemExit, match="OSAME_AUTH_ISSUER is the development issuer"):
        build_app(production, auth_settings=AuthSettings(jwks_url="https://idp.example/certs"))
