"""The staff console and the development OIDC issuer as processes of a `Stack` (demo, tests).

The issuer signs with the stack's own `DevIssuer` key directory, so the services (which trust that
key's JWKS file) accept the tokens of a console sign-in unchanged. Both run with
`OSAME_ENVIRONMENT=development`; the issuer refuses to start otherwise.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osame_cli.stack import Stack

CONSOLE_CLIENT = "osame-console"


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OSAME_", "OTEL_"))}


def add_console(stack: Stack) -> None:
    """Create (not start) the issuer and console processes of `stack` (which has `dev_wiring`)."""
    from osame_cli.stack import ServiceProcess, SimulatorProcess, free_port

    if stack.issuer is None:
        raise ValueError("the console needs the stack's development wiring (dev_wiring=True)")
    issuer_port, console_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    console_url = f"http://127.0.0.1:{console_port}"
    logs = stack.work_dir / "logs"

    issuer_env = _clean_env() | {
        "OSAME_ENVIRONMENT": "development",
        "OSAME_DEV_ISSUER_DIRECTORY": str(stack.issuer.directory),
        "OSAME_DEV_ISSUER_PORT": str(issuer_port),
        "OSAME_DEV_ISSUER_PUBLIC_URL": issuer_url,
        "OSAME_DEV_ISSUER_CLIENTS": json.dumps({CONSOLE_CLIENT: [f"{console_url}/auth/callback"]}),
        "OSAME_DEV_ISSUER_POST_LOGOUT_REDIRECT_URIS": json.dumps(
            {CONSOLE_CLIENT: [f"{console_url}/auth/signed-out"]}
        ),
    }
    stack.oidc = SimulatorProcess(
        "dev-issuer", "osame_dev_issuer", issuer_port, issuer_env, logs / "dev-issuer.log"
    )

    services = stack.services
    console_env = _clean_env() | {
        "OSAME_ENVIRONMENT": "development",
        "OSAME_CONSOLE_HTTP_PORT": str(console_port),
        "OSAME_CONSOLE_PUBLIC_URL": console_url,
        "OSAME_CONSOLE_DATA_DIR": str(stack.work_dir / "data"),
        "OSAME_CONSOLE_OIDC_DISCOVERY_URL": f"{issuer_url}/.well-known/openid-configuration",
        "OSAME_CONSOLE_OIDC_CLIENT_ID": CONSOLE_CLIENT,
        "OSAME_CONSOLE_RECEIPTS_URL": services["receipts"].url,
        "OSAME_CONSOLE_REFUNDS_URL": services["refunds"].url,
        "OSAME_CONSOLE_COLLECTION_URL": services["collection"].url,
        "OSAME_CONSOLE_ADDRESS_SYNC_URL": services["address-sync"].url,
        "OSAME_CONSOLE_GATEWAY_URL": services["intermediate-server-gw"].url,
        "OSAME_CONSOLE_DEAD_LETTER_AMQP_URL": stack.amqp_url,
        "OSAME_CONSOLE_AMQP_PREFIX": stack.prefix,
        "OSAME_AUTH_JWKS_FILE": str(stack.issuer.jwks_path),
        "OSAME_CONSOLE_LOG_LEVEL": "INFO",
        "OTEL_SERVICE_NAME": "osame-console",
    }
    if "console" in stack.database_urls:
        console_env["OSAME_CONSOLE_DATABASE_URL"] = stack.database_urls["console"]
    if stack.otlp_endpoint:
        console_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = stack.otlp_endpoint
        console_env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
    console_env.update(stack.extra_env)  # e.g. OSAME_BUSINESS_DATE: the console shows the same day
    stack.console = ServiceProcess(
        "console", "osame_console", console_port, console_env, logs / "console.log"
    )
