"""Misconfiguration gives one clear line naming the setting to change, and a non-zero exit.

The process tests start a real service (`python -m osame_receipts`) with one thing wrong and
read what an operator would read: its exit code and its output.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from osame_chassis.settings import (
    TOOL_PREFIXES,
    TOOL_VARIABLES,
    ConfigurationError,
    ServiceSettings,
    check_environment,
    explain_validation_error,
    known_variables,
)
from osame_chassis.startup import EXIT_CONFIG
from osame_cli.stack import free_port
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).parent))
import pgcluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from pgcluster.private_cluster(tmp_path_factory)


ROOT = Path(__file__).resolve().parents[3]
KNOWN = {"OSAME_DATABASE_URL", "OSAME_AMQP_URL", "OSAME_HTTP_PORT"}


# ------------------------------------------------------------------ unknown variables


def test_a_mistyped_setting_is_refused_with_the_closest_name():
    with pytest.raises(ConfigurationError) as caught:
        check_environment({"OSAME_DATABSE_URL": "postgresql://u:secret@h/db", "PATH": "/bin"}, KNOWN)
    message = str(caught.value)
    assert "OSAME_DATABSE_URL (did you mean OSAME_DATABASE_URL?)" in message
    assert "secret" not in message and "\n" not in message


def test_every_unknown_setting_is_named_at_once():
    with pytest.raises(ConfigurationError) as caught:
        check_environment({"OSAME_HTTP_PROT": "1", "osame_amqp_ulr": "x", "OSAME_ZZZ": "1"}, KNOWN)
    message = str(caught.value)
    assert "OSAME_HTTP_PROT (did you mean OSAME_HTTP_PORT?)" in message
    assert "osame_amqp_ulr (did you mean OSAME_AMQP_URL?)" in message
    assert "OSAME_ZZZ" in message


def test_known_settings_tool_variables_and_other_prefixes_pass():
    environ = {name: "x" for name in KNOWN} | {"OSAME_TEST_AMQP_URL": "x", "OSAME_SIMULATOR_PORT": "1"}
    check_environment(environ | {"OTEL_SERVICE_NAME": "x", "PATH": "/bin"}, KNOWN)


def test_service_settings_fields_are_known():
    from osame_receipts.bootstrap import ReceiptsSettings  # noqa: F401  (imports its settings class)

    known = known_variables()
    for name in (
        "OSAME_DATABASE_URL",
        "OSAME_ENVIRONMENT",
        "OSAME_AUTH_JWKS_URL",
        "OSAME_RECONCILIATION_ORDER",
    ):
        assert name in known


def test_every_osame_variable_the_code_reads_is_known():
    """A variable a tool or service reads but the check does not know would stop services
    started from a shell that sets it: every OSAME_* name in the sources must be a setting of
    some settings class or a declared tool variable."""
    import importlib

    for module in (
        "osame_receipts.bootstrap",
        "osame_refunds.bootstrap",
        "osame_collection.bootstrap",
        "osame_address_sync.bootstrap",
        "osame_gateway.bootstrap",
        "osame_simulator.app",
    ):
        importlib.import_module(module)
    known = known_variables()
    pattern = re.compile(r"\bOSAME_[A-Z0-9_]*[A-Z0-9]\b")
    unknown = {}
    for top in ("libs", "services", "tools", "simulators", "deploy", "scripts"):
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in (".py", ".yaml", ".yml", ".sh", ".example") or "tests" in path.parts:
                continue
            for name in pattern.findall(path.read_text(encoding="utf-8", errors="replace")):
                if name in known or name in TOOL_VARIABLES or name.startswith(TOOL_PREFIXES):
                    continue
                unknown.setdefault(name, str(path.relative_to(ROOT)))
    # Read by other programs than the services (the postgres init script, the collector), and the
    # typo the settings module names as its example.
    collector = ("OSAME_TRACE_BACKEND_ENDPOINT", "OSAME_LOGS_BACKEND_ENDPOINT")
    for name in ("OSAME_DB_PASSWORD", "OSAME_DB_USER", "OSAME_DATABASES", *collector):
        unknown.pop(name, None)
    unknown.pop("OSAME_DATABSE_URL", None)
    assert not unknown, f"OSAME_* names no settings class reads: {unknown}"


# ------------------------------------------------------------------ environment


def test_development_defaults_to_a_sqlite_file(tmp_path):
    settings = ServiceSettings(service_name="x", data_dir=tmp_path)
    assert settings.environment == "development"
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/x.db"


def test_production_must_name_its_database(tmp_path):
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(service_name="x", data_dir=tmp_path, environment="production")
    message = str(explain_validation_error(caught.value))
    assert message.startswith("OSAME_DATABASE_URL is not set")
    explicit = ServiceSettings(
        service_name="x",
        environment="production",
        database_url=f"sqlite:///{tmp_path}/x.db",
        audit_key=AUDIT_KEY,
    )
    assert explicit.effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/x.db"
    postgres = ServiceSettings(
        service_name="x", environment="production", database_url="postgres://u:p@h/db", audit_key=AUDIT_KEY
    )
    assert postgres.effective_database_url == "postgresql+asyncpg://u:p@h/db"


AUDIT_KEY = "b3NhbWUtdGVzdC1vbmx5LWF1ZGl0LWNoYWluLWtleS0wMDAw"


def test_production_must_key_its_audit_chain(tmp_path):
    """Issue 13: the development audit key is public; outside development the key must be given."""
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(service_name="x", environment="production", database_url="postgres://u:p@h/db")
    assert str(explain_validation_error(caught.value)).startswith(
        "OSAME_AUDIT_KEY (or OSAME_AUDIT_KEY_FILE) is not set"
    )
    (tmp_path / "audit.key").write_text(AUDIT_KEY)
    ServiceSettings(
        service_name="x",
        environment="production",
        database_url="postgres://u:p@h/db",
        audit_key_file=tmp_path / "audit.key",
    )


def test_a_bad_value_names_the_setting_not_the_value():
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(prefetch="secret-looking-value")
    message = str(explain_validation_error(caught.value))
    assert message.startswith("OSAME_PREFETCH ")
    assert "secret-looking-value" not in message


# ------------------------------------------------------------------ a real service process


def run_service(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OSAME_", "OTEL_"))}
    clean.update(
        OSAME_DATA_DIR=str(tmp_path / "data"),
        OSAME_HTTP_PORT=str(free_port()),
        OSAME_AMQP_PREFIX=f"startup-{os.getpid()}.",
        OSAME_TELEMETRY_ENABLED="false",
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "osame_receipts"], env=clean, capture_output=True, text=True, timeout=120
    )


def assert_one_clear_line(result: subprocess.CompletedProcess, *needles: str, secret: str | None = None):
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == EXIT_CONFIG, output
    lines = output.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{output}"
    assert lines[0].startswith("osame-receipts: configuration error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    if secret:
        assert secret not in output


@pytest.mark.integration
def test_unknown_variable_stops_the_service(tmp_path, amqp_url):
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url, OSAME_DATABSE_URL="postgresql://u:pw@h/db")
    assert_one_clear_line(result, "OSAME_DATABSE_URL", "did you mean OSAME_DATABASE_URL?", secret="pw@h")
    assert not (tmp_path / "data").exists(), "nothing may be created before the settings are accepted"


@pytest.mark.integration
def test_production_without_a_database_stops_the_service(tmp_path, amqp_url):
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url, OSAME_ENVIRONMENT="production")
    assert_one_clear_line(result, "OSAME_DATABASE_URL is not set")
    assert not (tmp_path / "data").exists()


@pytest.mark.integration
def test_wrong_database_password(tmp_path, amqp_url, cluster):
    url = cluster.url(password="wrong-pass-123")
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url, OSAME_DATABASE_URL=url)
    assert_one_clear_line(result, "refused the password", "OSAME_DATABASE_URL", secret="wrong-pass-123")


@pytest.mark.integration
def test_missing_database(tmp_path, amqp_url, pg_server_url):
    url = pg_server_url.rsplit("/", 1)[0] + "/osame_no_such_database"
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url, OSAME_DATABASE_URL=url)
    assert_one_clear_line(result, "osame_no_such_database does not exist", "OSAME_DATABASE_URL")


@pytest.mark.integration
def test_unreachable_broker(tmp_path):
    result = run_service(tmp_path, OSAME_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    assert_one_clear_line(result, "cannot reach the broker", "connection refused", "OSAME_AMQP_URL")


@pytest.mark.integration
def test_wrong_broker_credentials(tmp_path, amqp_url):
    wrong = re.sub(r"//([^:@/]+):([^@]*)@", r"//\1:not-the-password@", amqp_url)
    result = run_service(tmp_path, OSAME_AMQP_URL=wrong)
    assert_one_clear_line(result, "refused user", "OSAME_AMQP_URL", secret="not-the-password")


@pytest.mark.integration
def test_missing_virtual_host(tmp_path, amqp_url):
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url.rstrip("/") + "/osame-no-such-vhost")
    assert_one_clear_line(result, "virtual host 'osame-no-such-vhost'", "OSAME_AMQP_URL")


@pytest.mark.integration
def test_a_broker_ca_with_a_plain_amqp_url_stops_the_service(tmp_path, amqp_url):
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    result = run_service(tmp_path, OSAME_AMQP_URL=amqp_url, OSAME_AMQP_CA_FILE=str(ca))
    assert_one_clear_line(
        result, "OSAME_AMQP_CA_FILE set but OSAME_AMQP_URL is amqp://", secret="guest:guest"
    )


@pytest.mark.integration
def test_production_with_the_development_issuer_stops_the_service(tmp_path, amqp_url):
    result = run_service(
        tmp_path,
        OSAME_AMQP_URL=amqp_url,
        OSAME_ENVIRONMENT="production",
        OSAME_DATABASE_URL=f"sqlite:///{tmp_path}/receipts.db",
        OSAME_AUDIT_KEY=base64.b64encode(bytes(range(32))).decode(),  # production needs its audit key
    )
    assert_one_clear_line(
        result, "OSAME_AUTH_ISSUER is the development issuer", "refused outside development"
    )
