"""`osame-dev-issuer`: the development OIDC issuer (refuses to start unless OSAME_ENVIRONMENT=development)."""

from __future__ import annotations

import sys

import uvicorn

from osame_dev_issuer.app import NotDevelopment, build_app
from osame_dev_issuer.settings import DevIssuerSettings


def main() -> None:
    settings = DevIssuerSettings()
    try:
        app = build_app(settings)
    except NotDevelopment as refused:
        print(f"osame-dev-issuer: refused: {refused}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    main()
