"""Structure checks for docker-compose.yml and the files it mounts.

Pure file checks (YAML/JSON parsing, no Docker engine, no network), except
`test_docker_compose_config_accepts_the_file`, which runs `docker compose config`
only where the compose plugin is installed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "compose.env.example"
DOCKERFILE = "deploy/docker/Dockerfile"
COLLECTOR_CONFIG = ROOT / "deploy" / "otel-collector" / "config.yaml"
POSTGRES_INIT = ROOT / "deploy" / "postgres" / "init"
RABBITMQ_DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"

# compose service -> (workspace package, console script, HTTP port, database)
SERVICES: dict[str, tuple[str, str, int, str]] = {
    "receipts": ("osame-receipts", "osame-receipts", 8101, "osame_receipts"),
    "refunds": ("osame-refunds", "osame-refunds", 8102, "osame_refunds"),
    "collection": ("osame-collection", "osame-collection", 8103, "osame_collection"),
    "address-sync": ("osame-address-sync", "osame-address-sync", 8104, "osame_address_sync"),
    "gateway": ("osame-gateway", "osame-gateway", 8105, "osame_gateway"),
}
INFRASTRUCTURE = ("rabbitmq", "postgres", "otel-collector", "jaeger", "prometheus", "loki", "grafana")
SIMULATOR = "simulator"
SIMULATOR_PORT = 8190  # osame_simulator.app.SimulatorSettings.port
DEV_ISSUER = "dev-issuer"
KEYGEN = "keygen"
MYNUMBER_KEY_FILE = "/run/osame-keys/mynumber.key"
GATEWAY_ROLE = "linkage_gateway"
GATEWAY_SUBJECT = "intermediate-server-gw"

# Keys that look like personal data and must be dropped by the collector, and
# keys (semantic conventions or harmless application keys) that must survive.
PERSONAL_KEYS = (
    "my_number",
    "mynumber",
    "osame.taxpayer.my_number",
    "MyNumber",
    "kojin_bango",
    "taxpayer.name",
    "name",
    "name_kana",
    "payer_address",
    "address.line1",
    "phone",
    "phone_number",
    "bank_account_no",
    "account",
    "date_of_birth",
    "email",
)
KEPT_KEYS = (
    "messaging.destination.name",
    "messaging.system",
    "messaging.rabbitmq.destination.routing_key",
    "db.name",
    "db.system",
    "server.address",
    "network.peer.address",
    "http.route",
    "osame.receipt_id",
    "osame.amount",
    "osame.tax_year",
)


# --------------------------------------------------------------------- helpers

_VAR = re.compile(
    r"\$\$"
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Apply Compose variable substitution (${X}, ${X:-d}, ${X-d}, ${X:?e}, $$)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg = match.group("op"), match.group("arg")
        current = env.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if current is not None else arg
        if op in (":?", "?"):
            if not current:
                raise KeyError(f"required variable {name} is not set: {arg}")
            return current
        if current is None:
            raise KeyError(f"variable {name} has no default in docker-compose.yml")
        return current

    return _VAR.sub(substitute, value)


def variables_used(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(variables_used(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(variables_used(v) for v in value)) if value else set()
    if not isinstance(value, str):
        return set()
    return {m.group("braced") or m.group("bare") for m in _VAR.finditer(value) if m.group(0) != "$$"}


def read_env_file(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        env[key.strip()] = value.strip()
    return env


def env_mapping(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def healthcheck_command(service: dict[str, Any]) -> str:
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list):
        return " ".join(str(part) for part in test)
    return str(test or "")


def mounts(service: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """Container path -> (source, read_only) of a service's short-syntax volumes."""
    out: dict[str, tuple[str, bool]] = {}
    for volume in service.get("volumes", []):
        parts = str(volume).split(":")
        source, target = parts[0], parts[1]
        out[target] = (source, len(parts) > 2 and "ro" in parts[2].split(","))
    return out


