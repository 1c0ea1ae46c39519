"""Metrics that reach someone: the alert rules pass promtool (syntax and unit tests), Prometheus'
configuration loads, the dashboard and the rules use only metrics the services export, Grafana is
provisioned with them, the collector's metrics and logs go somewhere real, and the compose file
validates against the Compose specification's JSON Schema (check-jsonschema's vendored copy)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules" / "osame.yml"
RULE_TESTS = PROMETHEUS / "rules" / "osame.test.yml"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
COLLECTOR = ROOT / "deploy" / "otel-collector" / "config.yaml"
METRIC = re.compile(r"\b((?:osame|faststream)_[a-z0-9_]+)\b")


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (Debian package `prometheus`; .ci/run installs it)")
    return path


def test_rules_pass_promtool_check():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_fire_as_intended_in_promtool_unit_tests():
    result = subprocess.run(
        [promtool(), "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, cwd=RULE_TESTS.parent
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_configuration_loads(tmp_path):
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    config["rule_files"] = [str(RULES)]  # where compose mounts it, here
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run(
        [promtool(), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    targets = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    for service, port in (
        ("receipts", 8101),
        ("refunds", 8102),
        ("collection", 8103),
        ("address-sync", 8104),
        ("gateway", 8105),
    ):
        assert f"{service}:{port}" in targets


def exported_metric_names() -> set[str]:
    """Sample names a service exposes: the chassis metrics, FastStream's consumer metrics (one
    message handled through the real middleware), and the HTTP metrics (one request)."""
    from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange, RabbitQueue, TestRabbitBroker
    from faststream.rabbit.prometheus import RabbitPrometheusMiddleware
    from osame_chassis.metrics import PlumbingMetrics
    from osame_chassis.telemetry import instrument_http
    from prometheus_client import CollectorRegistry
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    registry = CollectorRegistry()
    metrics = PlumbingMetrics(registry)
    metrics.describe("receipts", "0.1.0", "production")
    for label in ("rejected", "requeued", "duplicates", "dlq_read_errors"):
        getattr(metrics, label).labels(queue="q").inc()
    metrics.dlq_messages.labels(queue="q").set(0)
    metrics.record_batch_runs([("nightly", "done", None), ("nightly", "failed", None)])
    metrics.batch_last_success.labels(batch="nightly").set(1)
    metrics.batch_last_failure.labels(batch="nightly").set(1)

    broker = RabbitBroker(
        middlewares=(RabbitPrometheusMiddleware(registry=registry, app_name="osame-x-consumer"),)
    )
    exchange = RabbitExchange("osame.events", type=ExchangeType.TOPIC)

    @broker.subscriber(RabbitQueue("x.a.b.c.v1", routing_key="a.b.c.v1"), exchange)
    async def handle(body: dict) -> None:
        return None

    async def publish():
        async with TestRabbitBroker(broker) as test_broker:
            await test_broker.publish({"a": 1}, exchange=exchange, routing_key="a.b.c.v1")

    asyncio.run(publish())

    async def ok(_):
        return JSONResponse({})

    app = instrument_http(
        Starlette(routes=[Route("/api/imports/{kind}", ok, methods=["POST"])]), None, metrics
    )
    TestClient(app).post("/api/imports/cvs")
    return {sample.name for family in registry.collect() for sample in family.samples}


def used_metric_names() -> dict[str, str]:
    """Metric names in the rules' and the dashboard panels' PromQL expressions."""
    expressions = [
        (RULES.name, rule["expr"])
        for group in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            expressions += [(path.name, t["expr"]) for t in panel.get("targets", [])]
    used = {}
    for where, expr in expressions:
        for name in METRIC.findall(expr):
            used.setdefault(name, where)
    return used


def test_every_metric_the_dashboard_and_the_rules_use_is_exported():
    exported = exported_metric_names()
    used = used_metric_names()
    assert {"osame_dlq_messages", "osame_outbox_oldest_age_seconds", "osame_batch_runs"} <= set(used)
    missing = {name: where for name, where in used.items() if name not in exported}
    assert not missing, f"used but not exported: {missing}"


def test_dashboard_is_provisioned_with_its_data_sources():
    sources = yaml.safe_load((PROVISIONING / "datasources" / "osame.yml").read_text(encoding="utf-8"))
    uids = {s["uid"] for s in sources["datasources"]}
    assert {"prometheus", "loki", "jaeger"} <= uids
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "osame.yml").read_text(encoding="utf-8"))
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    (dashboard_file,) = DASHBOARDS.glob("*.json")
    dashboard = json.loads(dashboard_file.read_text(encoding="utf-8"))
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    titles = " ".join(p["title"] for p in panels).lower()
    for topic in ("throughput", "latency", "dlq", "outbox", "batch", "import"):
        assert topic in titles, f"no panel about {topic}"
    for panel in panels:
        assert panel["datasource"]["uid"] in uids
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids and target["expr"].strip()


def test_collector_sends_metrics_and_logs_somewhere_real():
    config = yaml.safe_load(COLLECTOR.read_text(encoding="utf-8"))
    pipelines = config["service"]["pipelines"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    assert config["exporters"]["prometheus"]["endpoint"].endswith(":8889")
    assert (
        "spanmetrics" in pipelines["traces"]["exporters"]
        and "spanmetrics" in pipelines["metrics"]["receivers"]
    )
    (logs_exporter,) = pipelines["logs"]["exporters"]
    assert (
        logs_exporter.startswith("otlphttp")
        and "LOGS_BACKEND" in config["exporters"][logs_exporter]["endpoint"]
    )
    assert not any("debug" in p["exporters"] for p in pipelines.values()), "debug output reaches no one"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["otel-collector"]["environment"]["OSAME_LOGS_BACKEND_ENDPOINT"].startswith(
        "http://loki:"
    )
    scrape = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {t for job in scrape["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert "otel-collector:8889" in targets


def test_compose_file_validates_against_the_compose_specification():
    result = subprocess.run(
        # From the project's environment (./osame test runs .venv/bin/pytest without .venv/bin on PATH).
        [
            str(Path(sys.executable).with_name("check-jsonschema")),
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_compose_container_has_a_memory_limit():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        limit = service.get("mem_limit") or service.get("deploy", {}).get("resources", {}).get(
            "limits", {}
        ).get("memory")
        assert limit, f"{name} has no memory limit"
