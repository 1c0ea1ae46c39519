"""Structure checks for the kustomize tree in deploy/k8s.

Static YAML checks always run; where `kubectl` or `kustomize` is installed the
overlays are also rendered (offline) and the rendered objects are checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = ("dev", "prod")

# Deployment name -> (container port, database)
SERVICES = {
    "osame-receipts": (8101, "osame_receipts"),
    "osame-refunds": (8102, "osame_refunds"),
    "osame-collection": (8103, "osame_collection"),
    "osame-address-sync": (8104, "osame_address_sync"),
    "osame-gateway": (8105, "osame_gateway"),
}
MULTI_REPLICA_IN_PROD = ("osame-receipts", "osame-collection")
SECRET_ENV = ("OSAME_AMQP_URL", "OSAME_DATABASE_URL", "OSAME_MYNUMBER_KEY", "OSAME_ADDRESS_SYNC_TOKEN")
DATA_DIR = "/var/lib/osame"
AUTH_CONFIG = "osame-auth-env"
GATEWAY = "osame-gateway"
GATEWAY_CONFIG = "osame-gateway-env"
ADDRESS_SYNC = "osame-address-sync"
SIMULATOR = "osame-simulator"
SIMULATOR_PORT = 8190  # osame_simulator.app.SimulatorSettings.port


# --------------------------------------------------------------------- helpers


def load_kustomization(directory: Path) -> dict[str, Any]:
    return yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))


def all_kustomization_dirs() -> list[Path]:
    return sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def generator_files(kustomization: dict[str, Any]) -> list[str]:
    files: list[str] = []
    for generator in (
        *kustomization.get("configMapGenerator", []),
        *kustomization.get("secretGenerator", []),
    ):
        for entry in generator.get("files", []):
            files.append(entry.split("=", 1)[-1])
        files.extend(generator.get("envs", []))
    return files


def load_resources(directory: Path) -> list[dict[str, Any]]:
    """Objects of the plain resource files of one kustomization (no base, no patches)."""
    objects: list[dict[str, Any]] = []
    for entry in load_kustomization(directory).get("resources", []):
        path = directory / entry
        if path.is_file():
            objects.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return objects


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o.get("kind") == kind}


@cache
def base_objects() -> tuple[dict[str, Any], ...]:
    return tuple(load_resources(BASE))


def base_deployments() -> dict[str, dict[str, Any]]:
    return by_kind(list(base_objects()), "Deployment")


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']}: expected one container"
    return containers[0]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def generator(kustomization: dict[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    return next((g for g in kustomization.get(kind, []) if g["name"] == name), None)


def literals(entry: dict[str, Any] | None) -> dict[str, str]:
    return dict(item.split("=", 1) for item in (entry or {}).get("literals", []))


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = selector.get("matchLabels", {})
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


# ------------------------------------------------------------ kustomize tree


def test_base_and_overlays_exist() -> None:
    assert (BASE / "kustomization.yaml").is_file()
    for overlay in OVERLAYS:
        assert (K8S / "overlays" / overlay / "kustomization.yaml").is_file()
    assert (K8S / "README.md").is_file()


@pytest.mark.parametrize("directory", all_kustomization_dirs(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_referenced_file_exists(directory: Path) -> None:
    kustomization = load_kustomization(directory)
    missing: list[str] = []
    for entry in kustomization.get("resources", []) + kustomization.get("components", []):
        path = directory / entry
        if not (path.is_file() or (path / "kustomization.yaml").is_file()):
            missing.append(entry)
    for patch in kustomization.get("patches", []) + kustomization.get("patchesStrategicMerge", []):
        entry = patch.get("path") if isinstance(patch, dict) else patch
        if entry and not (directory / entry).is_file():
            missing.append(entry)
    for entry in generator_files(kustomization):
        if not (directory / entry).is_file():
            missing.append(entry)
    assert not missing, f"{directory.relative_to(ROOT)}: missing {missing}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_references_base(overlay: str) -> None:
    directory = K8S / "overlays" / overlay
    resources = load_kustomization(directory).get("resources", [])
    assert any((directory / r).resolve() == BASE.resolve() for r in resources), f"{overlay} does not use base"
    assert load_kustomization(directory).get("namespace"), f"{overlay} sets no namespace"


def test_base_is_namespace_agnostic() -> None:
    assert "namespace" not in load_kustomization(BASE)
    for obj in base_objects():
        assert "namespace" not in obj["metadata"], f"{obj['kind']}/{obj['metadata']['name']} has a namespace"
        assert obj["kind"] != "Namespace"


# ------------------------------------------------------------ base services


def test_every_service_is_in_base() -> None:
    deployments = base_deployments()
    services = by_kind(list(base_objects()), "Service")
    for name in SERVICES:
        assert name in deployments, f"Deployment {name} missing from base"
        assert name in services, f"Service {name} missing from base"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_deployment_probes(name: str) -> None:
    container = container_of(base_deployments()[name])
    port_names = {p.get("name") for p in container["ports"]}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        spec = container.get(probe)
        assert spec, f"{name}: no {probe}"
        assert spec["httpGet"]["path"] == path, f"{name}: {probe} must GET {path}"
        assert spec["httpGet"]["port"] in port_names | {SERVICES[name][0]}
    startup = container.get("startupProbe")
    if startup:
        assert startup["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_deployment_security_context(name: str) -> None:
    deployment = base_deployments()[name]
    pod = deployment["spec"]["template"]["spec"]
    container = container_of(deployment)
    pod_sc = pod.get("securityContext", {})
    sc = container.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True or sc.get("runAsNonRoot") is True
    assert sc.get("runAsUser", pod_sc.get("runAsUser")) not in (None, 0), f"{name}: no non-root runAsUser"
    assert sc.get("readOnlyRootFilesystem") is True
    assert sc.get("allowPrivilegeEscalation") is False
    assert "ALL" in sc.get("capabilities", {}).get("drop", [])
    assert pod.get("automountServiceAccountToken") is False


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_deployment_writable_dirs_are_empty_dirs(name: str) -> None:
    deployment = base_deployments()[name]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"].get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in container_of(deployment).get("volumeMounts", [])}
    for path in ("/tmp", DATA_DIR):
        assert path in mounts, f"{name}: {path} not mounted (read-only root filesystem)"
        assert "emptyDir" in volumes[mounts[path]], f"{name}: {path} is not an emptyDir"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_deployment_drain_and_resources(name: str) -> None:
    deployment = base_deployments()[name]
    pod = deployment["spec"]["template"]["spec"]
    assert pod.get("terminationGracePeriodSeconds", 30) >= 30
    resources = container_of(deployment).get("resources", {})
    for section in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources.get(section, {})), f"{name}: resources.{section}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_deployment_environment(name: str) -> None:
    port, _ = SERVICES[name]
    container = container_of(base_deployments()[name])
    assert {p["containerPort"] for p in container["ports"]} == {port}
    env = env_of(container)
    assert env["OSAME_HTTP_PORT"]["value"] == str(port)
    assert env["OTEL_SERVICE_NAME"]["value"] == name
    for key, secret_key in (("OSAME_AMQP_URL", "amqp-url"), ("OSAME_DATABASE_URL", "database-url")):
        ref = env[key].get("valueFrom", {}).get("secretKeyRef")
        assert ref, f"{name}: {key} must come from a Secret"
        assert ref["name"] == name and ref["key"] == secret_key
    if name == "osame-address-sync":
        ref = env["OSAME_MYNUMBER_KEY"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == "osame-mynumber-key"
    else:
        assert "OSAME_MYNUMBER_KEY" not in env, f"{name} must not receive the My Number key"
    config_maps = [e["configMapRef"]["name"] for e in container.get("envFrom", []) if "configMapRef" in e]
    assert "osame-common-env" in config_maps


def test_common_config_map_holds_only_non_secret_settings() -> None:
    common = literals(generator(load_kustomization(BASE), "configMapGenerator", "osame-common-env"))
    for key in ("OSAME_HTTP_HOST", "OSAME_LOG_LEVEL", "OSAME_DATA_DIR", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        assert key in common, f"osame-common-env lacks {key}"
    assert common["OSAME_HTTP_HOST"] == "0.0.0.0"
    assert common["OSAME_DATA_DIR"] == DATA_DIR
    assert common["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
    assert not set(SECRET_ENV) & set(common), "secrets must not be in a ConfigMap"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_selects_its_deployment(name: str) -> None:
    service = by_kind(list(base_objects()), "Service")[name]
    deployment = base_deployments()[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
    assert selector_matches(deployment["spec"]["selector"], labels)
    port_names = {p.get("name") for p in container_of(deployment)["ports"]}
    for port in service["spec"]["ports"]:
        assert port["targetPort"] in port_names | {SERVICES[name][0]}


def test_otel_collector_in_base() -> None:
    kustomization = load_kustomization(BASE)
    config = generator(kustomization, "configMapGenerator", "otel-collector-config")
    assert config, "otel collector config is not generated as a ConfigMap"
    (entry,) = config["files"]
    key, _, path = entry.partition("=")
    assert key == "config.yaml"
    assert (BASE / path).read_bytes() == (ROOT / "deploy" / "otel-collector" / "config.yaml").read_bytes()
    deployment = base_deployments()["otel-collector"]
    container = container_of(deployment)
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert any(v.get("configMap", {}).get("name") == "otel-collector-config" for v in volumes)
    assert container["livenessProbe"] and container["readinessProbe"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert ":" in container["image"] and not container["image"].endswith(":latest")
    assert "otel-collector" in by_kind(list(base_objects()), "Service")


# ------------------------------------------------------ auth and gateway wiring


def config_literals(directory: Path, name: str) -> dict[str, str]:
    """Literals of ConfigMap `name` as an overlay renders it (base, then the overlay's merge)."""
    merged = literals(generator(load_kustomization(BASE), "configMapGenerator", name))
    if directory != BASE:
        entry = generator(load_kustomization(directory), "configMapGenerator", name)
        if entry is not None:
            assert entry.get("behavior") == "merge", f"{directory.name}: {name} must merge with base"
            merged.update(literals(entry))
    return merged


def config_map_refs(container: dict[str, Any]) -> list[str]:
    return [e["configMapRef"]["name"] for e in container.get("envFrom", []) if "configMapRef" in e]


def unhashed(name: str) -> str:
    """A generated ConfigMap/Secret name without kustomize's content-hash suffix."""
    return re.sub(r"-[a-z0-9]{10}$", "", name)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_reads_the_auth_config(name: str) -> None:
    container = container_of(base_deployments()[name])
    assert AUTH_CONFIG in config_map_refs(container), f"{name}: no envFrom {AUTH_CONFIG}"
    env = env_of(container)
    assert not {"OSAME_AUTH_JWKS_FILE", "OSAME_AUTH_JWKS", "OSAME_AUTH_ENABLED"} & set(env), (
        f"{name}: keys come from the issuer's JWKS URL, and auth is never disabled in Kubernetes"
    )


@pytest.mark.parametrize("directory", [BASE, *(K8S / "overlays" / o for o in OVERLAYS)], ids=lambda p: p.name)
def test_auth_config_points_at_an_issuer_jwks_url(directory: Path) -> None:
    auth = config_literals(directory, AUTH_CONFIG)
    url = urlsplit(auth.get("OSAME_AUTH_JWKS_URL", ""))
    assert url.scheme in ("http", "https") and url.hostname, f"{directory.name}: no OSAME_AUTH_JWKS_URL"
    if directory.name == "prod":
        assert url.scheme == "https", "prod: the JWKS must be fetched over TLS"
    assert auth.get("OSAME_AUTH_ISSUER") and auth.get("OSAME_AUTH_AUDIENCE")
    assert not {"OSAME_AUTH_JWKS_FILE", "OSAME_AUTH_JWKS", "OSAME_AUTH_ENABLED"} & set(auth)
    assert not {"OSAME_AUTH_JWKS_URL", "OSAME_AUTH_ISSUER"} & set(
        config_literals(directory, "osame-common-env")
    )


def test_gateway_reaches_address_sync_with_a_service_token() -> None:
    container = container_of(base_deployments()[GATEWAY])
    assert GATEWAY_CONFIG in config_map_refs(container)
    url = urlsplit(config_literals(BASE, GATEWAY_CONFIG)["OSAME_ADDRESS_SYNC_URL"])
    service = by_kind(list(base_objects()), "Service")[ADDRESS_SYNC]
    assert url.hostname == service["metadata"]["name"], (
        "OSAME_ADDRESS_SYNC_URL must name address-sync's Service"
    )
    assert url.port in {p["port"] for p in service["spec"]["ports"]}
    ref = env_of(container)["OSAME_ADDRESS_SYNC_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": GATEWAY, "key": "address-sync-token"}
    for name in SERVICES:
        if name != GATEWAY:
            other = container_of(base_deployments()[name])
            assert "OSAME_ADDRESS_SYNC_TOKEN" not in env_of(other), f"{name} must not get the gateway's token"
            assert GATEWAY_CONFIG not in config_map_refs(other)


def test_base_and_prod_configure_no_network() -> None:
    # The simulator is a development tool; with no OSAME_NETWORK_URL the gateway refuses
    # permitted queries `linkage_not_configured` instead of talking to something fake.
    for directory in (BASE, K8S / "overlays" / "prod"):
        assert "OSAME_NETWORK_URL" not in config_literals(directory, GATEWAY_CONFIG), directory.name
        names = {o["metadata"]["name"] for o in load_resources(directory)}
        assert SIMULATOR not in names, f"{directory.name} must not deploy the simulator"


def test_dev_runs_the_simulator_and_points_the_gateway_at_it() -> None:
    dev = K8S / "overlays" / "dev"
    objects = load_resources(dev)
    deployment = by_kind(objects, "Deployment").get(SIMULATOR)
    service = by_kind(objects, "Service").get(SIMULATOR)
    assert deployment and service, "dev: simulator Deployment/Service missing"
    container = container_of(deployment)
    env = {k: v.get("value") for k, v in env_of(container).items()}
    assert env.get("OSAME_SIMULATOR_HOST") == "0.0.0.0", "the simulator binds 127.0.0.1 by default"
    port = int(env.get("OSAME_SIMULATOR_PORT") or SIMULATOR_PORT)
    assert {p["containerPort"] for p in container["ports"]} == {port}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    sc = container.get("securityContext", {})
    assert sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False
    assert deployment["spec"].get("replicas", 1) == 1, "in-memory state: one replica"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())

    url = urlsplit(config_literals(dev, GATEWAY_CONFIG).get("OSAME_NETWORK_URL", ""))
    assert url.hostname == SIMULATOR, f"dev: OSAME_NETWORK_URL must name Service {SIMULATOR}"
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == url.port]
    assert service_port["targetPort"] in ("http", port)
    images = {i["name"]: i for i in load_kustomization(dev).get("images", [])}
    assert images.get(container["image"], {}).get("newTag"), "dev: no image tag for the simulator"


