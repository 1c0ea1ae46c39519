"""The staff console and its DEV-ONLY OIDC issuer in docker-compose.yml and deploy/k8s.

Pure file checks: the wiring a person would otherwise find broken only at the first sign-in
(redirect URI registered at the issuer, the same key as the services, the service URLs).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
K8S = ROOT / "deploy" / "k8s"
SERVICE_PORTS = {"receipts": 8101, "refunds": 8102, "collection": 8103, "address-sync": 8104, "gateway": 8105}


def env(service: str) -> dict[str, str]:
    return {k: str(v) for k, v in COMPOSE["services"][service]["environment"].items()}


def test_compose_builds_the_console_and_the_issuer_from_the_repo_dockerfile():
    for name, package, port in (
        ("console", "osame-console", "8106"),
        ("dev-oidc", "osame-dev-issuer", "8191"),
    ):
        service = COMPOSE["services"][name]
        assert service["build"]["args"] == {
            "SERVICE_PACKAGE": package,
            "SERVICE_COMMAND": package,
            "SERVICE_PORT": port,
        }
        assert service["healthcheck"]["test"][-1] in ("/healthz", "/readyz")
        assert env(name)["OSAME_HTTP_PORT"] == port  # what /app/healthcheck.py asks
        assert f"127.0.0.1:{port}:{port}" in service["ports"]


def test_compose_issuer_is_development_only_and_signs_with_the_services_key():
    issuer = env("dev-oidc")
    assert issuer["OSAME_ENVIRONMENT"] == "development"
    one_shot = COMPOSE["services"]["dev-issuer"]["volumes"]
    key_volume = next(v for v in one_shot if v.endswith(":/var/lib/osame-dev-issuer"))
    assert key_volume in COMPOSE["services"]["dev-oidc"]["volumes"]
    assert issuer["OSAME_DEV_ISSUER_DIRECTORY"] == "/var/lib/osame-dev-issuer"
    console = env("console")
    assert console["OSAME_AUTH_JWKS_FILE"] == env("collection")["OSAME_AUTH_JWKS_FILE"]
    assert console["OSAME_AUTH_ISSUER"] == env("collection")["OSAME_AUTH_ISSUER"]


def test_compose_console_redirects_are_registered_at_the_issuer():
    console, issuer = env("console"), env("dev-oidc")
    public = console["OSAME_CONSOLE_PUBLIC_URL"]
    assert json.loads(issuer["OSAME_DEV_ISSUER_CLIENTS"]) == {"osame-console": [f"{public}/auth/callback"]}
    assert json.loads(issuer["OSAME_DEV_ISSUER_POST_LOGOUT_REDIRECT_URIS"]) == {
        "osame-console": [f"{public}/auth/signed-out"]
    }
    discovery = urlsplit(console["OSAME_CONSOLE_OIDC_DISCOVERY_URL"])
    internal = urlsplit(issuer["OSAME_DEV_ISSUER_INTERNAL_URL"])
    assert (discovery.hostname, discovery.port) == ("dev-oidc", internal.port) == (internal.hostname, 8191)


def test_compose_console_reaches_every_service_by_its_compose_name():
    console = env("console")
    for name, port in SERVICE_PORTS.items():
        key = "OSAME_CONSOLE_" + ("GATEWAY" if name == "gateway" else name.upper().replace("-", "_")) + "_URL"
        assert console[key] == f"http://{name}:{port}"


def test_compose_console_secrets_are_marked_and_its_database_is_created():
    assert "CONSOLE_SESSION_SECRET" in (ROOT / "deploy" / "compose.env.example").read_text(encoding="utf-8")
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "DEV-ONLY default HMAC key of the session cookie" in text
    assert env("console")["OSAME_CONSOLE_DATABASE_URL"].endswith("/osame_console")
    assert "osame_console" in (ROOT / "deploy" / "postgres" / "init" / "10-osame-databases.sh").read_text()


# ------------------------------------------------------------------------------------- kubernetes


def kustomization(path: Path) -> dict:
    return yaml.safe_load((path / "kustomization.yaml").read_text(encoding="utf-8"))


def console_objects() -> dict[str, dict]:
    docs = yaml.safe_load_all((K8S / "base" / "console" / "console.yaml").read_text(encoding="utf-8"))
    return {d["kind"]: d for d in docs if d}


def config(path: Path, name: str) -> dict[str, str]:
    entry = next(g for g in kustomization(path)["configMapGenerator"] if g["name"] == name)
    return dict(item.split("=", 1) for item in entry["literals"])


def test_k8s_base_deploys_the_console_like_a_service():
    assert "console/console.yaml" in kustomization(K8S / "base")["resources"]
    objects = console_objects()
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False
    envs = {e["name"]: e for e in container["env"]}
    for key, secret_key in (
        ("OSAME_CONSOLE_SESSION_SECRET", "session-secret"),
        ("OSAME_CONSOLE_DATABASE_URL", "database-url"),
    ):
        assert envs[key]["valueFrom"]["secretKeyRef"] == {"name": "osame-console", "key": secret_key}
    config_maps = {e["configMapRef"]["name"] for e in container["envFrom"]}
    assert {"osame-common-env", "osame-auth-env", "osame-console-env"} <= config_maps
    assert objects["Service"]["spec"]["ports"][0]["port"] == 8106


def test_k8s_console_config_names_the_services_and_holds_no_secret():
    literals = config(K8S / "base", "osame-console-env")
    for name, port in SERVICE_PORTS.items():
        key = "OSAME_CONSOLE_" + ("GATEWAY" if name == "gateway" else name.upper().replace("-", "_")) + "_URL"
        assert literals[key] == f"http://osame-{name}:{port}"
    assert not {"OSAME_CONSOLE_SESSION_SECRET", "OSAME_CONSOLE_DATABASE_URL"} & set(literals)
    assert urlsplit(literals["OSAME_CONSOLE_PUBLIC_URL"]).scheme == "https"  # Secure cookies in production


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_k8s_overlays_set_the_console_image(overlay):
    images = {i["name"]: i for i in kustomization(K8S / "overlays" / overlay)["images"]}
    assert images["osame/console"].get("newTag")


def test_k8s_dev_generates_the_console_secret_and_prod_does_not():
    dev = kustomization(K8S / "overlays" / "dev")
    secret = next(g for g in dev["secretGenerator"] if g["name"] == "osame-console")
    values = dict(item.split("=", 1) for item in secret["literals"])
    assert len(values["session-secret"]) >= 32
    assert urlsplit(values["database-url"]).path == "/osame_console"
    assert not kustomization(K8S / "overlays" / "prod").get("secretGenerator")
