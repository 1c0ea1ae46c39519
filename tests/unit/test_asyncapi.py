"""Each service's AsyncAPI document: both directions, contract payloads, every `$ref` resolvable,
and accepted by the AsyncAPI project's own parser (`@asyncapi/parser`, run with node)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from osame_chassis.asyncapi import published_by
from osame_chassis.cli import asyncapi_document
from osame_contracts.base import Kind
from osame_contracts.registry import REGISTRY
from osame_contracts.topology import SUBSCRIPTIONS, exchange_for, queue_name

MODULES = {
    "receipts": "osame_receipts.bootstrap",
    "refunds": "osame_refunds.bootstrap",
    "collection": "osame_collection.bootstrap",
    "address-sync": "osame_address_sync.bootstrap",
    "intermediate-server-gw": "osame_gateway.bootstrap",
}
PARSER_VERSION = "3.6.3"
VALIDATOR = Path(__file__).with_name("asyncapi_validate.cjs")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, dict]:
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OSAME_DATA_DIR", str(tmp_path_factory.mktemp("asyncapi")))
        for service, module in MODULES.items():
            try:
                out[service] = asyncapi_document(importlib.import_module(module).build_spec())
            except Exception as exc:  # reported per service below, so one broken service hides no other
                out[service] = exc
    return out


def document_of(documents: dict, service: str) -> dict:
    doc = documents[service]
    if isinstance(doc, Exception):
        raise doc
    return doc


def pointer(doc: dict, ref: str):
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def refs_in(node, path="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from refs_in(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs_in(value, f"{path}/{i}")


@pytest.mark.parametrize("service", sorted(MODULES))
def test_every_reference_resolves(documents, service):
    doc = document_of(documents, service)
    assert doc["asyncapi"].startswith("3.")
    refs = list(refs_in(doc))
    assert refs
    for where, ref in refs:
        try:
            pointer(doc, ref)
        except AssertionError as exc:
            raise AssertionError(f"{service}: {where}: {exc}") from None
    # Nested models live once in components/schemas, not in per-payload $defs.
    for name, schema in doc["components"]["schemas"].items():
        assert "$defs" not in schema, f"{service}: {name} keeps nested $defs"


@pytest.mark.parametrize("service", sorted(MODULES))
def test_receive_operations_are_the_subscriptions(documents, service):
    doc = document_of(documents, service)
    received = [op for op in doc["operations"].values() if op["action"] == "receive"]
    assert len(received) == len(SUBSCRIPTIONS[service])
    payloads = set()
    for operation in received:
        (message_ref,) = operation["messages"]
        message = pointer(doc, pointer(doc, message_ref["$ref"])["$ref"])
        payloads.add(message["name"])
        assert message["payload"]["$ref"].startswith("#/components/schemas/")
    assert payloads == {m.routing_key for m in SUBSCRIPTIONS[service]}
    text = json.dumps(doc)
    for model in SUBSCRIPTIONS[service]:
        assert queue_name(service, model) in text


@pytest.mark.parametrize("service", sorted(MODULES))
def test_send_operations_name_exchange_and_routing_key(documents, service):
    doc = document_of(documents, service)
    sent = {}
    for operation in doc["operations"].values():
        if operation["action"] != "send":
            continue
        channel = pointer(doc, operation["channel"]["$ref"])
        binding = channel["bindings"]["amqp"]
        assert binding["is"] == "routingKey"
        (message_ref,) = operation["messages"]
        message = pointer(doc, pointer(doc, message_ref["$ref"])["$ref"])
        assert operation["bindings"]["amqp"]["deliveryMode"] == 2
        sent[channel["address"]] = (binding["exchange"], message)
    expected = published_by(service)
    assert expected, f"{service} publishes nothing?"
    assert set(sent) == {m.routing_key for m in expected}
    for model in expected:
        exchange, message = sent[model.routing_key]
        assert exchange["name"] == exchange_for(model)
        assert exchange["type"] == ("direct" if model.kind is Kind.COMMAND else "topic")
        assert message["contentType"] == "application/json"
        schema = pointer(doc, message["payload"]["$ref"])
        assert set(schema["properties"]) == set(model.model_json_schema()["properties"])


def test_every_event_has_a_sender():
    senders = {m.routing_key for service in MODULES for m in published_by(service)}
    events = {k for k, m in REGISTRY.items() if m.kind is Kind.EVENT and not k.startswith("taxation.")}
    assert events <= senders, sorted(events - senders)


# ------------------------------------------------------- the AsyncAPI parser


def _npm_cache() -> Path:
    base = Path(os.environ.get("OSAME_TOOLS_CACHE", Path.home() / ".cache" / "osame-tools"))
    return base / f"asyncapi-parser-{PARSER_VERSION}"


UNREACHABLE = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ENETUNREACH", "ECONNRESET")


@pytest.fixture(scope="module")
def asyncapi_parser() -> Path:
    """`@asyncapi/parser` installed once into a cache directory (npm registry)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: the AsyncAPI parser cannot run")
    prefix = _npm_cache()
    if not (prefix / "node_modules" / "@asyncapi" / "parser" / "package.json").is_file():
        prefix.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(prefix),
                f"@asyncapi/parser@{PARSER_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            if any(code in result.stderr for code in UNREACHABLE):
                pytest.skip(f"the npm registry is unreachable: {result.stderr.strip().splitlines()[-1]}")
            raise AssertionError(f"npm install @asyncapi/parser failed:\n{result.stderr}")
    return prefix


def test_the_asyncapi_parser_accepts_every_document(documents, asyncapi_parser, tmp_path):
    files = []
    for service in sorted(MODULES):
        if isinstance(documents[service], Exception):
            continue  # the other tests report why it could not be built
        path = tmp_path / f"{service}.json"
        path.write_text(json.dumps(documents[service], ensure_ascii=False), encoding="utf-8")
        files.append(str(path))
    result = subprocess.run(
        ["node", str(VALIDATOR), str(asyncapi_parser / "node_modules"), *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": valid") == len(files), result.stdout
