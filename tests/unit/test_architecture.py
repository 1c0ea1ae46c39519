"""House rules that keep the services apart and the bus reliable."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from osame_contracts.base import Kind
from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SERVICES, SUBSCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "receipts": "osame_receipts",
    "refunds": "osame_refunds",
    "collection": "osame_collection",
    "address-sync": "osame_address_sync",
    "intermediate-server-gw": "osame_gateway",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_no_service_imports_another_service(service):
    others = {pkg for name, pkg in PACKAGES.items() if name != service}
    offenders = []
    for path in (ROOT / "services" / service / "src").rglob("*.py"):
        if bad := _imports(path) & others:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert not offenders


def test_shared_libraries_import_no_service():
    for lib in ("contracts", "libs/chassis", "libs/law", "libs/zengin"):
        for path in (ROOT / lib / "src").rglob("*.py"):
            assert not (_imports(path) & set(PACKAGES.values())), path


@pytest.mark.parametrize("service", sorted(PACKAGES))
def test_domain_is_pure(service):
    """domain/ does no I/O: no database, broker, HTTP or chassis imports."""
    banned = {"sqlalchemy", "faststream", "aio_pika", "httpx", "osame_chassis", "asyncpg", "aiosqlite"}
    for path in (ROOT / "services" / service / "src" / PACKAGES[service] / "domain").rglob("*.py"):
        assert not (_imports(path) & banned), path


def test_no_bare_broker_publish_outside_the_helper():
    helper = ROOT / "libs/chassis/src/osame_chassis/messaging/publish.py"
    # Test support publishing to FastStream's in-memory TestRabbitBroker (never used by services).
    testing = ROOT / "libs/chassis/src/osame_chassis/testing.py"
    pattern = re.compile(r"\b(broker|publisher|self\._broker|self\.broker)\.publish\(")
    offenders = []
    for base in ("services", "contracts", "libs", "tools"):
        for path in (ROOT / base).rglob("*.py"):
            if path in (helper, testing) or "/tests/" in str(path):
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_message_has_a_consumer_so_nothing_is_unroutable(key):
    model = REGISTRY[key]
    consumers = [s for s, models in SUBSCRIPTIONS.items() if model in models]
    if model.kind is Kind.COMMAND:
        assert len(consumers) == 1, f"a command has exactly one owner: {consumers}"
        assert key.startswith(consumers[0] + "."), "a command is addressed to the service that consumes it"
    else:
        assert consumers, "an event nobody consumes would be returned as unroutable and block the outbox"


def test_topology_names_every_service():
    assert set(SUBSCRIPTIONS) == set(SERVICES) == set(PACKAGES)