# ------------------------------------------------------------------ overlays


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_sets_an_image_for_every_service(overlay: str) -> None:
    kustomization = load_kustomization(K8S / "overlays" / overlay)
    images = {i["name"]: i for i in kustomization.get("images", [])}
    for name in SERVICES:
        base_image = container_of(base_deployments()[name])["image"]
        assert base_image in images, f"{overlay}: no image override for {base_image}"
        assert images[base_image].get("newTag") or images[base_image].get("digest")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_multi_replica_deployments_have_a_pdb(overlay: str) -> None:
    directory = K8S / "overlays" / overlay
    replicas = {r["name"]: r["count"] for r in load_kustomization(directory).get("replicas", [])}
    # Every service has a PodDisruptionBudget in base (deploy/k8s/base/policies/pdb.yaml).
    pdbs = [*by_kind(load_resources(directory), "PodDisruptionBudget").values()]
    pdbs += by_kind(load_resources(BASE), "PodDisruptionBudget").values()
    for name, count in replicas.items():
        if count > 1:
            labels = base_deployments()[name]["spec"]["template"]["metadata"]["labels"]
            assert any(selector_matches(p["spec"]["selector"], labels) for p in pdbs), f"{overlay}: {name}"


def test_prod_scales_receipts_and_collection() -> None:
    prod = load_kustomization(K8S / "overlays" / "prod")
    replicas = {r["name"]: r["count"] for r in prod.get("replicas", [])}
    for name in MULTI_REPLICA_IN_PROD:
        assert replicas.get(name, 1) > 1, f"prod: {name} should run more than one replica"
    assert prod.get("patches"), "prod should change resources"
    assert not prod.get("secretGenerator"), "production secrets must not live in the repository"


