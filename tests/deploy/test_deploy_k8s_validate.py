"""Every overlay rendered and validated against the Kubernetes schemas (kubernetes-validate, offline,
strict), plus the rules a cluster operator relies on: probes, limits, securityContext, no inline
secret values, NetworkPolicies, migrations as Jobs, the nightly CronJob, autoscaling, PDBs, the
console's Ingress and the monitoring objects. Custom resources (ServiceMonitor, PrometheusRule,
RabbitmqCluster, Policy, CloudNativePG Cluster/Database) have no schema in kubernetes-validate:
they are checked here field by field instead."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
SERVICES = ("receipts", "refunds", "collection", "address-sync", "gateway")
SECRET_NAMES = re.compile(r"(URL|KEY|KEYS|TOKEN|PASSWORD|SECRET)$")
CUSTOM = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"),
    ("rabbitmq.com/v1beta1", "Policy"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "Database"),
}


@cache
def render(overlay: str) -> tuple[dict, ...]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (kubectl kustomize renders the overlays)")
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return tuple(d for d in yaml.safe_load_all(result.stdout) if d)


def named(objects, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects):
    for obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] in ("Deployment", "Job"):
            yield obj, spec["template"]["spec"]
        elif obj["kind"] == "CronJob":
            yield obj, spec["jobTemplate"]["spec"]["template"]["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay):
    import kubernetes_validate

    version = kubernetes_validate.latest_version()
    custom = []
    for obj in render(overlay):
        key = (obj["apiVersion"], obj["kind"])
        if key in CUSTOM:
            custom.append(obj)
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            raise AssertionError(
                f"{overlay}: {obj['kind']}/{obj['metadata']['name']}: {exc.message}"
            ) from None
    for obj in custom:
        assert obj["metadata"].get("name") and isinstance(obj.get("spec"), dict), obj


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_limits_and_a_locked_down_security_context(overlay):
    for obj, pod in pod_specs(render(overlay)):
        where = f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"
        assert pod.get("automountServiceAccountToken") is False, where
        assert pod.get("securityContext", {}).get("runAsNonRoot") is True, where
        for container in pod["containers"] + pod.get("initContainers", []):
            limits = container.get("resources", {}).get("limits", {})
            assert {"cpu", "memory"} <= set(limits), f"{where}: {container['name']} has no cpu/memory limits"
            sc = container.get("securityContext", {})
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in sc.get("capabilities", {}).get("drop", []), where
            if obj["kind"] == "Deployment":
                for probe in ("livenessProbe", "readinessProbe"):
                    assert container.get(probe, {}).get("httpGet"), f"{where}: no {probe}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_written_inline(overlay):
    objects = render(overlay)
    for obj, pod in pod_specs(objects):
        for container in pod["containers"]:
            for entry in container.get("env", []):
                if SECRET_NAMES.search(entry["name"]) and entry["name"] not in ("OSAME_ADDRESS_SYNC_URL",):
                    assert "value" not in entry, (
                        f"{overlay}: {obj['metadata']['name']}: {entry['name']} inline"
                    )
    for name, config in named(objects, "ConfigMap").items():
        for key, value in (config.get("data") or {}).items():
            assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), (
                f"{overlay}: ConfigMap {name}: {key} has a password"
            )
            assert not SECRET_NAMES.search(key) or key.endswith("_URL"), f"{overlay}: {name}: {key}"
    secrets = named(objects, "Secret")
    if overlay != "dev":
        assert not secrets, (
            f"{overlay}: Secrets belong to the operators, not the repository: {sorted(secrets)}"
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(overlay):
    objects = render(overlay)
    policies = named(objects, "NetworkPolicy")
    deny = policies["osame-default-deny-ingress"]
    assert deny["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/part-of": "osame"}
    assert deny["spec"]["policyTypes"] == ["Ingress"] and not deny["spec"].get("ingress")

    def allowed(service: str) -> list[dict]:
        return [
            peer for rule in policies[f"osame-{service}-ingress"]["spec"]["ingress"] for peer in rule["from"]
        ]

    def pods(peers) -> set[str]:
        return {
            p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in peers if "podSelector" in p
        }

    for service in SERVICES:
        peers = allowed(service)
        expected = {"osame-console"} | ({"osame-gateway"} if service == "address-sync" else set())
        assert pods(peers) == expected, f"{overlay}: {service} admits {pods(peers)}"
        namespaces = [p["namespaceSelector"]["matchLabels"] for p in peers if "namespaceSelector" in p]
        assert {"osame.example/ingress-controller": "true"} in namespaces
        assert all(not p.get("podSelector") or p["podSelector"].get("matchLabels") for p in peers)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_jobs_before_rollout_and_pods_never_migrate(overlay):
    objects = render(overlay)
    jobs = named(objects, "Job")
    common = next(c for n, c in named(objects, "ConfigMap").items() if n.startswith("osame-common-env"))
    assert common["data"]["OSAME_MIGRATE_ON_START"] == "false"
    assert common["data"]["OSAME_ENVIRONMENT"] == "production"
    for service in SERVICES:
        job = jobs[f"osame-{service}-migrate"]
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][-1] == "migrate"
        deployment = named(objects, "Deployment")[f"osame-{service}"]
        assert container["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_nightly_batch_is_a_cron_job_in_tokyo_time(overlay):
    cron = named(render(overlay), "CronJob")["osame-collection-nightly"]
    assert cron["spec"]["timeZone"] == "Asia/Tokyo" and cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert "osame-collection nightly --date" in " ".join(container["command"])
    assert "OSAME_NIGHTLY_AT" not in {e["name"] for e in container.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_consumer_scales_and_has_a_disruption_budget(overlay):
    objects = render(overlay)
    hpas = named(objects, "HorizontalPodAutoscaler")
    pdbs = named(objects, "PodDisruptionBudget")
    for service in SERVICES:
        name = f"osame-{service}"
        assert hpas[name]["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        deployment = named(objects, "Deployment")[name]
        assert hpas[name]["spec"]["minReplicas"] >= deployment["spec"].get("replicas", 1) or overlay == "dev"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_console_is_published_by_an_ingress_and_nothing_else_is(overlay):
    ingresses = named(render(overlay), "Ingress")
    assert set(ingresses) == {"osame-console"}
    (rule,) = ingresses["osame-console"]["spec"]["rules"]
    backends = {p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert backends == {"osame-console"}
    assert ingresses["osame-console"]["spec"]["tls"]


def test_prod_monitors_every_service_and_carries_the_alert_rules():
    objects = render("prod")
    monitors = named(objects, "ServiceMonitor")
    for service in SERVICES:
        endpoint = monitors[f"osame-{service}"]["spec"]["endpoints"][0]
        assert endpoint["path"] == "/metrics" and endpoint["port"] == "http"
        targets = {r["targetLabel"]: r["replacement"] for r in endpoint["relabelings"]}
        assert targets["job"] == "osame" and targets["service"]
    rule = named(objects, "PrometheusRule")["osame"]
    compose_rules = yaml.safe_load((ROOT / "deploy/prometheus/rules/osame.yml").read_text(encoding="utf-8"))
    assert rule["spec"]["groups"] == compose_rules["groups"], (
        "PrometheusRule differs from deploy/prometheus/rules"
    )


def test_example_platform_runs_rabbitmq_and_postgresql_by_their_operators():
    objects = render("example-platform")
    (cluster,) = named(objects, "RabbitmqCluster").values()
    assert cluster["spec"]["replicas"] % 2 == 1, "quorum queues need an odd number of nodes"
    policies = named(objects, "Policy")
    work = policies["osame-work-queues"]["spec"]
    assert work["definition"]["dead-letter-strategy"] == "at-least-once"
    assert work["definition"]["overflow"] == "reject-publish" and work["definition"]["delivery-limit"] >= 1
    assert re.search(work["pattern"], "collection.receipts.installment.settled.v1")
    assert not re.search(work["pattern"], "collection.receipts.installment.settled.v1.dlq")
    pg = named(objects, "Cluster")["osame-pg"]
    assert pg["spec"]["instances"] >= 3
    databases = {pg["spec"]["bootstrap"]["initdb"]["database"]} | {
        d["spec"]["name"] for d in named(objects, "Database").values()
    }
    assert databases == {
        f"osame_{s.replace('-', '_')}"
        for s in ("receipts", "refunds", "collection", "address-sync", "gateway")
    }
