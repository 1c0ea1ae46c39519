"""The broker users of the deployment files: generated from the contracts, one per principal,
provisioned by compose's broker-setup and the Kubernetes Job, never shared by two services."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from osame_chassis.messaging.grants import OPERATOR, all_grants
from osame_contracts.publishers import PRINCIPALS

ROOT = Path(__file__).resolve().parents[2]
RABBITMQ = ROOT / "deploy" / "rabbitmq"
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "osame_deploy_generate", RABBITMQ / "generate_definitions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_access_definitions_are_up_to_date():
    generator = _generator()
    assert (RABBITMQ / "access.json").read_text(encoding="utf-8") == generator.render(
        generator.build_access()
    ), (
        "deploy/rabbitmq/access.json is stale: "
        "uv run python deploy/rabbitmq/generate_definitions.py --access > deploy/rabbitmq/access.json"
    )


def test_access_names_one_user_per_principal_without_a_password():
    access = json.loads((RABBITMQ / "access.json").read_text(encoding="utf-8"))
    users = {u["name"]: u for u in access["users"]}
    assert set(users) == {f"osame-{p}" for p in (*PRINCIPALS, OPERATOR)}
    assert all(u["password_hash"] == "" for u in users.values()), "no password in the repository"
    assert users["osame-operator"]["tags"] == "impersonator"
    assert all(u["tags"] == "" for name, u in users.items() if name != "osame-operator")
    # A user without a topic permission entry on an exchange would be unrestricted there.
    for user in users:
        exchanges = {t["exchange"] for t in access["topic_permissions"] if t["user"] == user}
        assert exchanges == {"osame.events", "osame.commands", "osame.dlx"}, user


def _matches(pattern: str, name: str) -> bool:
    return bool(pattern) and re.match(pattern, name) is not None  # RabbitMQ: "" matches nothing


def test_no_principal_may_configure_exchanges_and_only_the_operator_uses_the_default_exchange():
    for grant in all_grants():
        for exchange in ("osame.events", "osame.commands", "osame.dlx", "amq.default"):
            assert not _matches(grant.configure, exchange), (grant.user, exchange)
        assert _matches(grant.write, "amq.default") == (grant.principal == OPERATOR), grant.user


def test_compose_provisions_every_principal_and_services_use_their_own_user():
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    setup = compose["services"]["broker-setup"]
    assert setup["command"] == ["osame", "bus", "provision"]
    variables = set(setup["environment"])
    for principal in (*PRINCIPALS, OPERATOR):
        assert "OSAME_BROKER_PASSWORD_" + principal.upper().replace("-", "_") in variables
    users = set()
    for name in ("receipts", "refunds", "collection", "address-sync", "gateway"):
        service = compose["services"][name]
        users.add(urlsplit(service["environment"]["OSAME_AMQP_URL"]).username)
        assert service["depends_on"]["broker-setup"]["condition"] == "service_completed_successfully"
    assert len(users) == 5, "two services share a broker user"


K8S = ROOT / "deploy" / "k8s"


def _k8s(path: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / path).read_text(encoding="utf-8")) if d]


def test_kubernetes_job_provisions_the_broker_from_referenced_secrets():
    [job] = _k8s("base/broker-setup-job.yaml")
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:3] == ["osame", "bus", "provision"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert refs["OSAME_BROKER_ADMIN_URL"] == {"name": "osame-broker-admin", "key": "amqp-url"}
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["passwords"]["secret"]["secretName"] == "osame-broker-users"


def test_kubernetes_services_verify_staff_proofs_and_only_collection_signs():
    for name in ("receipts", "refunds", "collection", "address-sync", "gateway"):
        deployment = next(d for d in _k8s(f"base/services/{name}.yaml") if d["kind"] == "Deployment")
        spec = deployment["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert env["OSAME_STAFF_PROOF_PUBLIC_KEYS_FILE"] == "/etc/osame/staff-proof/keys.json"
        assert volumes["staff-proof-keys"]["configMap"]["name"] == "osame-staff-proof-keys"
        signs = "OSAME_STAFF_PROOF_SIGNING_KEY_FILE" in env
        assert signs == (name == "collection"), name
        assert ("staff-proof-signing-key" in volumes) == signs


def test_kubernetes_dev_services_use_their_own_users_with_the_provisioned_passwords():
    dev = yaml.safe_load((K8S / "overlays/dev/kustomization.yaml").read_text(encoding="utf-8"))
    secrets = {
        g["name"]: dict(i.split("=", 1) for i in g.get("literals", [])) for g in dev["secretGenerator"]
    }
    passwords = secrets["osame-broker-users"]
    assert set(passwords) == {*PRINCIPALS, OPERATOR}
    for deployment, principal in (
        ("osame-receipts", "receipts"),
        ("osame-refunds", "refunds"),
        ("osame-collection", "collection"),
        ("osame-address-sync", "address-sync"),
        ("osame-gateway", "intermediate-server-gw"),
    ):
        url = urlsplit(secrets[deployment]["amqp-url"])
        assert (url.username, url.password) == (f"osame-{principal}", passwords[principal])