def test_dev_generates_every_referenced_secret() -> None:
    dev = load_kustomization(K8S / "overlays" / "dev")
    for name, (_, database) in SERVICES.items():
        secret = literals(generator(dev, "secretGenerator", name))
        assert {"amqp-url", "database-url"} <= set(secret), f"dev secret {name} incomplete"
        assert urlsplit(secret["amqp-url"]).scheme == "amqp"
        db = urlsplit(secret["database-url"])
        assert db.scheme == "postgresql+asyncpg" and db.path == f"/{database}"
    assert "mynumber-key" in literals(generator(dev, "secretGenerator", "osame-mynumber-key"))
    assert "address-sync-token" in literals(generator(dev, "secretGenerator", GATEWAY))


# -------------------------------------------------------- rendered overlays


def kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kubectl nor kustomize is installed")
    result = subprocess.run(
        [*command, str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"kustomize failed for {overlay}:\n{result.stderr}"
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay(overlay: str) -> None:
    objects = list(render(overlay))
    namespace = load_kustomization(K8S / "overlays" / overlay)["namespace"]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, f"{obj['kind']}/{obj['metadata']['name']}"

    deployments = by_kind(objects, "Deployment")
    config_maps = set(by_kind(objects, "ConfigMap"))
    secrets = set(by_kind(objects, "Secret"))
    pdbs = list(by_kind(objects, "PodDisruptionBudget").values())
    for name in SERVICES:
        assert name in deployments, f"{overlay}: {name} not rendered"
        container = container_of(deployments[name])
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert ":" in container["image"].rsplit("/", 1)[-1], f"{overlay}: {name} image has no tag"
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps
        refs = [unhashed(n) for n in config_map_refs(container)]
        assert AUTH_CONFIG in refs, f"{overlay}: {name} reads no auth config"
        if overlay == "dev":
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, f"dev: {name} refers to missing secret {ref['name']}"
                    data = by_kind(objects, "Secret")[ref["name"]].get("data", {})
                    assert ref["key"] in data, f"dev: secret {ref['name']} has no key {ref['key']}"

    rendered_maps = {unhashed(n): m for n, m in by_kind(objects, "ConfigMap").items()}
    auth = rendered_maps[AUTH_CONFIG]["data"]
    assert urlsplit(auth["OSAME_AUTH_JWKS_URL"]).hostname
    gateway_env = rendered_maps[GATEWAY_CONFIG]["data"]
    services = by_kind(objects, "Service")
    if overlay == "dev":
        network = urlsplit(gateway_env["OSAME_NETWORK_URL"])
        assert network.hostname in services and SIMULATOR in deployments
        assert network.port in {p["port"] for p in services[network.hostname]["spec"]["ports"]}
    else:
        assert "OSAME_NETWORK_URL" not in gateway_env and SIMULATOR not in deployments
    address_sync = urlsplit(gateway_env["OSAME_ADDRESS_SYNC_URL"])
    assert address_sync.hostname == ADDRESS_SYNC and address_sync.hostname in services

    for name, deployment in deployments.items():
        if deployment["spec"].get("replicas", 1) > 1:
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert any(selector_matches(p["spec"]["selector"], labels) for p in pdbs), (
                f"{overlay}: {name} has {deployment['spec']['replicas']} replicas but no PodDisruptionBudget"
            )
    if overlay == "prod":
        for name in MULTI_REPLICA_IN_PROD:
            assert deployments[name]["spec"]["replicas"] > 1