def volume_holding(service: dict[str, Any], path: str) -> tuple[str, bool] | None:
    """(source, read_only) of the mount that contains `path` in `service`, if any."""
    best: tuple[str, tuple[str, bool]] | None = None
    for target, mount in mounts(service).items():
        if path == target or path.startswith(target.rstrip("/") + "/"):
            if best is None or len(target) > len(best[0]):
                best = (target, mount)
    return best[1] if best else None


def issuer_script(compose: dict[str, Any]) -> str:
    command = compose["services"][DEV_ISSUER].get("command")
    return " ".join(command) if isinstance(command, list) else str(command or "")


def issuer_writes(compose: dict[str, Any], path: str) -> bool:
    """The dev issuer's command writes `path` into a writable, named volume it shares."""
    issuer = compose["services"][DEV_ISSUER]
    holder = volume_holding(issuer, path)
    return bool(
        holder is not None
        and not holder[1]
        and re.search(rf"\s{re.escape(path)}(\s|$)", issuer_script(compose))
    )


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any]) -> dict[str, Any]:
    """The compose file as Docker would see it with no .env (dev defaults)."""
    return interpolate(raw_compose, {})


@pytest.fixture(scope="module")
def collector_config() -> dict[str, Any]:
    return yaml.safe_load(COLLECTOR_CONFIG.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the stack


def test_every_service_and_infrastructure_component_is_present(compose: dict[str, Any]) -> None:
    services = compose["services"]
    missing = [name for name in (*SERVICES, *INFRASTRUCTURE, SIMULATOR, DEV_ISSUER) if name not in services]
    assert not missing, f"missing compose services: {missing}"


def test_compose_interpolates_without_an_env_file(raw_compose: dict[str, Any]) -> None:
    # Every ${VAR} has a (dev-only) default: `docker compose up` works with no .env.
    interpolate(raw_compose, {})


def test_env_example_documents_every_compose_variable(raw_compose: dict[str, Any]) -> None:
    used = variables_used(raw_compose)
    documented = set(read_env_file(ENV_EXAMPLE))
    assert used <= documented, f"not in compose.env.example: {sorted(used - documented)}"
    assert documented <= used, f"unused in docker-compose.yml: {sorted(documented - used)}"
    assert not any(name.startswith("OSAME_") for name in used), (
        "compose substitution variables must not use the services' OSAME_ settings prefix"
    )


def test_env_example_values_interpolate(raw_compose: dict[str, Any]) -> None:
    env = read_env_file(ENV_EXAMPLE)
    rendered = interpolate(raw_compose, env)
    url = env_mapping(rendered["services"]["receipts"])["OSAME_AMQP_URL"]
    assert env["BROKER_RECEIPTS_PASSWORD"] in url and env["RABBITMQ_PASSWORD"] not in url


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name in INFRASTRUCTURE:
        image = compose["services"][name]["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: image {image!r} is not pinned"


@pytest.mark.parametrize("name", INFRASTRUCTURE)
def test_infrastructure_restarts(compose: dict[str, Any], name: str) -> None:
    assert compose["services"][name].get("restart") in ("unless-stopped", "always", "on-failure")


def test_rabbitmq(compose: dict[str, Any]) -> None:
    rabbit = compose["services"]["rabbitmq"]
    match = re.fullmatch(r"rabbitmq:3\.(\d+)(?:\.\d+)*-management(?:-alpine)?", rabbit["image"])
    assert match, f"rabbitmq must be a pinned 3.x management image, got {rabbit['image']!r}"
    # Quorum queues with at-least-once dead-lettering need RabbitMQ >= 3.10.
    assert int(match.group(1)) >= 10
    check = healthcheck_command(rabbit)
    assert "rabbitmq-diagnostics" in check and "ping" in check
    published = " ".join(str(p) for p in rabbit.get("ports", []))
    assert ":15672" in published, "management UI port 15672 is not published"


def test_postgres(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:1[56](?:\.\d+)?-alpine", postgres["image"]), postgres["image"]
    assert "pg_isready" in healthcheck_command(postgres)
    mounts = [str(v) for v in postgres.get("volumes", [])]
    init_mounts = [v for v in mounts if v.split(":")[1:2] == ["/docker-entrypoint-initdb.d"]]
    assert init_mounts, "deploy/postgres/init is not mounted at /docker-entrypoint-initdb.d"
    source = init_mounts[0].split(":")[0]
    assert (ROOT / source).resolve() == POSTGRES_INIT.resolve()
    assert "OSAME_DB_PASSWORD" in env_mapping(postgres), "the init script reads OSAME_DB_PASSWORD"


def test_postgres_init_script_creates_every_service_database() -> None:
    scripts = sorted(p for p in POSTGRES_INIT.iterdir() if p.suffix in (".sh", ".sql"))
    assert scripts, "no init script in deploy/postgres/init"
    text = "\n".join(p.read_text(encoding="utf-8") for p in scripts)
    assert "CREATE DATABASE" in text
    assert re.search(r"CREATE ROLE", text) and "osame" in text
    for _, _, _, database in SERVICES.values():
        assert re.search(rf"\b{database}\b", text), f"init script does not create {database}"
    for script in scripts:
        if script.suffix == ".sh":
            assert script.stat().st_mode & 0o111, f"{script.name} must be executable"
            assert "ON_ERROR_STOP=1" in script.read_text(encoding="utf-8")


def test_otel_collector_service(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    assert collector["image"].startswith("otel/opentelemetry-collector-contrib:")
    mounts = [str(v) for v in collector.get("volumes", [])]
    config_mounts = [v for v in mounts if (ROOT / v.split(":")[0]).resolve() == COLLECTOR_CONFIG.resolve()]
    assert config_mounts, "deploy/otel-collector/config.yaml is not mounted into the collector"
    target = config_mounts[0].split(":")[1]
    command = " ".join(collector.get("command") or [])
    assert f"--config={target}" in command or target == "/etc/otelcol-contrib/config.yaml"
    assert env_mapping(collector).get("OSAME_TRACE_BACKEND_ENDPOINT") == "jaeger:4317"
    assert "jaeger" in (collector.get("depends_on") or {})


def test_jaeger(compose: dict[str, Any]) -> None:
    jaeger = compose["services"]["jaeger"]
    # Jaeger v2 (v1, all-in-one, reached end of life); it receives OTLP by default.
    repo, _, tag = jaeger["image"].rpartition(":")
    assert repo == "jaegertracing/jaeger" and tag.startswith("2."), jaeger["image"]
    published = " ".join(str(p) for p in jaeger.get("ports", []))
    assert ":16686" in published, "Jaeger UI port 16686 is not published"


# ------------------------------------------------------------- the services


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_is_built_from_the_repo_dockerfile(compose: dict[str, Any], name: str) -> None:
    package, command, port, _ = SERVICES[name]
    build = compose["services"][name].get("build")
    assert isinstance(build, dict), f"{name}: no build section"
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    assert context == ROOT.resolve(), f"{name}: build context must be the repository root"
    assert build.get("dockerfile") == DOCKERFILE
    assert (context / build["dockerfile"]).is_file()
    args = {k: str(v) for k, v in (build.get("args") or {}).items()}
    assert args.get("SERVICE_PACKAGE") == package
    assert args.get("SERVICE_COMMAND") == command
    assert args.get("SERVICE_PORT") == str(port)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_has_a_healthcheck(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    healthcheck = service.get("healthcheck")
    assert healthcheck, f"{name}: no healthcheck"
    assert not healthcheck.get("disable"), f"{name}: healthcheck disabled"
    command = healthcheck_command(service)
    assert "/app/healthcheck.py" in command and re.search(r"/(healthz|readyz)\b", command), command
    assert "curl" not in command and "wget" not in command, "slim images have no curl/wget"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_waits_for_its_dependencies(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must use the long form with conditions"
    expected = {
        "rabbitmq": "service_healthy",
        "postgres": "service_healthy",
        "otel-collector": "service_started",
    }
    for dependency, condition in expected.items():
        assert (depends_on.get(dependency) or {}).get("condition") == condition, (
            f"{name}: depends_on {dependency} must have condition {condition}"
        )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_restart_policy_and_drain_time(compose: dict[str, Any], name: str) -> None:
    service = compose["services"][name]
    assert service.get("restart") in ("unless-stopped", "always", "on-failure")
    grace = str(service.get("stop_grace_period", "10s"))
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= 30, "allow >= 30s to drain"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_environment(compose: dict[str, Any], name: str) -> None:
    _, command, port, database = SERVICES[name]
    env = env_mapping(compose["services"][name])

    amqp = urlsplit(env["OSAME_AMQP_URL"])
    assert amqp.scheme == "amqp" and amqp.hostname == "rabbitmq" and amqp.port == 5672
    principal = "intermediate-server-gw" if name == "gateway" else name
    assert amqp.username == f"osame-{principal}", f"{name} must connect as its own broker user"
    assert amqp.password

    db = urlsplit(env["OSAME_DATABASE_URL"])
    assert db.scheme == "postgresql+asyncpg"
    assert db.hostname == "postgres" and db.port == 5432
    assert db.username == "osame" and db.password
    assert db.path == f"/{database}", f"{name} must use its own database {database}"

    assert env["OSAME_HTTP_HOST"] == "0.0.0.0"
    assert env["OSAME_HTTP_PORT"] == str(port)
    assert env["OSAME_DATA_DIR"]
    assert env["OSAME_LOG_LEVEL"]
    assert env["OTEL_SERVICE_NAME"] == command
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4317"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
    assert "deployment.environment.name=compose" in env["OTEL_RESOURCE_ATTRIBUTES"]
    # The compose stack trusts the development token issuer, which production refuses (the
    # database is named above all the same).
    assert env["OSAME_ENVIRONMENT"] == "development"


def test_service_names_databases_and_ports_are_unique(compose: dict[str, Any]) -> None:
    envs = [env_mapping(compose["services"][name]) for name in SERVICES]
    for key in ("OTEL_SERVICE_NAME", "OSAME_DATABASE_URL", "OSAME_HTTP_PORT"):
        values = [env[key] for env in envs]
        assert len(set(values)) == len(values), f"{key} is not unique per service: {values}"
    host_ports: list[str] = []
    for service in compose["services"].values():
        for mapping in service.get("ports", []):
            parts = str(mapping).split(":")
            host_ports.append(":".join(parts[:-1]))
    assert len(set(host_ports)) == len(host_ports), f"host port published twice: {host_ports}"


def test_my_number_key_is_generated_not_defaulted(
    compose: dict[str, Any], raw_compose: dict[str, Any]
) -> None:
    # No fallback key anywhere: keygen writes MYNUMBER_KEY from .env, or a random key once.
    for name, service in raw_compose["services"].items():
        assert "OSAME_MYNUMBER_KEY" not in env_mapping(service), (
            f"{name}: a My Number key in the compose file"
        )
    assert not re.search(r"MYNUMBER_KEY:-[A-Za-z0-9+/=]{8,}", COMPOSE_FILE.read_text(encoding="utf-8"))
    keygen = compose["services"][KEYGEN]
    script = " ".join(keygen["command"])
    assert "os.urandom(32)" in script and "base64" in script and "-s " in script, "generate once, keep after"
    assert keygen.get("restart") in (None, "no")
    holder = volume_holding(keygen, MYNUMBER_KEY_FILE)
    assert holder and not holder[1], "keygen must write the key into a named volume"
    for name in SERVICES:
        service = compose["services"][name]
        mounted = volume_holding(service, MYNUMBER_KEY_FILE)
        if name == "address-sync":
            assert mounted == (holder[0], True), "address-sync mounts the key volume read-only"
            assert MYNUMBER_KEY_FILE in " ".join(service["command"]) and "OSAME_MYNUMBER_KEY" in " ".join(
                service["command"]
            )
            assert service["depends_on"][KEYGEN]["condition"] == "service_completed_successfully"
        else:
            assert mounted is None or mounted[0] != holder[0], f"{name} must not mount the My Number key"


# ------------------------------------------------- simulator, auth, gateway wiring


def test_simulator_is_built_from_the_repo_dockerfile_with_a_healthcheck(compose: dict[str, Any]) -> None:
    simulator = compose["services"][SIMULATOR]
    build = simulator.get("build")
    assert isinstance(build, dict), "simulator: no build section"
    assert (COMPOSE_FILE.parent / build.get("context", ".")).resolve() == ROOT.resolve()
    assert build.get("dockerfile") == DOCKERFILE
    args = {k: str(v) for k, v in (build.get("args") or {}).items()}
    assert args.get("SERVICE_PACKAGE") == "osame-simulator"
    assert args.get("SERVICE_COMMAND") == "osame-simulator"
    assert args.get("SERVICE_PORT") == str(SIMULATOR_PORT)
    command = healthcheck_command(simulator)
    assert "/app/healthcheck.py" in command and "/healthz" in command, command
    assert not (simulator.get("healthcheck") or {}).get("disable")
    assert simulator.get("restart") in ("unless-stopped", "always", "on-failure")


def test_simulator_listens_where_the_gateway_and_the_healthcheck_look(compose: dict[str, Any]) -> None:
    env = env_mapping(compose["services"][SIMULATOR])
    # The simulator binds 127.0.0.1 by default: unreachable from the gateway's container.
    assert env.get("OSAME_SIMULATOR_HOST") == "0.0.0.0"
    port = int(env.get("OSAME_SIMULATOR_PORT", SIMULATOR_PORT))
    assert int(env.get("OSAME_HTTP_PORT", port)) == port, "healthcheck.py probes OSAME_HTTP_PORT"
    network = urlsplit(env_mapping(compose["services"]["gateway"])["OSAME_NETWORK_URL"])
    assert network.scheme == "http" and network.hostname == SIMULATOR and network.port == port
    assert not any("OSAME_AMQP_URL" in k or "OSAME_DATABASE_URL" in k for k in env), (
        "the simulator is no service"
    )


def test_gateway_reaches_address_sync_with_a_service_token(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["gateway"]
    env = env_mapping(gateway)
    url = urlsplit(env["OSAME_ADDRESS_SYNC_URL"])
    assert url.hostname == "address-sync" and url.port == SERVICES["address-sync"][2]
    assert "OSAME_ADDRESS_SYNC_TOKEN" in env or "OSAME_ADDRESS_SYNC_TOKEN_FILE" in env
    if "OSAME_ADDRESS_SYNC_TOKEN_FILE" in env:
        path = env["OSAME_ADDRESS_SYNC_TOKEN_FILE"]
        holder = volume_holding(gateway, path)
        assert holder, f"gateway: {path} is not on a mounted volume"
        assert holder[1], "gateway: the token volume must be mounted read-only"
        assert issuer_writes(compose, path), f"the dev issuer does not write {path}"
    depends_on = gateway.get("depends_on") or {}
    assert (depends_on.get(SIMULATOR) or {}).get("condition") == "service_healthy"
    assert "address-sync" in depends_on
    for name in SERVICES:
        if name != "gateway":
            other = env_mapping(compose["services"][name])
            assert not {"OSAME_ADDRESS_SYNC_TOKEN", "OSAME_ADDRESS_SYNC_TOKEN_FILE"} & set(other), name


def test_gateway_token_is_issued_for_the_identity_address_sync_releases_to() -> None:
    from osame_address_sync.bootstrap import AddressSyncSettings
    from osame_chassis.auth import DEFAULT_ROLE_PERMISSIONS, grants

    assert GATEWAY_SUBJECT in AddressSyncSettings.model_fields["mynumber_release_callers"].get_default(
        call_default_factory=True
    )
    assert grants(DEFAULT_ROLE_PERMISSIONS[GATEWAY_ROLE], "address-sync:individual-number.read")


def test_dev_issuer_issues_the_gateway_token(compose: dict[str, Any]) -> None:
    script = issuer_script(compose)
    assert "osame auth dev-token" in script and "osame auth jwks" in script
    assert re.search(rf"--user\s+{GATEWAY_SUBJECT}\b", script), "token subject must be the gateway"
    assert re.search(rf"--roles\s+{GATEWAY_ROLE}\b", script), f"token must carry role {GATEWAY_ROLE}"
    issuer = compose["services"][DEV_ISSUER]
    assert issuer.get("restart") in (None, "no"), "the dev issuer is a one-shot container"
    args = {k: str(v) for k, v in (issuer.get("build") or {}).get("args", {}).items()}
    assert args.get("SERVICE_PACKAGE") == "osame-cli" and args.get("SERVICE_COMMAND") == "osame"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_verifies_staff_tokens_against_the_dev_issuer(compose: dict[str, Any], name: str) -> None:
    from osame_chassis.auth import DevIssuer

    service = compose["services"][name]
    env = env_mapping(service)
    assert str(env.get("OSAME_AUTH_ENABLED", "true")).lower() != "false", f"{name}: auth disabled"
    path = env.get("OSAME_AUTH_JWKS_FILE")
    assert path, f"{name}: no OSAME_AUTH_JWKS_FILE"
    holder = volume_holding(service, path)
    assert holder, f"{name}: {path} is not on a mounted volume"
    assert holder[1], f"{name}: the JWKS volume must be mounted read-only"
    assert issuer_writes(compose, path), f"the dev issuer does not write {path}"
    assert holder[0] == volume_holding(compose["services"][DEV_ISSUER], path)[0]
    # The issuer's private key (its --issuer-dir) lives on a volume no service mounts.
    key_dirs = set(re.findall(r"--issuer-dir\s+(\S+)", issuer_script(compose)))
    assert key_dirs, "the dev issuer's command names no --issuer-dir"
    for key_dir in key_dirs:
        key_volume = volume_holding(compose["services"][DEV_ISSUER], key_dir)
        assert key_volume and not key_volume[1], f"dev issuer: {key_dir} is not a writable volume"
        assert key_volume[0] != holder[0], "the issuer key must not share the volume services mount"
        assert key_volume[0] not in {source for source, _ in mounts(service).values()}, (
            f"{name} mounts the dev issuer's key volume"
        )
    issuer = DevIssuer(ROOT)
    assert env.get("OSAME_AUTH_ISSUER", issuer.issuer) == issuer.issuer
    assert env.get("OSAME_AUTH_AUDIENCE", issuer.audience) == issuer.audience
    depends_on = service.get("depends_on") or {}
    assert (depends_on.get(DEV_ISSUER) or {}).get("condition") == "service_completed_successfully", (
        f"{name} must start after the dev issuer wrote the keys"
    )


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source!r} not declared"


def test_dev_only_defaults_are_marked() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert text.count("DEV-ONLY") >= 3
    assert "dev-only" in text


@pytest.mark.skipif(shutil.which("docker") is None, reason="docker client not installed")
def test_docker_compose_config_accepts_the_file() -> None:
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("docker compose plugin not available")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------ OpenTelemetry Collector


def test_collector_pipelines_reference_defined_components(collector_config: dict[str, Any]) -> None:
    pipelines = collector_config["service"]["pipelines"]
    assert {"traces", "metrics", "logs"} <= set(pipelines)
    connectors = collector_config.get("connectors") or {}
    for pipeline_name, pipeline in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                if section != "processors" and component in connectors:
                    continue
                assert component in (collector_config.get(section) or {}), (
                    f"{pipeline_name}: {section[:-1]} {component!r} is not defined"
                )
        processors = pipeline.get("processors", [])
        assert processors[0] == "memory_limiter", f"{pipeline_name}: memory_limiter must come first"
        assert processors[-1] == "batch", f"{pipeline_name}: batch must come last"
    for extension in collector_config["service"].get("extensions", []):
        assert extension in collector_config.get("extensions", {})


def test_collector_receives_otlp_grpc_and_http(collector_config: dict[str, Any]) -> None:
    protocols = collector_config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"


def test_collector_traces_pipeline_redacts_and_exports_to_jaeger(
    collector_config: dict[str, Any], compose: dict[str, Any]
) -> None:
    traces = collector_config["service"]["pipelines"]["traces"]
    assert "transform/drop_personal_data" in traces["processors"]
    assert any(p.startswith("redaction") for p in traces["processors"])
    assert "transform/drop_personal_data" in collector_config["service"]["pipelines"]["logs"]["processors"]

    jaeger_exporters = [e for e in traces["exporters"] if e.startswith("otlp") and "jaeger" in e]
    assert jaeger_exporters, "traces pipeline has no OTLP exporter to Jaeger"
    exporter = collector_config["exporters"][jaeger_exporters[0]]
    endpoint = exporter["endpoint"]
    collector_env = env_mapping(compose["services"]["otel-collector"])
    resolved = re.sub(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: collector_env[m.group(1)], endpoint)
    assert resolved == "jaeger:4317", f"traces go to {resolved!r}, not Jaeger's OTLP/gRPC port"


def _run_ottl(statements: list[str], attributes: dict[str, str]) -> dict[str, str]:
    """Evaluate the small OTTL subset the collector config uses on one item."""
    attrs = dict(attributes)
    cache: dict[str, str] = {}
    maps = {"attributes": attrs, "cache": cache}
    for statement in statements:
        if m := re.fullmatch(r'merge_maps\((\w+), (\w+), "(insert|upsert)"\)', statement):
            target, source, strategy = maps[m.group(1)], maps[m.group(2)], m.group(3)
            for key, value in source.items():
                if strategy == "upsert" or key not in target:
                    target[key] = value
        elif m := re.fullmatch(r"keep_keys\((\w+), (\[.*\])\)", statement):
            keep = set(json.loads(m.group(2)))
            target = maps[m.group(1)]
            for key in list(target):
                if key not in keep:
                    del target[key]
        elif m := re.fullmatch(r'delete_matching_keys\((\w+), "(.*)"\)', statement):
            pattern = re.compile(m.group(2))
            target = maps[m.group(1)]
            for key in list(target):
                if pattern.search(key):
                    del target[key]
        else:
            raise AssertionError(f"statement not understood by this test, extend _run_ottl: {statement}")
    return attrs


@pytest.mark.parametrize(
    ("signal", "context"),
    [("trace_statements", "span"), ("trace_statements", "spanevent"), ("log_statements", "log")],
)
def test_collector_drops_personal_data_keys(
    collector_config: dict[str, Any], signal: str, context: str
) -> None:
    transform = collector_config["processors"]["transform/drop_personal_data"]
    groups = [g for g in transform[signal] if g["context"] == context]
    assert groups, f"no {context} statements in transform/drop_personal_data"
    statements = [s for g in groups for s in g["statements"]]
    attributes = {key: "x" for key in (*PERSONAL_KEYS, *KEPT_KEYS)}
    result = _run_ottl(statements, attributes)
    leaked = [key for key in PERSONAL_KEYS if key in result]
    assert not leaked, f"{context}: personal-data keys survive: {leaked}"
    if context == "span":
        lost = [key for key in KEPT_KEYS if key not in result]
        assert not lost, f"span: useful keys deleted: {lost}"
    else:
        assert "osame.receipt_id" in result


def test_collector_masks_my_number_values(collector_config: dict[str, Any]) -> None:
    redaction = next(v for k, v in collector_config["processors"].items() if k.startswith("redaction"))
    assert redaction.get("allow_all_keys") is True, "redaction must only mask values, not drop all keys"
    patterns = [re.compile(p) for p in redaction["blocked_values"]]

    def masked(value: str) -> bool:
        return any(p.search(value) for p in patterns)

    assert masked("123456789012")
    assert masked("1234-5678-9012")
    assert masked("my number 1234 5678 9012 given")
    assert not masked("12345678901234")  # 14 digits: not a My Number
    assert not masked("receipt-2025-000123")


def test_k8s_collector_config_is_identical() -> None:
    k8s_copy = ROOT / "deploy" / "k8s" / "base" / "otel-collector" / "config.yaml"
    assert k8s_copy.read_bytes() == COLLECTOR_CONFIG.read_bytes(), (
        "deploy/k8s/base/otel-collector/config.yaml must be a copy of deploy/otel-collector/config.yaml"
    )


# --------------------------------------------------------------- RabbitMQ


def test_rabbitmq_definitions_declare_the_exchanges() -> None:
    definitions = json.loads(RABBITMQ_DEFINITIONS.read_text(encoding="utf-8"))
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    # Topic exchanges all three, so topic permissions limit the routing keys on every one.
    expected = {"osame.events": "topic", "osame.commands": "topic", "osame.dlx": "topic"}
    for name, kind in expected.items():
        assert name in exchanges, f"exchange {name} missing"
        assert exchanges[name]["type"] == kind
        assert exchanges[name]["durable"] is True
        assert exchanges[name]["auto_delete"] is False
    for queue in definitions.get("queues", []):
        args = queue.get("arguments", {})
        if queue["name"].endswith(".dlq"):
            assert args.get("x-queue-type") == "quorum"
            assert isinstance(args.get("x-message-ttl"), int) and args["x-message-ttl"] > 0, "DLQ retention"
            assert isinstance(args.get("x-max-length"), int) and args["x-max-length"] > 0
            assert args.get("x-overflow") == "reject-publish", "a full DLQ holds dead letters back"
            continue
        assert args.get("x-queue-type") == "quorum"
        assert args.get("x-dead-letter-exchange") == "osame.dlx"
        assert args.get("x-dead-letter-strategy") == "at-least-once"
        assert args.get("x-overflow") == "reject-publish"
        assert isinstance(args.get("x-delivery-limit"), int)


def test_rabbitmq_definitions_are_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location(
        "osame_deploy_generate_definitions", RABBITMQ_DEFINITIONS.parent / "generate_definitions.py"
    )
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    expected = generator.render(generator.build_definitions())
    assert RABBITMQ_DEFINITIONS.read_text(encoding="utf-8") == expected, (
        "deploy/rabbitmq/definitions.json is stale: "
        "uv run python deploy/rabbitmq/generate_definitions.py > deploy/rabbitmq/definitions.json"
    )


def test_rabbitmq_definitions_give_every_work_queue_a_bound_dlq() -> None:
    definitions = json.loads(RABBITMQ_DEFINITIONS.read_text(encoding="utf-8"))
    queues = {q["name"] for q in definitions["queues"]}
    work_queues = {q for q in queues if not q.endswith(".dlq")}
    assert work_queues, "no work queues in the definitions"
    dlx_bindings = {
        (b["destination"], b["routing_key"]) for b in definitions["bindings"] if b["source"] == "osame.dlx"
    }
    for queue in work_queues:
        assert f"{queue}.dlq" in queues, f"{queue} has no DLQ"
        assert (f"{queue}.dlq", queue) in dlx_bindings, f"{queue}.dlq is not bound to osame.dlx"
